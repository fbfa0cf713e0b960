import { describe, expect, it } from 'vitest';
import { open } from '../src/index.ts';
import { openTemp } from './helpers.ts';

async function usersDb() {
  const db = await openTemp();
  await db.exec(`
    CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, score REAL, avatar BLOB);
    INSERT INTO users (name, score) VALUES ('ada', 1.5), ('grace', 2.5), ('linus', NULL);
  `);
  return db;
}

describe('query methods', () => {
  it('runs a statement and reports changes and the last rowid', async () => {
    const db = await usersDb();
    const result = await db.run('INSERT INTO users (name) VALUES (?)', ['ken']);
    expect(result).toEqual({ changes: 1, lastInsertRowid: 4 });
    expect(await db.run('UPDATE users SET score = 0')).toEqual({ changes: 4, lastInsertRowid: 4 });
  });

  it('gets the first row or undefined', async () => {
    const db = await usersDb();
    expect(await db.get('SELECT id, name FROM users WHERE name = ?', ['grace'])).toEqual({ id: 2, name: 'grace' });
    expect(await db.get('SELECT id FROM users WHERE name = ?', ['nobody'])).toBeUndefined();
  });

  it('returns all rows as plain objects', async () => {
    const db = await usersDb();
    const rows = await db.all<{ id: number; name: string; score: number | null }>('SELECT id, name, score FROM users ORDER BY id');
    expect(rows).toEqual([
      { id: 1, name: 'ada', score: 1.5 },
      { id: 2, name: 'grace', score: 2.5 },
      { id: 3, name: 'linus', score: null },
    ]);
    expect(Object.getPrototypeOf(rows[0])).toBe(Object.prototype);
  });

  it('returns array rows with column metadata from values()', async () => {
    const db = await usersDb();
    const { columns, rows } = await db.values('SELECT id, name AS who, score * 2 AS double FROM users ORDER BY id LIMIT 2');
    expect(rows).toEqual([
      [1, 'ada', 3],
      [2, 'grace', 5],
    ]);
    expect(columns).toEqual([
      { name: 'id', type: 'INTEGER', table: 'users', column: 'id', database: 'main' },
      { name: 'who', type: 'TEXT', table: 'users', column: 'name', database: 'main' },
      { name: 'double', type: null, table: null, column: null, database: null },
    ]);
  });

  it('runs a multi-statement script with exec', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE a (x); CREATE TABLE b (y); INSERT INTO a VALUES (1); INSERT INTO b VALUES (2);');
    expect(await db.get('SELECT (SELECT x FROM a) + (SELECT y FROM b) AS sum')).toEqual({ sum: 3 });
  });

  it('binds positional, numbered, named and single parameters', async () => {
    const db = await openTemp();
    expect(await db.get('SELECT ? AS a, ? AS b', [1, 'two'])).toEqual({ a: 1, b: 'two' });
    expect(await db.get('SELECT ?2 AS a, ?1 AS b', [1, 2])).toEqual({ a: 2, b: 1 });
    expect(await db.get('SELECT :x AS a, @y AS b, $z AS c', { x: 1, y: 2, z: 3 })).toEqual({ a: 1, b: 2, c: 3 });
    expect(await db.get('SELECT ? AS only', 42)).toEqual({ only: 42 });
    expect(await db.get('SELECT ? AS n', [null])).toEqual({ n: null });
  });

  it('stores and returns BLOBs as Buffers', async () => {
    const db = await usersDb();
    await db.run('UPDATE users SET avatar = ? WHERE id = 1', [Buffer.from([1, 2, 3])]);
    await db.run('UPDATE users SET avatar = ? WHERE id = 2', [new Uint8Array([4, 5])]);
    const rows = await db.all<{ avatar: Buffer }>('SELECT avatar FROM users WHERE id IN (1, 2) ORDER BY id');
    expect(Buffer.isBuffer(rows[0]!.avatar)).toBe(true);
    expect([...rows[0]!.avatar]).toEqual([1, 2, 3]);
    expect([...rows[1]!.avatar]).toEqual([4, 5]);
    const { rows: arrays } = await db.values('SELECT avatar FROM users WHERE id = 1');
    expect(Buffer.isBuffer(arrays[0]![0])).toBe(true);
  });

  it('runs one statement over many parameter sets in one transaction', async () => {
    const db = await usersDb();
    const result = await db.runMany('INSERT INTO users (name, score) VALUES (?, ?)', [
      ['a1', 1],
      ['a2', 2],
      ['a3', 3],
    ]);
    expect(result).toEqual({ changes: 3, lastInsertRowid: 6, count: 3 });
    expect(await db.get('SELECT count(*) AS n FROM users')).toEqual({ n: 6 });
  });

  it('applies none of runMany when one parameter set fails, and reports its index', async () => {
    const db = await usersDb();
    const error = await db
      .runMany('INSERT INTO users (name) VALUES (:name)', [{ name: 'new1' }, { name: 'new2' }, { name: 'ada' }, { name: 'new3' }])
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SQLITE_CONSTRAINT_UNIQUE', index: 2 });
    expect(await db.get('SELECT count(*) AS n FROM users')).toEqual({ n: 3 });
  });

  it('keeps runMany all-or-nothing inside an open transaction (as a savepoint)', async () => {
    const db = await usersDb();
    await db.transaction(async (tx) => {
      await tx.run("INSERT INTO users (name) VALUES ('kept')");
      await expect(tx.runMany('INSERT INTO users (name) VALUES (?)', [['x1'], ['ada']])).rejects.toMatchObject({ index: 1 });
    });
    expect(await db.all('SELECT name FROM users WHERE id > 3')).toEqual([{ name: 'kept' }]);
  });

  it('prepares a statement once and runs it many times', async () => {
    const db = await usersDb();
    const byName = await db.prepare<{ id: number }>('SELECT id FROM users WHERE name = ?');
    expect(byName.reader).toBe(true);
    expect(byName.readonly).toBe(true);
    expect(byName.columns.map((c) => c.name)).toEqual(['id']);
    expect(await byName.get(['ada'])).toEqual({ id: 1 });
    expect(await byName.all(['grace'])).toEqual([{ id: 2 }]);
    const insert = await db.prepare('INSERT INTO users (name) VALUES (?)');
    expect(insert.reader).toBe(false);
    expect(insert.readonly).toBe(false);
    expect(await insert.run(['zed'])).toMatchObject({ changes: 1 });
    expect(await insert.runMany([['y1'], ['y2']])).toMatchObject({ count: 2 });
    const rows: unknown[] = [];
    for await (const row of byName.iterate(['zed'])) rows.push(row);
    expect(rows).toEqual([{ id: 4 }]);
  });

  it('reports a syntax error when preparing', async () => {
    const db = await openTemp();
    await expect(db.prepare('SELEC 1')).rejects.toMatchObject({ code: 'SQLITE_ERROR', sql: 'SELEC 1' });
  });

  it('sees the new columns of a table after the schema changes', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1)');
    expect(await db.get('SELECT * FROM t')).toEqual({ a: 1 });
    await db.exec('ALTER TABLE t ADD COLUMN b TEXT DEFAULT \'x\'');
    expect(await db.get('SELECT * FROM t')).toEqual({ a: 1, b: 'x' });
    await db.run('ALTER TABLE t RENAME COLUMN b TO c');
    expect(await db.get('SELECT * FROM t')).toEqual({ a: 1, c: 'x' });
  });

  it('sees column names changed by another connection', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE t (a INTEGER, b INTEGER); INSERT INTO t VALUES (1, 2)');
    expect(await db.get('SELECT * FROM t')).toEqual({ a: 1, b: 2 });
    const other = await open(db.path);
    try {
      await other.exec('ALTER TABLE t RENAME COLUMN a TO x');
    } finally {
      await other.close();
    }
    expect(await db.get('SELECT * FROM t')).toEqual({ x: 1, b: 2 });
  });

  it('works on an in-memory database', async () => {
    const db = await open(':memory:');
    try {
      await db.exec('CREATE TABLE t (x)');
      await db.run('INSERT INTO t VALUES (?)', ['mem']);
      expect(await db.all('SELECT x FROM t')).toEqual([{ x: 'mem' }]);
    } finally {
      await db.close();
    }
  });

  it('serves many concurrent calls in order', async () => {
    const db = await usersDb();
    const results = await Promise.all(Array.from({ length: 2000 }, (_, i) => db.get<{ v: number }>('SELECT ? AS v', [i])));
    expect(results.map((r) => r!.v)).toEqual(Array.from({ length: 2000 }, (_, i) => i));
  });

  it('moves a large result in several messages and returns every row', async () => {
    const db = await openTemp();
    const rows = await db.all<{ x: number }>(
      'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 25000) SELECT x FROM c',
    );
    expect(rows).toHaveLength(25000);
    expect(rows[0]).toEqual({ x: 1 });
    expect(rows[24999]).toEqual({ x: 25000 });
  });
});

