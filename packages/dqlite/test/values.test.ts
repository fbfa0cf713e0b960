import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '@rapsqlite/engine';
import { DqliteErrorCodes, type DqliteDatabase } from '../src/index.ts';
import { codeOf, openFresh, rejection } from './helpers/handles.ts';

const MAX = 9223372036854775807n;
const MIN = -9223372036854775808n;

describe('values on dqlite', () => {
  const opened: DqliteDatabase[] = [];
  const open = async (...args: Parameters<typeof openFresh>) => {
    const db = await openFresh(...args);
    opened.push(db);
    return db;
  };
  afterEach(async () => {
    for (const db of opened.splice(0)) await db.close();
  });

  it('round-trips 64-bit integers at both ends of the range with every integer mode, and refuses them as numbers', async () => {
    const db = await open();
    await db.exec('CREATE TABLE n (id INTEGER PRIMARY KEY, v INTEGER)');
    await db.runMany('INSERT INTO n (id, v) VALUES (?, ?)', [[1, MAX], [2, MIN], [3, 2n ** 53n], [4, -(2n ** 53n) + 1n], [5, Number.MAX_SAFE_INTEGER], [6, -1]]);
    expect(await db.all('SELECT v FROM n ORDER BY id', [], { integers: 'bigint' })).toEqual([MAX, MIN, 2n ** 53n, -(2n ** 53n) + 1n, BigInt(Number.MAX_SAFE_INTEGER), -1n].map((v) => ({ v })));
    expect(await db.all('SELECT v FROM n ORDER BY id', [], { integers: 'auto' })).toEqual([MAX, MIN, 2n ** 53n, -(2 ** 53) + 1, Number.MAX_SAFE_INTEGER, -1].map((v) => ({ v })));
    expect(codeOf(await rejection(db.get('SELECT v FROM n WHERE id = 3')))).toBe(ErrorCodes.INTEGER_OVERFLOW);
    expect(await db.get('SELECT v FROM n WHERE id = 4')).toEqual({ v: -(2 ** 53) + 1 });
    // The handle goes on after an overflow in the middle of a result.
    expect(codeOf(await rejection(db.all('SELECT v FROM n ORDER BY id')))).toBe(ErrorCodes.INTEGER_OVERFLOW);
    expect(await db.get('SELECT count(*) AS c FROM n')).toEqual({ c: 6 });
    const { lastInsertRowid } = await db.run('INSERT INTO n (id, v) VALUES (?, 0)', [MAX - 1n]);
    expect(lastInsertRowid).toBe(MAX - 1n);
  });

  it('binds integers as INTEGER and fractions, -0 and unsafe numbers as REAL', async () => {
    const db = await open();
    const row = await db.get('SELECT typeof(?) AS a, typeof(?) AS b, typeof(?) AS c, typeof(?) AS d, ? AS e', [5, 1.5, -0, 2 ** 60, 0.1]);
    expect(row).toEqual({ a: 'integer', b: 'real', c: 'real', d: 'real', e: 0.1 });
  });

  it('returns BLOBs as Buffers of their own, empty ones included, and large ones across batches', async () => {
    const db = await open();
    await db.exec('CREATE TABLE b (id INTEGER PRIMARY KEY, d BLOB)');
    const big = Buffer.alloc(300_000, 7);
    big[299_999] = 1;
    await db.runMany('INSERT INTO b (d) VALUES (?)', [[Buffer.alloc(0)], [new Uint8Array([1, 2, 3])], [big]]);
    const rows = await db.all<{ d: Buffer }>('SELECT d FROM b ORDER BY id');
    expect(rows.map((r) => Buffer.isBuffer(r.d))).toEqual([true, true, true]);
    expect(rows.map((r) => r.d.length)).toEqual([0, 3, 300_000]);
    expect(rows[2]?.d.equals(big)).toBe(true);
  });

  it('round-trips text in any script and refuses a string holding U+0000 with ERR_RAPSQLITE_PARAMETER_ENCODING before sending it', async () => {
    const db = await open();
    await db.exec('CREATE TABLE t (v TEXT)');
    const text = 'héllo wörld 🦊 \'" 日本語';
    await db.run('INSERT INTO t VALUES (?)', [text]);
    expect(await db.get('SELECT v, length(v) AS n FROM t')).toEqual({ v: text, n: [...text].length });
    const error = await rejection(db.run('INSERT INTO t VALUES (?)', ['a\u0000b']));
    expect(codeOf(error)).toBe(ErrorCodes.PARAMETER_ENCODING);
    expect(error['parameter']).toBe('1');
    expect(await db.get('SELECT count(*) AS n FROM t')).toEqual({ n: 1 });
    // As a BLOB the bytes travel whole.
    await db.run('INSERT INTO t VALUES (?)', [Buffer.from('a\u0000b')]);
    expect(await db.get('SELECT length(v) AS n FROM t WHERE typeof(v) = ?', ['blob'])).toEqual({ n: 3 });
  });

  it("reads dqlite's DATETIME and BOOLEAN columns as SQLite stores them by default, and as Date and boolean with typedValues", async () => {
    const schema = 'CREATE TABLE e (id INTEGER PRIMARY KEY, at DATETIME, day DATE, ok BOOLEAN)';
    const plain = await open();
    await plain.exec(schema);
    await plain.run('INSERT INTO e (at, day, ok) VALUES (?, ?, ?)', ['2024-05-06 07:08:09', '2024-05-06', 1]);
    await plain.run('INSERT INTO e (at, day, ok) VALUES (?, ?, ?)', [1_700_000_000, null, 0]);
    await plain.run('INSERT INTO e (at, day, ok) VALUES (NULL, NULL, NULL)');
    expect(await plain.all('SELECT at, day, ok FROM e ORDER BY id')).toEqual([
      { at: '2024-05-06 07:08:09', day: '2024-05-06', ok: 1 },
      { at: 1_700_000_000, day: null, ok: 0 },
      // dqlite encodes a NULL BOOLEAN as 0: its wire format cannot tell them apart (documented).
      { at: null, day: null, ok: 0 },
    ]);
    const typed = await open({ typedValues: true });
    await typed.exec(schema);
    await typed.run('INSERT INTO e (at, ok) VALUES (?, ?)', ['2024-05-06 07:08:09', 1]);
    await typed.run('INSERT INTO e (at, ok) VALUES (?, ?)', [1_700_000_000, 0]);
    await typed.run('INSERT INTO e (at, ok) VALUES (?, ?)', ['2024-05-06T07:08:09+02:00', 1]);
    const rows = await typed.all<{ at: Date; ok: boolean }>('SELECT at, ok FROM e ORDER BY id');
    expect(rows.map((r) => [r.at instanceof Date ? r.at.toISOString() : r.at, r.ok])).toEqual([
      ['2024-05-06T07:08:09.000Z', true],
      ['2023-11-14T22:13:20.000Z', false],
      ['2024-05-06T05:08:09.000Z', true],
    ]);
  });

  it('reports column names in values() and, over dqlite, null declared types and origins', async () => {
    const db = await open();
    await db.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO items (name) VALUES ('a')");
    const { columns, rows } = await db.values('SELECT id, name AS label, id * 2 AS double FROM items');
    expect(rows).toEqual([[1, 'a', 2]]);
    expect(columns.map((c) => ({ ...c }))).toEqual(['id', 'label', 'double'].map((name) => ({ name, type: null, table: null, column: null, database: null })));
  });

  it('binds 255 parameters, and beyond sends the 32-bit tuple format, which an older server refuses with a coded error', async () => {
    const db = await open();
    const sum = (n: number) => `SELECT ${Array.from({ length: n }, () => '?').join(' + ')} AS total`;
    const values = (n: number) => Array.from({ length: n }, (_, i) => i);
    expect(await db.get(sum(255), values(255))).toEqual({ total: (254 * 255) / 2 });
    // Debian's dqlite 1.11 predates the format; a newer server answers the sum.
    const outcome = await db.get(sum(300), values(300)).catch((err: unknown) => codeOf(err));
    expect([DqliteErrorCodes.PROTOCOL, { total: (299 * 300) / 2 }]).toContainEqual(outcome);
    expect(await db.get('SELECT 1 AS ok')).toEqual({ ok: 1 });
  });

  it('binds named parameters by position with every prefix, repeated names once', async () => {
    const db = await open();
    expect(await db.get('SELECT :a AS a, @b AS b, $c AS c, :a AS again, ?9 AS nine', Array.from({ length: 9 }, (_, i) => i + 1))).toEqual({ a: 1, b: 2, c: 3, again: 1, nine: 9 });
    expect(await db.get('SELECT :a AS a, @a AS b, $c AS c', { a: 'x', c: 'y' })).toEqual({ a: 'x', b: 'x', c: 'y' });
    expect(codeOf(await rejection(db.get('SELECT ? AS a', { a: 1 })))).toBe(ErrorCodes.PARAMETER_COUNT);
    expect(codeOf(await rejection(db.run('SELECT 1; SELECT 2')))).toBe(ErrorCodes.INVALID_ARGUMENT);
    expect(codeOf(await rejection(db.run('  -- nothing  ')))).toBe(ErrorCodes.INVALID_ARGUMENT);
  });
});
