import { describe, expect, it } from 'vitest';
import type { Pool } from '../src/index.ts';
import { CallCosts } from '../src/internal/call-costs.ts';
import { poolTemp, recorder, type Seen } from './helpers.ts';

/** A read that keeps SQLite busy for `millions` million steps of a recursive CTE (hundreds of milliseconds). */
const LONG = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) SELECT count(*) AS n FROM c';
const POINT = 'SELECT v FROM t WHERE id = ?';

async function setup(options: { pipelining?: number } = {}): Promise<{ pool: Pool; seen: Seen[] }> {
  const { middleware, seen } = recorder();
  const pool = await poolTemp({ minReaders: 2, maxReaders: 2, middleware: [middleware], ...options });
  await pool.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
  await pool.runMany('INSERT INTO t (v) VALUES (?)', Array.from({ length: 100 }, (_, i) => [`v${i + 1}`]));
  // The point read is measured (fast) before the tests start; the first call on a cold connection may be slow.
  for (let i = 1; i <= 10; i++) await pool.get(POINT, [i]);
  seen.length = 0;
  return { pool, seen };
}

/** Starts the long read and returns it with a flag that says whether it has settled. */
function startLong(pool: Pool, millions: number): { readonly done: Promise<unknown>; settled(): boolean } {
  let settled = false;
  const done = pool.get(LONG, [millions * 1e6]).finally(() => {
    settled = true;
  });
  return { done, settled: () => settled };
}

/** The connection that ran the call of `sql` with these parameters' first element, as the recorder saw it. */
function connectionOf(seen: readonly Seen[], sql: string, nth = 0): number | undefined {
  return seen.filter((s) => s.sql === sql)[nth]?.id;
}

describe('routing around long statements', () => {
  it('does not pipeline a point read behind a statement never measured while another reader serves fast calls', async () => {
    const { pool, seen } = await setup();
    const long = startLong(pool, 3);
    // The long read took an idle reader; the next reads share the other one, though it then runs more calls.
    const points = [1, 2, 3, 4].map((id) => pool.get<{ v: string }>(POINT, [id]));
    const rows = await Promise.all(points);
    expect(rows.map((r) => r?.v)).toEqual(['v1', 'v2', 'v3', 'v4']);
    expect(long.settled()).toBe(false);
    await long.done;
    const longConnection = connectionOf(seen, LONG);
    const pointConnections = new Set(seen.filter((s) => s.sql === POINT).map((s) => s.id));
    expect(pointConnections.size).toBe(1);
    expect(pointConnections.has(longConnection)).toBe(false);
  });

  it('does not pipeline behind a statement known to be slow, even onto the reader with fewer calls', async () => {
    const { pool, seen } = await setup();
    // Measured once: the pool now knows this SQL text is slow.
    await pool.get(LONG, [200_000]);
    seen.length = 0;
    const long = startLong(pool, 3);
    const first = await Promise.all([1, 2, 3].map((id) => pool.get<{ v: string }>(POINT, [id])));
    // More rounds while the long read runs: each finds the long read's reader with one call and the other with
    // several in flight, and still takes the other.
    for (let round = 0; round < 3; round++) {
      const rows = await Promise.all([4, 5, 6, 7, 8].map((id) => pool.get<{ v: string }>(POINT, [id])));
      expect(rows.map((r) => r?.v)).toEqual(['v4', 'v5', 'v6', 'v7', 'v8']);
    }
    expect(first.map((r) => r?.v)).toEqual(['v1', 'v2', 'v3']);
    expect(long.settled()).toBe(false);
    await long.done;
    const longConnection = connectionOf(seen, LONG);
    expect(seen.filter((s) => s.sql === POINT).every((s) => s.id !== longConnection)).toBe(true);
  });

  it('queues a read for the first reader that answers rather than behind a call that has stalled', async () => {
    const { pool, seen } = await setup({ pipelining: 2 });
    const long = startLong(pool, 3);
    // Past the stall threshold: the long read's reader is now avoided even by calls that find the other one full.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(long.settled()).toBe(false);
    const rows = await Promise.all([1, 2, 3, 4, 5].map((id) => pool.get<{ v: string }>(POINT, [id])));
    expect(rows.map((r) => r?.v)).toEqual(['v1', 'v2', 'v3', 'v4', 'v5']);
    expect(long.settled()).toBe(false);
    await long.done;
    const longConnection = connectionOf(seen, LONG);
    expect(seen.filter((s) => s.sql === POINT).every((s) => s.id !== longConnection)).toBe(true);
  });

  it('opens another reader for a point read rather than queueing it behind a slow call on the only open one', async () => {
    const { middleware, seen } = recorder();
    const pool = await poolTemp({ minReaders: 1, maxReaders: 2, middleware: [middleware] });
    for (let i = 0; i < 10; i++) await pool.get<{ x: number }>('SELECT 1 AS x');
    await pool.get(LONG, [200_000]);
    expect(pool.stats().readers.total).toBe(1);
    seen.length = 0;
    const long = startLong(pool, 3);
    const point = await pool.get<{ x: number }>('SELECT 1 AS x');
    expect(point).toEqual({ x: 1 });
    expect(long.settled()).toBe(false);
    expect(pool.stats().readers.total).toBe(2);
    await long.done;
    expect(connectionOf(seen, 'SELECT 1 AS x')).not.toBe(connectionOf(seen, LONG));
  });

  it('still shares a reader running a slow call when no other reader can take the call', async () => {
    const { middleware, seen } = recorder();
    const pool = await poolTemp({ minReaders: 1, maxReaders: 1, middleware: [middleware] });
    await pool.get(LONG, [200_000]);
    const long = pool.get<{ n: number }>(LONG, [1_000_000]);
    const point = pool.get<{ x: number }>('SELECT 1 AS x');
    expect(await point).toEqual({ x: 1 });
    expect(await long).toEqual({ n: 1_000_000 });
    expect(new Set(seen.map((s) => s.id)).size).toBe(1);
    expect(pool.stats().readers).toMatchObject({ total: 1, pending: 0 });
  });

  it('runs a transaction and an iterate loop that reads through the pool on the same reader without waiting for itself', async () => {
    const { middleware } = recorder();
    const pool = await poolTemp({ minReaders: 1, maxReaders: 2, middleware: [middleware] });
    await pool.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    await pool.runMany('INSERT INTO t (v) VALUES (?)', Array.from({ length: 20 }, (_, i) => [`v${i + 1}`]));
    let count = 0;
    // The cursor holds its reader for the whole loop; reads made inside the loop must not wait for it to end.
    for await (const row of pool.iterate<{ id: number }>('SELECT id FROM t ORDER BY id', [], { chunkSize: 4 })) {
      const again = await pool.get<{ v: string }>(POINT, [row.id]);
      expect(again?.v).toBe(`v${row.id}`);
      count++;
    }
    expect(count).toBe(20);
    const total = await pool.transaction(async (tx) => (await tx.get<{ n: number }>('SELECT count(*) AS n FROM t'))?.n, { readonly: true });
    expect(total).toBe(20);
  });
});

