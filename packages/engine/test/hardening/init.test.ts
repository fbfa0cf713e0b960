import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { open } from '../../src/index.ts';
import { openTemp, tempDir } from '../helpers.ts';

const functions = new URL('../fixtures/functions.js', import.meta.url);
const initModule = new URL('../fixtures/init.js', import.meta.url);

describe('the init hook (defect 13)', () => {
  it('runs SQL on the connection, and again on a replacement worker', async () => {
    const dir = tempDir();
    const other = await open(join(dir, 'other.db'));
    await other.exec("CREATE TABLE t (x); INSERT INTO t VALUES ('attached')");
    await other.close();
    const db = await openTemp({ init: `ATTACH '${join(dir, 'other.db')}' AS other` });
    await db.function('die', { module: functions, export: 'die' });
    expect(await db.get('SELECT x FROM other.t')).toEqual({ x: 'attached' });
    await db.get('SELECT die()').catch(() => undefined);
    expect(await db.get('SELECT x FROM other.t')).toEqual({ x: 'attached' });
  });

  it('calls a module export with the new connection', async () => {
    const db = await openTemp({ init: { module: initModule, export: 'setUp' } });
    expect(await db.all('SELECT k, v FROM temp.session ORDER BY k')).toEqual([
      { k: 'readonly', v: 'false' },
      { k: 'rows', v: '1' },
    ]);
  });

  it('fails open() with the error of a failing init, coded', async () => {
    const dir = tempDir();
    await expect(open(join(dir, 'a.db'), { init: 'CREATE TABLE' })).rejects.toMatchObject({ code: 'SQLITE_ERROR' });
    await expect(open(join(dir, 'b.db'), { init: { module: initModule, export: 'broken' } })).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_USER_FUNCTION' });
    await expect(open(join(dir, 'c.db'), { init: { module: initModule, export: 'missing' } })).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_FUNCTION_LOAD' });
    await expect(open(join(dir, 'd.db'), { init: { module: './relative.js' } })).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
    await expect(open(join(dir, 'e.db'), { init: 42 as never })).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
  });
});

describe('opening a new file from several connections at once', () => {
  it('converts it to WAL once and every open succeeds (SQLite answers one of two converting connections BUSY at once)', async () => {
    const dir = tempDir();
    for (let round = 0; round < 12; round++) {
      const path = join(dir, `fresh-${round}.db`);
      const handles = await Promise.all([open(path), open(path), open(path)]);
      try {
        for (const db of handles) expect(await db.get('PRAGMA journal_mode')).toEqual({ journal_mode: 'wal' });
      } finally {
        await Promise.all(handles.map((db) => db.close()));
      }
    }
  });
});
