import { describe, expect, it } from 'vitest';
import { createMock } from '../../src/index.ts';
import { openTemp } from '../helpers.ts';

describe('{ normalized } mock rules', () => {
  it("compare SQL after the engine's normalizeSql: comments, whitespace, literals, parameter style and keyword case", async () => {
    const mock = createMock();
    mock.when({ normalized: 'SELECT id FROM users WHERE id = ? AND role = ?' }).rows([{ id: 1 }]);
    const db = (await openTemp()).with(mock);
    expect(await db.get('select id\n  from users  -- by id\n where id = :id and role = \'admin\';', { id: 1 })).toEqual({ id: 1 });
    expect(await db.get('SELECT id FROM users WHERE id = 42 AND role = ?', ['x'])).toEqual({ id: 1 });
    await expect(db.get('SELECT id FROM Users WHERE id = ?', [1])).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_MOCK_UNMATCHED' });
  });

  it('accept a custom normalizer', async () => {
    const mock = createMock({ normalize: (sql) => sql.toLowerCase() });
    mock.when({ normalized: 'SELECT 1' }).rows([{ one: 1 }]);
    const db = (await openTemp()).with(mock);
    expect(await db.get('select 1')).toEqual({ one: 1 });
  });
});