describe('call costs', () => {
  it('takes a first slow measurement at once, shrugs off a few delayed answers, and forgets slowness after fast calls', () => {
    const costs = new CallCosts(2);
    expect(costs.cost('a')).toBe('unknown');
    costs.record('a', 0.05);
    expect(costs.cost('a')).toBe('fast');
    // Answers delayed by a busy event loop, two in a row: still fast; a third makes it slow.
    for (let i = 0; i < 2; i++) costs.record('a', 500);
    expect(costs.cost('a')).toBe('fast');
    costs.record('a', 500);
    expect(costs.cost('a')).toBe('slow');
    costs.record('a', 0.05);
    costs.record('b', 540);
    expect(costs.cost('b')).toBe('slow');
    costs.record('b', 0.05);
    expect(costs.cost('b')).toBe('slow');
    costs.record('b', 0.05);
    expect(costs.cost('b')).toBe('fast');
    // Bounded: a third text evicts the oldest.
    costs.record('c', 1);
    expect(costs.size).toBe(2);
    expect(costs.cost('a')).toBe('unknown');
  });

  it('sends a read to a reader holding an open cursor last, so it sees a write acknowledged after the cursor opened', async () => {
    const { pool, seen } = await setup();
    // A cursor left open on one reader: its statement keeps that connection's snapshot.
    const cursor = pool.iterate<{ id: number }>('SELECT id FROM t ORDER BY id', [], { chunkSize: 10 })[Symbol.asyncIterator]();
    expect((await cursor.next()).value).toEqual({ id: 1 });
    const cursorConnection = seen.find((s) => s.kind === 'iterate')?.id;
    await pool.run("UPDATE t SET v = 'new' WHERE id = 1");
    seen.length = 0;
    // Several reads at once: the first takes the idle reader, the others share a connection.
    const reads = await Promise.all([1, 1, 1, 1].map((id) => pool.get<{ v: string }>(POINT, [id])));
    expect(reads).toEqual([{ v: 'new' }, { v: 'new' }, { v: 'new' }, { v: 'new' }]);
    expect(seen.filter((s) => s.sql === POINT).map((s) => s.id)).not.toContain(cursorConnection);
    await cursor.return?.();
  });
});
