import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Database, SqlValue } from '../src/index.ts';
import { openTemp } from './helpers.ts';

/**
 * What the transport carries between the worker and the caller: every kind of value, at the sizes and widths where
 * a format would split or overflow, in answers batched with others and in answers sent in several messages.
 */

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

/** Strict sameness: -0 is not 0, NaN is NaN, a BLOB is a Buffer with the same bytes. */
function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b);
  if (a instanceof Uint8Array || b instanceof Uint8Array) return Buffer.isBuffer(a) && b instanceof Uint8Array && Buffer.compare(a, b) === 0;
  return a === b;
}

function sameRow(got: readonly unknown[], want: readonly unknown[]): boolean {
  return got.length === want.length && got.every((v, i) => same(v, want[i]));
}

/** What a bound value reads back as: NaN is stored as NULL; everything else exactly. */
function stored(v: SqlValue): unknown {
  return typeof v === 'number' && Number.isNaN(v) ? null : v;
}

/** Reads `sql` through every reader as rows of cells, in column order. */
async function throughEveryReader(db: Database, sql: string, params: SqlValue[] = []): Promise<unknown[][][]> {
  const fromGet = await db.get<Record<string, unknown>>(sql, params, { integers: 'bigint' });
  const fromAll = await db.all<Record<string, unknown>>(sql, params, { integers: 'bigint' });
  const fromValues = (await db.values(sql, params, { integers: 'bigint' })).rows;
  const fromIterate: unknown[][] = [];
  for await (const row of db.iterate<Record<string, unknown>>(sql, params, { integers: 'bigint', chunkSize: 3 })) fromIterate.push(Object.values(row));
  const statement = await db.prepare<Record<string, unknown>>(sql);
  const fromPrepared = await statement.all(params, { integers: 'bigint' });
  return [
    fromGet === undefined ? [] : [Object.values(fromGet)],
    fromAll.map((r) => Object.values(r)),
    fromValues,
    fromIterate,
    fromPrepared.map((r) => Object.values(r)),
  ];
}

describe('transport format: every value at its edges', () => {
  it('carries every SQLite type, 64-bit integer edges, -0, NaN, NUL and every plane in one row through every reader', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE v (a, b, c, d, e, f, g, h, i, j, k)');
    const row: SqlValue[] = [I64_MIN, I64_MAX, -0, Number.NaN, 1.5e308, 'a\u0000b', '😀\u{10ffff}\uffff', '', new Uint8Array(0), Buffer.from([0, 255, 0]), null];
    await db.run('INSERT INTO v VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', row);
    const want = row.map(stored);
    // Untyped columns keep -0 as a REAL; SQLite stores NaN as NULL.
    for (const rows of await throughEveryReader(db, 'SELECT * FROM v')) {
      expect(rows).toHaveLength(1);
      expect(sameRow(rows[0]!, want), `got ${String(rows[0])}`).toBe(true);
    }
    expect(await db.get('SELECT typeof(a) AS a, typeof(c) AS c, typeof(d) AS d, typeof(i) AS i FROM v')).toEqual({ a: 'integer', c: 'real', d: 'null', i: 'blob' });
  });

  it('refuses a lone surrogate in a parameter with a coded error rather than carrying a different string', async () => {
    const db = await openTemp();
    await expect(db.get('SELECT ? AS s', ['x\ud800y'])).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_PARAMETER_ENCODING' });
    await expect(db.get('SELECT ? AS s', ['\udfff'])).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_PARAMETER_ENCODING' });
    // A surrogate pair is a well-formed character and comes back as it went.
    expect(await db.get('SELECT ? AS s', ['\ud83d\ude00'])).toEqual({ s: '😀' });
  });

  it('carries a 16 MiB blob both ways, alone and in a batch of small answers', async () => {
    const db = await openTemp();
    const big = Buffer.alloc(16 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big[i] = i % 251;
    big.writeUInt32BE(0xdeadbeef, big.length - 4);
    await db.exec('CREATE TABLE b (id INTEGER PRIMARY KEY, v BLOB)');
    await db.run('INSERT INTO b (id, v) VALUES (1, ?)', [big]);
    const [before, row, after] = await Promise.all([db.get('SELECT 1 AS x'), db.get<{ v: Buffer }>('SELECT v FROM b WHERE id = 1'), db.get('SELECT 2 AS x')]);
    expect(before).toEqual({ x: 1 });
    expect(after).toEqual({ x: 2 });
    expect(Buffer.isBuffer(row?.v)).toBe(true);
    expect(row!.v.length).toBe(big.length);
    expect(Buffer.compare(row!.v, big)).toBe(0);
    expect(await db.get('SELECT length(v) AS n, hex(substr(v, -4)) AS tail FROM b')).toEqual({ n: 16 * 1024 * 1024, tail: 'DEADBEEF' });
  });

  it('carries rows of 2000 columns (SQLite’s limit) through every reader, and refuses 2001 with a coded error', async () => {
    const db = await openTemp();
    const width = 2000;
    const columns = Array.from({ length: width }, (_, i) => `? AS "c ${i}"`).join(', ');
    const params: SqlValue[] = Array.from({ length: width }, (_, i) => (i % 4 === 0 ? BigInt(i) * 2n ** 40n : i % 4 === 1 ? `t${i}` : i % 4 === 2 ? i + 0.5 : null));
    const want = params.map(stored);
    for (const rows of await throughEveryReader(db, `SELECT ${columns}`, params)) {
      expect(rows).toHaveLength(1);
      expect(sameRow(rows[0]!, want)).toBe(true);
    }
    const named = await db.get<Record<string, unknown>>(`SELECT ${columns}`, params, { integers: 'bigint' });
    expect(Object.keys(named!)).toEqual(Array.from({ length: width }, (_, i) => `c ${i}`));
    const tooWide = Array.from({ length: width + 1 }, (_, i) => `${i} AS c${i}`).join(', ');
    await expect(db.get(`SELECT ${tooWide}`)).rejects.toMatchObject({ code: 'SQLITE_ERROR' });
  });

  it('gives plain rows for hostile column names (prototype keys, quotes, empty, NUL-free binary) in a batched answer', async () => {
    const db = await openTemp();
    const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '', ' ', '"', "'", '\\', '$1', 'a.b', '0', '-1', '😀', 'valueOf'];
    const sql = `SELECT ${names.map((n, i) => `${i} AS "${n.replaceAll('"', '""')}"`).join(', ')}`;
    const [row, again] = await Promise.all([db.get<Record<string, unknown>>(sql), db.all<Record<string, unknown>>(sql)]);
    for (const r of [row!, again[0]!]) {
      expect(Object.getPrototypeOf(r)).toBe(Object.prototype);
      names.forEach((n, i) => {
        expect(Object.hasOwn(r, n), n).toBe(true);
        expect(r[n]).toBe(i);
      });
    }
  });
});

