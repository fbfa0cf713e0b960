import { describe, expect, it } from 'vitest';
import { open, type Database } from '../../src/index.ts';
import { onCleanup, slowQuery, tempDir } from '../helpers.ts';
import { join } from 'node:path';

const functions = new URL('../fixtures/functions.js', import.meta.url);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Opens a database with or without the native companion (chosen when the connection opens). */
async function openWith(companion: boolean, options: Parameters<typeof open>[1] = {}): Promise<Database> {
  const path = join(tempDir(), 'test.db');
  if (!companion) process.env['RAPSQLITE_NO_COMPANION'] = '1';
  try {
    const db = await open(path, options);
    onCleanup(() => db.close());
    return db;
  } finally {
    delete process.env['RAPSQLITE_NO_COMPANION'];
  }
}

interface Settled {
  readonly ok: boolean;
  readonly code: string | undefined;
}

async function settle(promises: Array<Promise<unknown>>): Promise<Settled[]> {
  const results = await Promise.allSettled(promises);
  return results.map((r) => (r.status === 'fulfilled' ? { ok: true, code: undefined } : { ok: false, code: (r.reason as { code?: string }).code }));
}

describe.each([
  ['with the companion', true],
  ['without the companion', false],
])('cancelled writes never commit (%s)', (_label, companion) => {
  it('keeps more than 1024 cancelled writes out of the database (defect 1: the cancel table wrapped at 1024 calls)', async () => {
    const db = await openWith(companion);
    await db.exec('CREATE TABLE w (i INTEGER)');
    const slow = db.get(slowQuery(2)).catch(() => undefined);
    const controllers: AbortController[] = [];
    const writes: Array<Promise<unknown>> = [];
    for (let i = 0; i < 2048; i++) {
      const ac = new AbortController();
      controllers.push(ac);
      writes.push(db.run('INSERT INTO w VALUES (?)', [i], { signal: ac.signal }));
    }
    await sleep(20);
    for (const ac of controllers) ac.abort();
    const outcomes = await settle(writes);
    await slow;
    const stored = new Set((await db.all<{ i: number }>('SELECT i FROM w')).map((r) => r.i));
    outcomes.forEach((outcome, i) => {
      if (outcome.ok) expect(stored.has(i)).toBe(true);
      else if (outcome.code === 'ERR_RAPSQLITE_ABORTED') expect(stored.has(i)).toBe(false);
      else expect(outcome.code).toBe('ERR_RAPSQLITE_OUTCOME_UNKNOWN');
    });
    expect(outcomes.filter((o) => o.code === 'ERR_RAPSQLITE_ABORTED').length).toBeGreaterThan(1024);
  });

  it('does not report a running write as cancelled while an earlier answer is still buffered (defect 2)', async () => {
    const db = await openWith(companion);
    await db.exec('CREATE TABLE w (n INTEGER)');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 40);
    const [, outcome] = await Promise.all([
      db.get('SELECT 1 AS a'),
      settle([db.run(`INSERT INTO w ${slowQuery(3)}`, [], { signal: ac.signal })]),
    ]);
    const { n } = (await db.get<{ n: number }>('SELECT count(*) AS n FROM w')) as { n: number };
    const [result] = outcome as [Settled];
    if (result.ok) expect(n).toBe(1);
    else if (result.code === 'ERR_RAPSQLITE_ABORTED') expect(n).toBe(0);
    else expect(result.code).toBe('ERR_RAPSQLITE_OUTCOME_UNKNOWN');
  });
});

describe('result shapes', () => {
  it.each([
    ['with the companion', true],
    ['without the companion', false],
  ])('decodes a column list whose first answer was dropped by a cancelled call (defect 3, %s)', async (_label, companion) => {
    const db = await openWith(companion);
    const slow = db.get(slowQuery(3), [], { timeoutMs: 50 }).catch((e: { code: string }) => e.code);
    const queued = db.get('SELECT 1 AS other');
    expect(await slow).toBe('ERR_RAPSQLITE_TIMEOUT');
    await queued;
    // The slow query's column is "n"; this result has the same column list.
    expect(await db.get('SELECT 2 AS n')).toEqual({ n: 2 });
    expect(await db.all('SELECT 3 AS n UNION ALL SELECT 4')).toEqual([{ n: 3 }, { n: 4 }]);
  });
});

