import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { open } from '../src/index.ts';
import { onCleanup, openTemp, slowQuery, tempDir } from './helpers.ts';

const functions = new URL('./fixtures/functions.js', import.meta.url);

describe('close', () => {
  it('lets queued work finish, then refuses new calls with ERR_RAPSQLITE_CLOSED', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE t (x)');
    const queued = Array.from({ length: 100 }, (_, i) => db.run('INSERT INTO t VALUES (?)', [i]));
    const closing = db.close();
    expect(db.closed).toBe(true);
    await expect(db.get('SELECT 1')).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_CLOSED' });
    await Promise.all(queued);
    await closing;
    await expect(db.run('INSERT INTO t VALUES (1)')).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_CLOSED' });
    await expect(db.transaction(async () => 1)).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_CLOSED' });
    const reopened = await open(db.path);
    expect(await reopened.get('SELECT count(*) AS n FROM t')).toEqual({ n: 100 });
    await reopened.close();
  });

  it('waits for a running transaction before closing, and the transaction commits', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE t (x)');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const tx = db.transaction(async (t) => {
      await gate;
      await t.run('INSERT INTO t VALUES (1)');
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    const closing = db.close();
    release();
    await tx;
    await closing;
    const again = await open(db.path);
    expect(await again.get('SELECT count(*) AS n FROM t')).toEqual({ n: 1 });
    await again.close();
  });

  it('is idempotent and works with await using', async () => {
    const path = join(tempDir(), 'dispose.db');
    {
      await using db = await open(path);
      await db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    }
    const db = await open(path);
    await db.close();
    await db.close();
    expect(db.closed).toBe(true);
  });
});

describe('worker failure', () => {
  it('rejects the call that killed the worker, and runs the calls it had not started on a fresh worker', async () => {
    const db = await openTemp({ pragmas: ['user_version = 42'] });
    await db.function('die', { module: functions, export: 'die' });
    await db.function('slugify', { module: functions, export: 'slugify' });
    await db.exec('CREATE TABLE t (x)');
    await db.run('INSERT INTO t VALUES (1)');
    const dying = db.get('SELECT die() AS x');
    const afterDeath = db.get('SELECT 2 AS two');
    await expect(dying).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_WORKER_DIED' });
    // The dead worker never started it (the shared cancellation table says how far it got): it ran on the replacement.
    await expect(afterDeath).resolves.toEqual({ two: 2 });
    // The replacement has the same pragmas, functions and data.
    expect(await db.get('PRAGMA user_version')).toEqual({ user_version: 42 });
    expect(await db.get("SELECT slugify('Hello World') AS s")).toEqual({ s: 'hello-world' });
    expect(await db.get('SELECT count(*) AS n FROM t')).toEqual({ n: 1 });
  });

  it('reports an unknown outcome for a write in flight when the worker dies', async () => {
    const db = await openTemp();
    await db.function('die', { module: functions, export: 'die' });
    await db.exec('CREATE TABLE t (x)');
    await expect(db.run('INSERT INTO t SELECT die()')).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_OUTCOME_UNKNOWN' });
    expect(await db.get('SELECT count(*) AS n FROM t')).toEqual({ n: 0 });
  });

  it('fails the rest of a transaction whose worker died, and leaves no half-written data', async () => {
    const db = await openTemp();
    await db.function('die', { module: functions, export: 'die' });
    await db.exec('CREATE TABLE t (x)');
    await expect(
      db.transaction(async (tx) => {
        await tx.run('INSERT INTO t VALUES (1)');
        await tx.get('SELECT die()').catch(() => undefined);
        await tx.run('INSERT INTO t VALUES (2)');
      }),
    ).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_WORKER_DIED' });
    expect(await db.get('SELECT count(*) AS n FROM t')).toEqual({ n: 0 });
    // Nothing is left locked: the file takes new writes.
    await db.run('INSERT INTO t VALUES (3)');
    expect(await db.all('SELECT x FROM t')).toEqual([{ x: 3 }]);
  });
});

describe('user functions', () => {
  it('registers scalar functions by module and export, default export included', async () => {
    const db = await openTemp();
    await db.function('slugify', { module: functions, export: 'slugify', deterministic: true });
    await db.function('twice', { module: functions.href });
    expect(await db.get("SELECT slugify('  Rapid SQLite!  ') AS s, twice(21) AS t")).toEqual({ s: 'rapid-sqlite', t: 42 });
  });

  it('accepts an absolute path and refuses a relative one', async () => {
    const db = await openTemp();
    await db.function('slug2', { module: functions.pathname, export: 'slugify' });
    expect(await db.get("SELECT slug2('A B') AS s")).toEqual({ s: 'a-b' });
    await expect(db.function('x', { module: './fixtures/functions.js' })).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
  });

  it('registers aggregates and window aggregates', async () => {
    const db = await openTemp();
    await db.aggregate('product', { module: functions, export: 'product' });
    await db.aggregate('moving_sum', { module: functions, export: 'movingSum' });
    await db.exec('CREATE TABLE n (v INTEGER); INSERT INTO n VALUES (1), (2), (3), (4)');
    expect(await db.get('SELECT product(v) AS p FROM n')).toEqual({ p: 24 });
    const rows = await db.all('SELECT v, moving_sum(v) OVER (ORDER BY v ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS s FROM n');
    expect(rows).toEqual([{ v: 1, s: 1 }, { v: 2, s: 3 }, { v: 3, s: 5 }, { v: 4, s: 7 }]);
  });

  it('reports a module that cannot load, and an error thrown by a function', async () => {
    const db = await openTemp();
    await expect(db.function('x', { module: new URL('./fixtures/missing.js', import.meta.url) })).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_FUNCTION_LOAD' });
    await expect(db.function('x', { module: functions, export: 'nope' })).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_FUNCTION_LOAD' });
    await db.function('fail', { module: functions, export: 'fail' });
    await expect(db.get('SELECT fail()')).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_USER_FUNCTION' });
    expect(await db.get('SELECT 1 AS ok')).toEqual({ ok: 1 });
  });
});

describe('the event loop', () => {
  it('keeps firing a 5 ms timer while a query runs for over a second', async () => {
    const db = await openTemp();
    onCleanup(() => undefined);
    let last = performance.now();
    let largestGap = 0;
    let ticks = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      largestGap = Math.max(largestGap, now - last);
      last = now;
      ticks++;
    }, 5);
    const start = performance.now();
    try {
      // Repeat until the query has taken at least one second on this machine.
      let rounds = 0;
      while (performance.now() - start < 1000 && rounds++ < 20) await db.get(slowQuery(3));
    } finally {
      clearInterval(timer);
    }
    const elapsed = performance.now() - start;
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    // Blocking better-sqlite3 would show a gap as long as the query; a coarse bound survives a noisy machine.
    expect(largestGap).toBeLessThan(200);
    expect(ticks).toBeGreaterThan(elapsed / 5 / 4);
  });
});
