import { describe, expect, it } from 'vitest';
import { openTemp, slowQuery } from './helpers.ts';

/** Records the order in which calls settle. */
function settleOrder(): { readonly order: string[]; track<T>(name: string, call: Promise<T>): Promise<T> } {
  const order: string[] = [];
  return {
    order,
    track: (name, call) =>
      call.finally(() => {
        order.push(name);
      }),
  };
}

describe('transport: fast answers do not wait behind a slow request of the same batch', () => {
  it('answers a fast call made in the same tick before a query never run on the connection', async () => {
    const db = await openTemp();
    await db.get('SELECT 1 AS x');
    const { order, track } = settleOrder();
    // Both calls travel in one message: the worker sends the first answer before it starts the unknown query.
    const fast = track('fast', db.get<{ x: number }>('SELECT 1 AS x'));
    const slow = track('slow', db.get<{ n: number }>(slowQuery(2)));
    expect(await fast).toEqual({ x: 1 });
    expect(order).toEqual(['fast']);
    expect(await slow).toEqual({ n: 2_000_000 });
    expect(order).toEqual(['fast', 'slow']);
  });

  it('answers fast calls before a query that was slow last time', async () => {
    const db = await openTemp();
    const long = slowQuery(1);
    await db.get(long);
    await db.get('SELECT 1 AS x');
    const { order, track } = settleOrder();
    const calls = [track('fast-1', db.get('SELECT 1 AS x')), track('fast-2', db.get('SELECT 1 AS x')), track('slow', db.get(long))];
    await calls[1];
    expect(order).toEqual(['fast-1', 'fast-2']);
    await Promise.all(calls);
    expect(order).toEqual(['fast-1', 'fast-2', 'slow']);
  });

  it('keeps answers in order and batched for fast known statements (no early flush needed)', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    await db.runMany('INSERT INTO t (v) VALUES (?)', Array.from({ length: 50 }, (_, i) => [`v${i}`]));
    const stmt = await db.prepare<{ v: string }>('SELECT v FROM t WHERE id = ?');
    await stmt.get([1]);
    const { order, track } = settleOrder();
    const rows = await Promise.all(Array.from({ length: 50 }, (_, i) => track(String(i), stmt.get([i + 1]))));
    expect(rows.map((r) => r?.v)).toEqual(Array.from({ length: 50 }, (_, i) => `v${i}`));
    expect(order).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
  });
});