describe('deadlines bound every call (defect 5)', () => {
  it.each([
    ['with the companion', true],
    ['without the companion', false],
  ])('stops a call stuck in a user function after its timeout (%s)', async (_label, companion) => {
    const db = await openWith(companion, { cancelGraceMs: 100 });
    await db.function('spin', { module: functions, export: 'spin' });
    const started = performance.now();
    await expect(db.get('SELECT spin(-1) AS x', [], { timeoutMs: 200 })).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_TIMEOUT' });
    // An infinite loop never returns: only replacing the worker could end the call.
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(await db.get('SELECT 1 AS one')).toEqual({ one: 1 });
    expect(await db.get('SELECT spin(1) AS x')).toEqual({ x: 1 });
  });

  it('reports a write stuck in a user function as of unknown outcome, and the next write works', async () => {
    const db = await openWith(true, { cancelGraceMs: 100 });
    await db.function('spin', { module: functions, export: 'spin' });
    await db.exec('CREATE TABLE t (x)');
    await expect(db.run('INSERT INTO t VALUES (spin(-1))', [], { timeoutMs: 200 })).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_OUTCOME_UNKNOWN' });
    await db.run('INSERT INTO t VALUES (1)');
    expect(await db.all('SELECT x FROM t')).toEqual([{ x: 1 }]);
  });

  it.each([
    ['with the companion', true],
    ['without the companion', false],
  ])('stops a call waiting for another connection\'s lock at its deadline (%s)', async (_label, companion) => {
    const path = join(tempDir(), 'locked.db');
    if (!companion) process.env['RAPSQLITE_NO_COMPANION'] = '1';
    const [holder, waiter] = await Promise.all([open(path), open(path, { busyTimeoutMs: 20_000, cancelGraceMs: 100 })]).finally(() => {
      delete process.env['RAPSQLITE_NO_COMPANION'];
    });
    onCleanup(async () => {
      await waiter.close();
      await holder.close();
    });
    await holder.exec('CREATE TABLE t (x)');
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const tx = holder.transaction(async (t) => {
      await t.run('INSERT INTO t VALUES (1)');
      await held;
    });
    await sleep(50);
    const started = performance.now();
    const code = await waiter.run('INSERT INTO t VALUES (2)', [], { timeoutMs: 300 }).then(
      () => 'resolved',
      (e: { code: string }) => e.code,
    );
    // The busy timeout is 20 s: the call ended at its own deadline, not when the lock went away.
    expect(performance.now() - started).toBeLessThan(10_000);
    release();
    await tx;
    await waiter.run('INSERT INTO t VALUES (3)');
    const rows = (await waiter.all<{ x: number }>('SELECT x FROM t ORDER BY x')).map((r) => r.x);
    if (companion) {
      // The companion's busy handler gives up the wait at once: the insert never happened.
      expect(code).toBe('ERR_RAPSQLITE_TIMEOUT');
      expect(rows).toEqual([1, 3]);
    } else {
      // Nothing can stop the wait; the worker is replaced, and the abandoned thread may still insert once it gets the
      // lock: the outcome is unknown, and said so.
      expect(code).toBe('ERR_RAPSQLITE_OUTCOME_UNKNOWN');
      await waiter.close();
      const again = await open(path);
      onCleanup(() => again.close());
      const final = (await again.all<{ x: number }>('SELECT x FROM t ORDER BY x')).map((r) => r.x);
      expect(final.filter((x) => x !== 2)).toEqual([1, 3]);
    }
  });
});

describe('the busy timeout', () => {
  it.each([
    ['with the companion', true],
    ['without the companion', false],
  ])('still ends a lock wait with SQLITE_BUSY after busyTimeoutMs (%s)', async (_label, companion) => {
    const path = join(tempDir(), 'busy.db');
    if (!companion) process.env['RAPSQLITE_NO_COMPANION'] = '1';
    const [holder, waiter] = await Promise.all([open(path), open(path, { busyTimeoutMs: 200 })]).finally(() => {
      delete process.env['RAPSQLITE_NO_COMPANION'];
    });
    onCleanup(async () => {
      await waiter.close();
      await holder.close();
    });
    await holder.exec('CREATE TABLE t (x)');
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const tx = holder.transaction(async (t) => {
      await t.run('INSERT INTO t VALUES (1)');
      await held;
    });
    await sleep(50);
    // The lock is held until this call fails: it must fail by itself, at its busy timeout.
    await expect(waiter.run('INSERT INTO t VALUES (2)')).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
    release();
    await tx;
  });
});
