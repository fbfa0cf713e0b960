import { describe, expect, it } from 'vitest';
import { hasErrorCode } from '@rapsqlite/engine';
import type { CreateEvent, DestroyEvent, Pool } from '../src/index.ts';
import { gate, nextEvent, poolTemp, recorder, turns, until } from './helpers.ts';

/** Holds a reader with a read-only transaction until the returned function is called. */
async function holdReader(pool: Pool): Promise<{ release: () => Promise<void> }> {
  const hold = gate();
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  const done = pool.transaction(
    async (tx) => {
      await tx.get('SELECT 1');
      started();
      await hold.promise;
    },
    { readonly: true },
  );
  await Promise.race([running, done]);
  return {
    release: async () => {
      hold.open();
      await done;
    },
  };
}

/** Holds the writer with a write transaction until the returned function is called. */
async function holdWriter(pool: Pool): Promise<{ release: () => Promise<void> }> {
  const hold = gate();
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  const done = pool.transaction(async () => {
    started();
    await hold.promise;
  });
  await running;
  return {
    release: async () => {
      hold.open();
      await done;
    },
  };
}

describe('sizing', () => {
  it('opens readers on demand up to maxReaders, then reaps idle ones down to minReaders', async () => {
    const pool = await poolTemp({ minReaders: 1, maxReaders: 3, idleTimeoutMs: 50, maintenanceIntervalMs: 10 });
    const created: CreateEvent[] = [];
    const destroyed: DestroyEvent[] = [];
    pool.on('create', (e) => created.push(e));
    pool.on('destroy', (e) => destroyed.push(e));
    expect(pool.stats().readers.total).toBe(1);

    const holds = [await holdReader(pool), await holdReader(pool), await holdReader(pool)];
    expect(pool.stats().readers).toMatchObject({ total: 3, used: 3, idle: 0, created: 3 });
    expect(created.map((e) => e.reason)).toEqual(['demand', 'demand']);

    // A fourth caller waits: the pool is at its maximum.
    const queued = pool.get('SELECT 42 AS x');
    await turns(10);
    expect(pool.stats().readers).toMatchObject({ total: 3, pending: 1, creating: 0 });
    await holds[0]!.release();
    expect(await queued).toEqual({ x: 42 });
    for (const hold of holds.slice(1)) await hold.release();

    await until(() => pool.stats().readers.total === 1, 'idle readers to be reaped');
    expect(destroyed.map((e) => e.reason)).toEqual(['idle', 'idle']);
    expect(pool.stats().readers).toMatchObject({ total: 1, created: 3, destroyed: 2 });
    // Never below the minimum, however long it stays idle.
    await new Promise((r) => setTimeout(r, 100));
    expect(pool.stats().readers.total).toBe(1);
  });

  it('starts with no reader when minReaders is 0 and opens one for the first read', async () => {
    const pool = await poolTemp({ minReaders: 0, maxReaders: 2 });
    expect(pool.stats().readers.total).toBe(0);
    const { middleware, seen } = recorder();
    expect(await pool.with(middleware).get('SELECT 1 AS x')).toEqual({ x: 1 });
    expect(seen[0]?.role).toBe('reader');
    expect(pool.stats().readers.total).toBe(1);
  });

  it('sends up to `pipelining` calls to one reader at once', async () => {
    const pool = await poolTemp({ minReaders: 1, maxReaders: 1, pipelining: 3 });
    await pool.get('SELECT 1');
    const reads = [pool.get('SELECT 1'), pool.get('SELECT 1'), pool.get('SELECT 1'), pool.get('SELECT 1')];
    expect(pool.stats().readers).toMatchObject({ running: 3, pending: 1 });
    await Promise.all(reads);
  });

  it('opens another reader when every reader is busy, even if pipelining lets the call in at once', async () => {
    const pool = await poolTemp({ minReaders: 1, maxReaders: 2, pipelining: 4 });
    await pool.get('SELECT 1');
    const created = nextEvent(pool, 'create');
    await Promise.all([pool.get('SELECT 1'), pool.get('SELECT 1')]);
    expect(await created).toMatchObject({ role: 'reader', reason: 'demand' });
    expect(pool.stats().readers).toMatchObject({ total: 2, created: 2, pending: 0 });
  });
});