describe('rows', () => {
  it('keeps hostile column names as own data properties', async () => {
    const db = await openTemp();
    const row = await db.get<Record<string, unknown>>(
      'SELECT 1 AS "__proto__", 2 AS "constructor", 3 AS "hasOwnProperty", 4 AS "toString"',
    );
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(Object.hasOwn(row!, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(row!, '__proto__')?.value).toBe(1);
    expect(row!['constructor']).toBe(2);
    expect(row!['hasOwnProperty']).toBe(3);
    expect(Object.keys(row!)).toEqual(['__proto__', 'constructor', 'hasOwnProperty', 'toString']);
  });

  it('gives the last of duplicate column names, and every value through values()', async () => {
    const db = await openTemp();
    expect(await db.get('SELECT 1 AS x, 2 AS x')).toEqual({ x: 2 });
    expect((await db.values('SELECT 1 AS x, 2 AS x')).rows).toEqual([[1, 2]]);
  });
});

describe('integers', () => {
  const big = 2n ** 60n;

  it('returns numbers by default and refuses to round an unsafe integer', async () => {
    const db = await openTemp();
    await db.exec(`CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (7), (${big})`);
    expect(await db.get('SELECT v FROM t WHERE v = 7')).toEqual({ v: 7 });
    await expect(db.all('SELECT v FROM t')).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_INTEGER_OVERFLOW' });
    await expect(db.values('SELECT v FROM t')).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_INTEGER_OVERFLOW' });
  });

  it('returns bigint only for unsafe values in auto mode', async () => {
    const db = await openTemp({ integers: 'auto' });
    await db.exec(`CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (7), (${big}), (${-big})`);
    expect(await db.all('SELECT v FROM t')).toEqual([{ v: 7 }, { v: big }, { v: -big }]);
  });

  it('returns every integer as bigint in bigint mode, per database or per call', async () => {
    const db = await openTemp();
    await db.exec(`CREATE TABLE t (v INTEGER, r REAL); INSERT INTO t VALUES (7, 1.5)`);
    expect(await db.get('SELECT v, r FROM t', undefined, { integers: 'bigint' })).toEqual({ v: 7n, r: 1.5 });
    const bigDb = await openTemp({ integers: 'bigint' });
    expect(await bigDb.get('SELECT 1 AS one')).toEqual({ one: 1n });
    expect(await bigDb.get('SELECT 1 AS one', undefined, { integers: 'number' })).toEqual({ one: 1 });
  });

  it('binds bigints exactly and round-trips the largest 64-bit integer', async () => {
    const db = await openTemp({ integers: 'bigint' });
    const max = 2n ** 63n - 1n;
    expect(await db.get('SELECT ? AS v', [max])).toEqual({ v: max });
    await expect(db.get('SELECT ? AS v', [2n ** 64n])).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_PARAMETER_TYPE' });
  });

  it('returns a rowid beyond 2^53 as a bigint rather than failing a committed insert', async () => {
    const db = await openTemp();
    await db.exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, v); INSERT INTO t VALUES (${big}, 'x')`);
    const result = await db.run('INSERT INTO t (v) VALUES (?)', ['y']);
    expect(result.lastInsertRowid).toBe(big + 1n);
  });

  it('rejects an unknown integer mode', async () => {
    const db = await openTemp();
    await expect(db.get('SELECT 1', undefined, { integers: 'string' as never })).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
  });
});
