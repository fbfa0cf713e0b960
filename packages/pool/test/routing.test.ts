import { describe, expect, it } from 'vitest';
import { hasErrorCode } from '@rapsqlite/engine';
import { gate, poolTemp, recorder } from './helpers.ts';

describe('routing', () => {
  it('never runs a write on a reader', async () => {
    const { middleware, seen } = recorder();
    const pool = await poolTemp({ minReaders: 2, maxReaders: 2, middleware: [middleware] });
    await pool.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    await pool.run('INSERT INTO t (v) VALUES (?)', ['a']);
    await pool.runMany('INSERT INTO t (v) VALUES (?)', [['b'], ['c']]);
    const returned = await pool.get<{ id: number }>('INSERT INTO t (v) VALUES (?) RETURNING id', ['d']);
    expect(returned?.id).toBe(4);
    const rows = await pool.all<{ id: number }>('UPDATE t SET v = upper(v) WHERE id <= 2 RETURNING id');
    expect(rows).toHaveLength(2);
    await pool.values('DELETE FROM t WHERE id = 1 RETURNING *');
    await pool.get('SELECT count(*) AS n FROM t');

    const writes = seen.filter((s) => !/^SELECT/i.test(s.sql));
    expect(writes.length).toBeGreaterThan(0);
    for (const op of writes) expect(op.role, op.sql).toBe('writer');
    expect(seen.find((s) => s.sql.startsWith('SELECT'))?.role).toBe('reader');
  });

  it('decides from the prepared statement, not from the SQL text', async () => {
    const { middleware, seen } = recorder();
    const pool = await poolTemp({ middleware: [middleware] });
    await pool.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    // A comment first, lower case, a CTE: text heuristics get these wrong; the statement's readonly flag does not.
    await pool.all('/* report */ with x(n) as (select 1) select n from x');
    await pool.get('-- a write\nINSERT INTO t DEFAULT VALUES RETURNING id');
    expect(seen.slice(1).map((s) => s.role)).toEqual(['reader', 'writer']);
  });

  it('spreads concurrent reads over the readers', async () => {
    const { middleware, seen } = recorder();
    const pool = await poolTemp({ minReaders: 2, maxReaders: 2, middleware: [middleware] });
    await pool.get('SELECT 1'); // learn the routing once
    seen.length = 0;
    await Promise.all([pool.get('SELECT 1'), pool.get('SELECT 1'), pool.get('SELECT 1'), pool.get('SELECT 1')]);
    expect(seen.every((s) => s.role === 'reader')).toBe(true);
    expect(new Set(seen.map((s) => s.id)).size).toBe(2);
  });

  it('sends reads to the writer when maxReaders is 0', async () => {
    const { middleware, seen } = recorder();
    const pool = await poolTemp({ minReaders: 0, maxReaders: 0, middleware: [middleware] });
    await pool.get('SELECT 1');
    await pool.transaction(async (tx) => tx.get('SELECT 2'), { readonly: true });
    expect(new Set(seen.map((s) => s.role))).toEqual(new Set(['writer']));
    expect(pool.stats().readers.total).toBe(0);
  });

  it('routes a statement that does not compile to the writer, whose chain reports the error', async () => {
    const { middleware, seen } = recorder();
    const pool = await poolTemp({ middleware: [middleware] });
    const err = await pool.all('SELEKT 1').catch((e: unknown) => e);
    expect(hasErrorCode(err, 'SQLITE_ERROR')).toBe(true);
    expect(seen).toEqual([expect.objectContaining({ sql: 'SELEKT 1', role: 'writer' })]);
    expect(pool.stats().routing.cached).toBe(0);
  });

  it('routes a new SQL string in one round trip, without a probe (issue 11)', async () => {
    const pool = await poolTemp({ minReaders: 1, maxReaders: 1 });
    const before = pool.stats();
    expect(await pool.get('SELECT 41 + 1 AS answer')).toEqual({ answer: 42 });
    const after = pool.stats();
    // One request on one reader, none on the writer: the caller's thread classified the SQL text.
    expect(after.readers.requests - before.readers.requests).toBe(1);
    expect(after.writer.requests - before.writer.requests).toBe(0);
    expect(after.routing).toEqual({ cached: 0 });
  });

  it('sends INSERT … RETURNING through all() straight to the writer', async () => {
    const { middleware, seen } = recorder();
    const pool = await poolTemp({ middleware: [middleware] });
    await pool.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    const before = pool.stats();
    expect(await pool.all("INSERT INTO t (v) VALUES ('x') RETURNING id")).toEqual([{ id: 1 }]);
    expect(pool.stats().readers.requests).toBe(before.readers.requests);
    expect(seen.at(-1)).toMatchObject({ kind: 'all', role: 'writer' });
  });

  it('runs a prepared statement on the pool, routed on each run', async () => {
    const { middleware, seen } = recorder();
    const pool = await poolTemp({ middleware: [middleware] });
    await pool.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    const insert = await pool.prepare('INSERT INTO t (v) VALUES (?)');
    const select = await pool.prepare<{ v: string }>('SELECT v FROM t ORDER BY id');
    expect([insert.readonly, select.readonly]).toEqual([false, true]);
    await insert.run(['x']);
    expect(await select.all()).toEqual([{ v: 'x' }]);
    expect(seen.map((s) => `${s.kind}:${s.role}`)).toEqual(['exec:writer', 'prepare:writer', 'prepare:reader', 'run:writer', 'all:reader']);
    expect(pool.stats().routing.cached).toBe(2);
  });

  it('streams rows from a reader and holds it until the loop ends', async () => {
    const { middleware, seen } = recorder();
    const pool = await poolTemp({ minReaders: 1, maxReaders: 1, middleware: [middleware] });
    await pool.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    await pool.runMany('INSERT INTO t (id) VALUES (?)', Array.from({ length: 50 }, (_, i) => [i + 1]));
    const ids: number[] = [];
    for await (const row of pool.iterate<{ id: number }>('SELECT id FROM t ORDER BY id', [], { chunkSize: 8 })) {
      ids.push(row.id);
      if (ids.length === 10) expect(pool.stats().readers.used).toBe(1);
      if (ids.length === 20) break;
    }
    expect(ids).toHaveLength(20);
    expect(pool.stats().readers.used).toBe(0);
    expect(seen.at(-1)).toMatchObject({ kind: 'iterate', role: 'reader' });
  });

  it('runs a transaction on the writer across awaits, and other writes wait for it', async () => {
    const { middleware, seen } = recorder();
    const pool = await poolTemp({ middleware: [middleware] });
    await pool.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    const hold = gate();
    const order: string[] = [];
    const tx = pool.transaction(async (t) => {
      await t.run("INSERT INTO t (v) VALUES ('in-tx-1')");
      await hold.promise;
      await t.run("INSERT INTO t (v) VALUES ('in-tx-2')");
      order.push('tx');
    });
    await new Promise((r) => setImmediate(r));
    const outside = pool.run("INSERT INTO t (v) VALUES ('outside')").then(() => order.push('outside'));
    // A read is not blocked by the writer's transaction, and does not see it.
    expect(await pool.get('SELECT count(*) AS n FROM t')).toEqual({ n: 0 });
    hold.open();
    await Promise.all([tx, outside]);
    expect(order).toEqual(['tx', 'outside']);
    expect(await pool.all('SELECT v FROM t ORDER BY id')).toEqual([{ v: 'in-tx-1' }, { v: 'in-tx-2' }, { v: 'outside' }]);
    const txOps = seen.filter((s) => s.sql.includes('in-tx') || ['transaction', 'begin', 'commit'].includes(s.kind));
    expect(txOps.length).toBe(5);
    expect(new Set(txOps.map((s) => s.role))).toEqual(new Set(['writer']));
  });

  it('fails fast when a write transaction calls the pool for the writer instead of its tx', async () => {
    const pool = await poolTemp();
    await pool.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    const err = await pool
      .transaction(async () => {
        await pool.run('INSERT INTO t DEFAULT VALUES');
      })
      .catch((e: unknown) => e);
    expect(hasErrorCode(err, 'ERR_RAPSQLITE_TRANSACTION_DEADLOCK')).toBe(true);
  });
});