describe('transport format: answers larger than one message', () => {
  it('carries an all() of 25 000 mixed rows (several messages) in order and exactly, batched with fast calls', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE r (id INTEGER PRIMARY KEY, i INTEGER, t TEXT, b BLOB, f)');
    const count = 25_000;
    const rows: SqlValue[][] = Array.from({ length: count }, (_, k) => [k + 1, BigInt(k % 8191) * 2n ** 50n - 2n ** 62n, `row ${k}\u0000${'x'.repeat(k % 40)}`, Buffer.from([k & 255, (k >> 8) & 255]), k === 7 ? -0 : k / 3]);
    await db.runMany('INSERT INTO r (id, i, t, b, f) VALUES (?, ?, ?, ?, ?)', rows);
    const [first, all, last] = await Promise.all([
      db.get<{ n: number }>('SELECT count(*) AS n FROM r'),
      db.values('SELECT id, i, t, b, f FROM r ORDER BY id', [], { integers: 'bigint' }),
      db.get<{ n: number }>('SELECT max(id) AS n FROM r'),
    ]);
    expect(first).toEqual({ n: count });
    expect(last).toEqual({ n: count });
    expect(all.rows).toHaveLength(count);
    const bad = all.rows.findIndex((got, k) => !sameRow(got, [BigInt(k + 1), ...rows[k]!.slice(1)]));
    expect(bad).toBe(-1);
  });

  it('fails an all() whose last message would hold an integer past 2^53 in number mode, without a partial answer', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE r (id INTEGER PRIMARY KEY, i INTEGER)');
    await db.runMany('INSERT INTO r (i) VALUES (?)', Array.from({ length: 9_000 }, (_, k) => [k === 8_999 ? 2n ** 53n + 1n : k]));
    await expect(db.all('SELECT i FROM r ORDER BY id', [], { integers: 'number' })).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_INTEGER_OVERFLOW' });
    // The connection is still in step: the next answers are the right ones.
    expect(await db.get('SELECT count(*) AS n FROM r')).toEqual({ n: 9_000 });
    expect((await db.all('SELECT i FROM r WHERE id <= 3 ORDER BY id')).map((r) => r['i'])).toEqual([0, 1, 2]);
  });
});

describe('transport format: any row round-trips (property)', () => {
  const value: fc.Arbitrary<SqlValue> = fc.oneof(
    fc.bigInt({ min: I64_MIN, max: I64_MAX }),
    fc.constantFrom<SqlValue>(I64_MIN, I64_MAX, 0n, -0, Number.NaN, Number.MAX_VALUE, -Number.MIN_VALUE, '', '\u0000', new Uint8Array(0), null),
    fc.double(),
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.uint8Array({ maxLength: 64 }),
    fc.constant(null),
  );

  it('returns any row of any width exactly, read as a bare SELECT of parameters, several rows in flight at once', async () => {
    const db = await openTemp();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(value, { minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 8 }), async (rows) => {
        // Every row in flight at once: the answers travel together in one reply batch.
        const got = await Promise.all(
          rows.map(async (row) => {
            const sql = `SELECT ${row.map((_, i) => `? AS c${i}`).join(', ')}`;
            const [asValues, asObject] = await Promise.all([db.values(sql, row, { integers: 'bigint' }), db.get<Record<string, unknown>>(sql, row, { integers: 'bigint' })]);
            return [asValues.rows[0]!, Object.values(asObject!)];
          }),
        );
        return rows.every((row, k) => {
          const want = row.map(stored);
          return sameRow(got[k]![0]!, want) && sameRow(got[k]![1]!, want);
        });
      }),
      { numRuns: 150, seed: 12 },
    );
  });
});
