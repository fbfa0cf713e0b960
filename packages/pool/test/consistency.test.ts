import { describe, expect, it } from 'vitest';
import { hasErrorCode } from '@rapsqlite/engine';
import { gate, poolTemp, recorder, turns } from './helpers.ts';

describe('read-only transactions', () => {
  it('keeps seeing one snapshot while the writer commits', async () => {
    const { middleware, seen } = recorder();
    const pool = await poolTemp({ minReaders: 2, middleware: [middleware] });
    await pool.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    await pool.run('INSERT INTO t DEFAULT VALUES');
    const hold = gate();
    const firstRead = gate();
    const read = pool.transaction(
      async (tx) => {
        const before = await tx.get<{ n: number }>('SELECT count(*) AS n FROM t');
        firstRead.open();
        await hold.promise;
        const after = await tx.get<{ n: number }>('SELECT count(*) AS n FROM t');
        return [before?.n, after?.n];
      },
      { readonly: true },
    );
    // The snapshot begins with the first read.
    await firstRead.promise;
    await pool.run('INSERT INTO t DEFAULT VALUES');
    await pool.run('INSERT INTO t DEFAULT VALUES');
    // Outside the transaction, a read sees both commits.
    expect(await pool.get('SELECT count(*) AS n FROM t')).toEqual({ n: 3 });
    hold.open();
    expect(await read).toEqual([1, 1]);
    const txOps = seen.filter((s) => s.kind === 'transaction' || s.kind === 'begin' || s.kind === 'commit');
    expect(txOps.map((s) => s.role)).toEqual(['reader', 'reader', 'reader']);
    expect(txOps[1]?.sql).toBe('BEGIN DEFERRED');
  });

  it('cannot write', async () => {
    const pool = await poolTemp();
    await pool.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    const err = await pool.transaction((tx) => tx.run('INSERT INTO t DEFAULT VALUES'), { readonly: true }).catch((e: unknown) => e);
    expect(hasErrorCode(err, 'SQLITE_READONLY')).toBe(true);
    expect(await pool.get('SELECT count(*) AS n FROM t')).toEqual({ n: 0 });
  });

  it("refuses a mode other than 'deferred'", async () => {
    const pool = await poolTemp();
    const err = await pool.transaction(() => 1, { readonly: true, mode: 'immediate' }).catch((e: unknown) => e);
    expect(hasErrorCode(err, 'ERR_RAPSQLITE_INVALID_ARGUMENT')).toBe(true);
  });
});

describe('read-your-writes', () => {
  async function setup(readYourWrites: boolean) {
    const pool = await poolTemp({ readYourWrites });
    await pool.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    await pool.get('SELECT count(*) AS n FROM t'); // learn the routing
    // Hold the writer, so that writes issued now cannot have finished when the read is issued.
    const hold = gate();
    const tx = pool.transaction(async (t) => {
      await t.run('INSERT INTO t DEFAULT VALUES');
      await hold.promise;
    });
    await turns(20);
    const write = pool.run('INSERT INTO t DEFAULT VALUES');
    return { pool, hold, done: Promise.all([tx, write]) };
  }

  it('is off by default: a read does not wait for writes still in flight', async () => {
    const { pool, hold, done } = await setup(false);
    expect(await pool.get('SELECT count(*) AS n FROM t')).toEqual({ n: 0 });
    hold.open();
    await done;
  });

  it('makes a read wait for the writes issued before it, then run on a reader', async () => {
    const { middleware, seen } = recorder();
    const { pool, hold, done } = await setup(true);
    const read = pool.with(middleware).get('SELECT count(*) AS n FROM t');
    let settled = false;
    void read.then(() => (settled = true));
    await turns(20);
    expect(settled).toBe(false);
    hold.open();
    expect(await read).toEqual({ n: 2 });
    await done;
    expect(seen.map((s) => s.role)).toEqual(['reader']);
  });

  it('can be asked for per call', async () => {
    const { pool, hold, done } = await setup(false);
    const read = pool.get('SELECT count(*) AS n FROM t', [], { readYourWrites: true });
    hold.open();
    expect(await read).toEqual({ n: 2 });
    await done;
  });

  it('does not wait for writes issued after the read', async () => {
    const pool = await poolTemp({ readYourWrites: true });
    await pool.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    await pool.get('SELECT count(*) AS n FROM t');
    const read = pool.get('SELECT count(*) AS n FROM t');
    const hold = gate();
    const tx = pool.transaction(async (t) => {
      await t.run('INSERT INTO t DEFAULT VALUES');
      await hold.promise;
    });
    expect(await read).toEqual({ n: 0 });
    hold.open();
    await tx;
  });

  it('does not deadlock when a read is issued through the pool inside a write transaction', async () => {
    const pool = await poolTemp({ readYourWrites: true });
    await pool.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    const seenInside = await pool.transaction(async (tx) => {
      await tx.run('INSERT INTO t DEFAULT VALUES');
      // The reader cannot see the uncommitted row; `tx` can.
      return [await pool.get('SELECT count(*) AS n FROM t'), await tx.get('SELECT count(*) AS n FROM t')];
    });
    expect(seenInside).toEqual([{ n: 0 }, { n: 1 }]);
  });
});

describe('schema changes made through the writer', () => {
  it('every reader answers with the new column names, through cached statements', async () => {
    const pool = await poolTemp({ minReaders: 2, maxReaders: 2 });
    await pool.exec('CREATE TABLE t (a INTEGER, b INTEGER); INSERT INTO t VALUES (1, 2)');
    const sql = 'SELECT * FROM t WHERE rowid = ?';
    // Both readers cache the statement with the old names.
    expect(await Promise.all([pool.get(sql, [1]), pool.get(sql, [1]), pool.get(sql, [1])])).toEqual([
      { a: 1, b: 2 },
      { a: 1, b: 2 },
      { a: 1, b: 2 },
    ]);
    await pool.exec('ALTER TABLE t RENAME COLUMN a TO x');
    for (let i = 0; i < 3; i++) {
      expect(await Promise.all([pool.get(sql, [1]), pool.get(sql, [1]), pool.all(sql, [1])])).toEqual([{ x: 1, b: 2 }, { x: 1, b: 2 }, [{ x: 1, b: 2 }]]);
    }
  });
});