describe('waiting', () => {
  it('fails a read with ERR_RAPSQLITE_POOL_ACQUIRE_TIMEOUT when no reader frees up in time', async () => {
    const pool = await poolTemp({ minReaders: 1, maxReaders: 1, acquireTimeoutMs: 30 });
    const hold = await holdReader(pool);
    const timedOut = nextEvent(pool, 'timeout');
    const err = await pool.get('SELECT 1').catch((e: unknown) => e);
    expect(hasErrorCode(err, 'ERR_RAPSQLITE_POOL_ACQUIRE_TIMEOUT')).toBe(true);
    expect(await timedOut).toMatchObject({ role: 'reader', kind: 'get', pending: 0 });
    expect(pool.stats().readers).toMatchObject({ timeouts: 1, pending: 0 });
    await hold.release();
    expect(await pool.get('SELECT 1 AS x')).toEqual({ x: 1 });
  });

  it('fails a write with ERR_RAPSQLITE_POOL_ACQUIRE_TIMEOUT while a transaction holds the writer', async () => {
    const pool = await poolTemp({ acquireTimeoutMs: 30 });
    await pool.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    const hold = await holdWriter(pool);
    const err = await pool.run('INSERT INTO t DEFAULT VALUES').catch((e: unknown) => e);
    expect(hasErrorCode(err, 'ERR_RAPSQLITE_POOL_ACQUIRE_TIMEOUT')).toBe(true);
    expect(pool.stats().writer.timeouts).toBe(1);
    await hold.release();
    expect(await pool.get('SELECT count(*) AS n FROM t')).toEqual({ n: 0 });
  });

  it("fails with the engine's ERR_RAPSQLITE_TIMEOUT when the call's own deadline is shorter", async () => {
    const pool = await poolTemp({ minReaders: 1, maxReaders: 1 });
    const hold = await holdReader(pool);
    const err = await pool.get('SELECT 1', [], { timeoutMs: 20 }).catch((e: unknown) => e);
    expect(hasErrorCode(err, 'ERR_RAPSQLITE_TIMEOUT')).toBe(true);
    await hold.release();
  });

  it('times out a call with a short deadline queued behind calls with long ones, which keep waiting', async () => {
    const pool = await poolTemp({ minReaders: 1, maxReaders: 1, acquireTimeoutMs: 10_000 });
    const hold = await holdReader(pool);
    const first = pool.get('SELECT 1 AS x');
    const started = performance.now();
    const err = await pool.get('SELECT 2', [], { timeoutMs: 30 }).catch((e: unknown) => e);
    expect(hasErrorCode(err, 'ERR_RAPSQLITE_TIMEOUT')).toBe(true);
    // Far sooner than the 10 s of the call queued before it.
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(pool.stats().readers).toMatchObject({ timeouts: 1, pending: 1 });
    await hold.release();
    expect(await first).toEqual({ x: 1 });
  });

  it('times out every call queued together, in arrival order', async () => {
    const pool = await poolTemp({ minReaders: 1, maxReaders: 1, acquireTimeoutMs: 30 });
    const hold = await holdReader(pool);
    const order: number[] = [];
    const calls = [0, 1, 2].map((i) =>
      pool.get('SELECT 1').catch((e: unknown) => {
        order.push(i);
        return e;
      }),
    );
    const errors = await Promise.all(calls);
    expect(errors.every((e) => hasErrorCode(e, 'ERR_RAPSQLITE_POOL_ACQUIRE_TIMEOUT'))).toBe(true);
    expect(order).toEqual([0, 1, 2]);
    expect(pool.stats().readers).toMatchObject({ timeouts: 3, pending: 0 });
    await hold.release();
    expect(await pool.get('SELECT 1 AS x')).toEqual({ x: 1 });
  });

  it('refuses a call with ERR_RAPSQLITE_POOL_QUEUE_FULL when maxQueue calls already wait', async () => {
    const pool = await poolTemp({ minReaders: 1, maxReaders: 1, maxQueue: 1 });
    const hold = await holdReader(pool);
    const rejected = nextEvent(pool, 'reject');
    const first = pool.get('SELECT 1 AS x');
    const err = await pool.get('SELECT 2').catch((e: unknown) => e);
    expect(hasErrorCode(err, 'ERR_RAPSQLITE_POOL_QUEUE_FULL')).toBe(true);
    expect(await rejected).toMatchObject({ role: 'reader', pending: 1 });
    expect(pool.stats().readers).toMatchObject({ rejected: 1, pending: 1 });
    await hold.release();
    expect(await first).toEqual({ x: 1 });
  });

  it('bounds the writer queue too', async () => {
    const pool = await poolTemp({ maxQueue: 1 });
    await pool.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    const hold = await holdWriter(pool);
    const first = pool.run('INSERT INTO t DEFAULT VALUES');
    const err = await pool.run('INSERT INTO t DEFAULT VALUES').catch((e: unknown) => e);
    expect(hasErrorCode(err, 'ERR_RAPSQLITE_POOL_QUEUE_FULL')).toBe(true);
    await hold.release();
    await first;
    expect(await pool.get('SELECT count(*) AS n FROM t')).toEqual({ n: 1 });
  });

  it('takes a cancelled call out of the queue with ERR_RAPSQLITE_ABORTED', async () => {
    const pool = await poolTemp({ minReaders: 1, maxReaders: 1 });
    const hold = await holdReader(pool);
    const controller = new AbortController();
    const read = pool.get('SELECT 1', [], { signal: controller.signal });
    await turns(5);
    expect(pool.stats().readers.pending).toBe(1);
    controller.abort();
    const err = await read.catch((e: unknown) => e);
    expect(hasErrorCode(err, 'ERR_RAPSQLITE_ABORTED')).toBe(true);
    expect(pool.stats().readers.pending).toBe(0);
    await hold.release();
  });

  it('reports the wait of the oldest queued call', async () => {
    const pool = await poolTemp({ minReaders: 1, maxReaders: 1 });
    const hold = await holdReader(pool);
    const read = pool.get('SELECT 1');
    await new Promise((r) => setTimeout(r, 20));
    expect(pool.stats().readers.maxWaitMs).toBeGreaterThan(0);
    const acquired = nextEvent(pool, 'acquire', (e) => e.kind === 'get');
    await hold.release();
    await read;
    expect((await acquired).waitMs).toBeGreaterThan(0);
    expect(pool.stats().readers.maxWaitMs).toBe(0);
  });
});
