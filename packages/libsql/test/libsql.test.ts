import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '@rapsqlite/engine';
import { openLibsql, type LibsqlDatabase } from '../src/index.ts';

function codeOf(error: unknown): string {
  return String((error as { code?: unknown }).code);
}

describe('libSQL through @libsql/client, file: mode', () => {
  let dir: string;
  let db: LibsqlDatabase;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rapsqlite-libsql-'));
    db = await openLibsql(`file:${join(dir, 'app.db')}`);
  });

  afterEach(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reports a rowid beyond 2^53 exactly, although the local driver passes it through a double', async () => {
    await db.exec('CREATE TABLE n (id INTEGER PRIMARY KEY)');
    const id = 2n ** 62n + 3n;
    expect((await db.run('INSERT INTO n (id) VALUES (?)', [id])).lastInsertRowid).toBe(id);
    expect((await db.runMany('INSERT INTO n (id) VALUES (?)', [[id + 2n]])).lastInsertRowid).toBe(id + 2n);
    expect(await db.all('SELECT id FROM n ORDER BY id', [], { integers: 'bigint' })).toEqual([{ id }, { id: id + 2n }]);
  });

  it('refuses a string holding U+0000 with ERR_RAPSQLITE_PARAMETER_ENCODING instead of storing it cut short', async () => {
    await db.exec('CREATE TABLE t (v TEXT)');
    expect(codeOf(await db.run('INSERT INTO t VALUES (?)', ['a\u0000b']).catch((e: unknown) => e))).toBe(ErrorCodes.PARAMETER_ENCODING);
    await db.run('INSERT INTO t VALUES (?)', [Buffer.from('a\u0000b')]);
    expect(await db.get('SELECT length(v) AS n, typeof(v) AS t FROM t')).toEqual({ n: 3, t: 'blob' });
  });

  it('reads INSERT … RETURNING rows, refuses a write without RETURNING as a query without running it, and describes statements', async () => {
    await db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)');
    expect(await db.all("INSERT INTO items (name) VALUES ('a'), ('b') RETURNING id, name")).toEqual([
      { id: 1, name: 'a' },
      { id: 2, name: 'b' },
    ]);
    expect(codeOf(await db.get("DELETE FROM items WHERE name = 'a'").catch((e: unknown) => e))).toBe(ErrorCodes.NOT_A_QUERY);
    await db.transaction(async (tx) => {
      expect(codeOf(await tx.all("DELETE FROM items WHERE name = 'b'").catch((e: unknown) => e))).toBe(ErrorCodes.NOT_A_QUERY);
    });
    expect(await db.get('SELECT count(*) AS n FROM items')).toEqual({ n: 2 });
    const returning = await db.prepare('UPDATE items SET name = ? WHERE id = ? RETURNING id');
    expect([returning.reader, returning.readonly, returning.columns.map((c) => c.name)]).toEqual([true, false, ['id']]);
    expect(await db.get('SELECT count(*) AS n FROM items WHERE name IS NULL')).toEqual({ n: 0 });
    const select = await db.prepare('SELECT id, name FROM items WHERE id > ?');
    expect(select.columns.map((c) => [c.name, c.type])).toEqual([
      ['id', 'INTEGER'],
      ['name', 'TEXT'],
    ]);
  });

  it('keeps the outer transaction going after a failed runMany inside it, which undoes only its own sets', async () => {
    await db.exec('CREATE TABLE u (v TEXT UNIQUE)');
    await db.transaction(async (tx) => {
      await tx.run("INSERT INTO u VALUES ('keep')");
      const error = await tx.runMany('INSERT INTO u VALUES (?)', [['x'], ['keep']]).catch((e: unknown) => e);
      expect([codeOf(error), (error as { index?: number }).index]).toEqual(['SQLITE_CONSTRAINT_UNIQUE', 1]);
    });
    expect(await db.all('SELECT v FROM u')).toEqual([{ v: 'keep' }]);
  });
});
