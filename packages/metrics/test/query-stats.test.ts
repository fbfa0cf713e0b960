import { describe, expect, it, vi } from 'vitest';
import { LogHistogram } from '../src/internal/log-histogram.ts';
import { QUERY_STATS_ORDERS, queryStats } from '../src/index.ts';
import { onCleanup, openTemp, statement, stubChain } from './helpers.ts';

/** Makes every operation through `execute` take exactly the next of `durations` milliseconds. */
function timed(durations: number[]): void {
  let clock = 0;
  let start = true;
  const now = vi.spyOn(performance, 'now').mockImplementation(() => {
    if (!start) clock += durations.shift() ?? 0;
    start = !start;
    return clock;
  });
  onCleanup(() => now.mockRestore());
}

describe('queryStats()', () => {
  it('groups statements by the fingerprint of their normalized text, keeping the first text seen without literals', async () => {
    const stats = queryStats();
    const db = await openTemp({ middleware: [stats] });
    await db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)');
    await db.get("SELECT * FROM users WHERE email = 'a@example.com'");
    await db.get('select *   from users where email = ?', ['b@example.com']);
    await db.get('SELECT * FROM users WHERE email = :email', { email: 'c@example.com' });

    const [entry] = stats.stats().filter((e) => e.summary === 'SELECT users');
    expect(stats.stats().filter((e) => e.summary === 'SELECT users')).toHaveLength(1);
    expect(entry).toMatchObject({
      query: 'SELECT * FROM users WHERE email = ?',
      example: 'SELECT * FROM users WHERE email = ?',
      calls: 3,
      rows: 0,
      errors: 0,
    });
    expect(entry?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(entry?.since).toBeInstanceOf(Date);
    expect(JSON.stringify(stats.stats())).not.toContain('example.com');
  });

  it('computes total, min, max, mean, population stddev (Welford) and estimated percentiles', async () => {
    const stats = queryStats();
    const execute = stubChain([stats], () => []);
    const durations = [1, 2, 3, 4, 100];
    timed([...durations]);
    for (let i = 0; i < durations.length; i++) await execute(statement('all', 'SELECT * FROM t'));
    const [entry] = stats.stats();
    const mean = 22;
    const stddev = Math.sqrt(durations.reduce((sum, d) => sum + (d - mean) ** 2, 0) / durations.length);
    expect(entry).toMatchObject({ calls: 5, totalMs: 110, minMs: 1, maxMs: 100 });
    expect(entry?.meanMs).toBeCloseTo(mean, 12);
    expect(entry?.stddevMs).toBeCloseTo(stddev, 9);
    expect(entry?.p50Ms).toBeGreaterThanOrEqual(3 / 1.1);
    expect(entry?.p50Ms).toBeLessThanOrEqual(3 * 1.1);
    expect(entry?.p99Ms).toBe(100);
  });

  it('counts failures apart, by code, and rows returned or changed', async () => {
    const stats = queryStats();
    const db = await openTemp({ middleware: [stats] });
    await db.exec('CREATE TABLE u (email TEXT UNIQUE)');
    await db.runMany('INSERT INTO u VALUES (?)', [['a'], ['b']]);
    await db.run('INSERT INTO u VALUES (?)', ['c']);
    await expect(db.run('INSERT INTO u VALUES (?)', ['a'])).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_UNIQUE' });
    await db.all('SELECT email FROM u');
    const byText = Object.fromEntries(stats.stats().map((e) => [e.query, e]));
    expect(byText['INSERT INTO u VALUES (?)']).toMatchObject({ calls: 2, rows: 3, errors: 1, errorsByCode: { SQLITE_CONSTRAINT_UNIQUE: 1 } });
    expect(byText['SELECT email FROM u']).toMatchObject({ calls: 1, rows: 3 });
  });

  it('sorts by any order and resets', async () => {
    const stats = queryStats();
    const execute = stubChain([stats], () => []);
    timed([5, 1, 1, 1, 50]);
    await execute(statement('all', 'SELECT a FROM t'));
    for (let i = 0; i < 3; i++) await execute(statement('all', 'SELECT b FROM t'));
    await execute(statement('all', 'SELECT c FROM t'));
    expect(stats.top(2, 'calls').map((e) => e.query)).toEqual(['SELECT b FROM t', expect.any(String)]);
    expect(stats.top(1).map((e) => e.query)).toEqual(['SELECT c FROM t']);
    expect(stats.top(3, 'meanTime').map((e) => e.query)).toEqual(['SELECT c FROM t', 'SELECT a FROM t', 'SELECT b FROM t']);
    for (const order of QUERY_STATS_ORDERS) expect(stats.top(10, order)).toHaveLength(3);
    expect(() => stats.top(1, 'nope' as never)).toThrow(expect.objectContaining({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' }));
    stats.reset();
    expect(stats.size).toBe(0);
    expect(stats.stats()).toEqual([]);
  });

  it('stays within its bound, evicting the least executed statements and counting evictions', async () => {
    const stats = queryStats({ max: 20 });
    expect(stats.max).toBe(20);
    const execute = stubChain([stats], () => []);
    // A statement run often, then many run once.
    for (let i = 0; i < 10; i++) await execute(statement('get', 'SELECT * FROM hot WHERE id = ?'));
    for (let i = 0; i < 40; i++) await execute(statement('get', `SELECT * FROM cold_${i}`));
    // 41 distinct statements in a table of 20, one evicted at a time (5 % of 20).
    expect(stats.size).toBe(20);
    expect(stats.evictions).toBe(21);
    expect(stats.stats().some((e) => e.query === 'SELECT * FROM hot WHERE id = ?' && e.calls === 10)).toBe(true);
    stats.reset();
    expect(stats.evictions).toBe(0);
    expect(() => queryStats({ max: 0 })).toThrow(expect.objectContaining({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' }));
  });

  it('counts only the kinds asked for', async () => {
    const stats = queryStats({ kinds: ['get'] });
    const db = await openTemp({ middleware: [stats] });
    await db.exec('CREATE TABLE n (x)');
    await db.transaction(async (tx) => {
      await tx.get('SELECT x FROM n');
      await tx.all('SELECT x FROM n');
    });
    expect(stats.stats().map((e) => e.query)).toEqual(['SELECT x FROM n']);
    expect(stats.stats()[0]?.calls).toBe(1);
  });
});

describe('the percentile estimator', () => {
  it('estimates quantiles of a wide range within 10 %', () => {
    const histogram = new LogHistogram();
    const values: number[] = [];
    for (let i = 1; i <= 20_000; i++) values.push(0.001 * 1.0005 ** i);
    for (const v of values) histogram.record(v);
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0.5, 0.9, 0.95, 0.99]) {
      const exact = sorted[Math.ceil(q * sorted.length) - 1] as number;
      const estimate = histogram.quantile(q, sorted[0] as number, sorted.at(-1) as number);
      expect(Math.abs(estimate - exact) / exact).toBeLessThan(0.1);
    }
  });
});
