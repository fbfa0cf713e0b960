import { join } from 'node:path';
import knex from 'knex';
import { describe, expect, it } from 'vitest';
import { RapsqliteClient, rapsqliteConnection, toNodeSqlite3Error } from '../src/index.ts';
import { tempDir } from './helpers.ts';

describe('RapsqliteClient settings', () => {
  it('refuses bad connection settings with ERR_RAPSQLITE_INVALID_ARGUMENT at the first query', async () => {
    const bad = [
      {},
      { filename: '' },
      { filename: 'x.db', typo: true },
      { filename: 'x.db', pool: 'yes' },
      { filename: 'x.db', pool: true, database: {} },
      { filename: 'x.db', integers: 'float' },
      { filename: 'x.db', transactionMode: 'later' },
      { filename: 'x.db', chunkSize: 0 },
      { handle: { not: 'a handle' } },
    ];
    for (const connection of bad) {
      const db = knex({ client: RapsqliteClient, connection: connection as never, useNullAsDefault: true });
      await expect(db.raw('SELECT 1')).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
      await db.destroy();
      expect(() => rapsqliteConnection(connection as never)).toThrow(expect.objectContaining({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' }));
    }
  });

  it('opens its own database (or pool) from filename and closes it on destroy', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      for (const pool of [false, true]) {
        const filename = join(dir, `own-${String(pool)}.db`);
        const db = knex({ client: RapsqliteClient, connection: rapsqliteConnection({ filename, pool }), useNullAsDefault: true });
        await db.schema.createTable('t', (t) => t.integer('x'));
        await db('t').insert({ x: 1 });
        expect(await db('t').pluck('x')).toEqual([1]);
        await db.destroy();
        const again = knex({ client: RapsqliteClient, connection: { filename }, useNullAsDefault: true });
        expect(await again('t').pluck('x')).toEqual([1]);
        await again.destroy();
      }
    } finally {
      await cleanup();
    }
  });

  it('shapes only SQLite errors like node-sqlite3', () => {
    const sqlite = Object.assign(new Error('UNIQUE constraint failed: t.x'), { code: 'SQLITE_CONSTRAINT_UNIQUE' });
    expect(toNodeSqlite3Error(sqlite)).toMatchObject({ code: 'SQLITE_CONSTRAINT', errno: 19, extendedCode: 'SQLITE_CONSTRAINT_UNIQUE', message: 'SQLITE_CONSTRAINT: UNIQUE constraint failed: t.x', cause: sqlite });
    const own = Object.assign(new Error('late'), { code: 'ERR_RAPSQLITE_TIMEOUT' });
    expect(toNodeSqlite3Error(own)).toBe(own);
    expect(toNodeSqlite3Error('text')).toBe('text');
  });
});
