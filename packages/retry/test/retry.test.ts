import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { RapsqliteError, type Middleware } from '@rapsqlite/engine';
import { isRetryableError, retry, RETRY_ATTEMPTS_ATTRIBUTE, RETRYABLE_CODES, type RetryEvent, type RetryOptions } from '../src/index.ts';
import { flaky, openTemp, tempDir } from './helpers.ts';

/** No waiting between attempts, so the tests do not depend on time. */
const instant: RetryOptions = { baseDelayMs: 0, maxDelayMs: 0 };

async function setup(code: string, times: number, options: RetryOptions = {}, select?: Parameters<typeof flaky>[2]) {
  const fault = flaky(code, times, select);
  const events: RetryEvent[] = [];
  const db = await openTemp({ middleware: [retry({ ...instant, onRetry: (e) => events.push(e), ...options }), fault] });
  return { db, fault, events };
}

describe('retry', () => {
  it.each(RETRYABLE_CODES)('retries a statement that failed with %s until it succeeds', async (code) => {
    const { db, fault, events } = await setup(code, 2);
    expect(await db.get('SELECT 42 AS n')).toEqual({ n: 42 });
    expect(fault.seen).toEqual(['get:SELECT 42 AS n', 'get:SELECT 42 AS n', 'get:SELECT 42 AS n']);
    expect(events.map((e) => [e.attempt, (e.error as { code: string }).code])).toEqual([
      [1, code],
      [2, code],
    ]);
  });

  it('retries every statement kind outside a transaction', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE t (a)');
    for (const call of [
      (h: typeof db) => h.run('INSERT INTO t VALUES (1)'),
      (h: typeof db) => h.runMany('INSERT INTO t VALUES (?)', [[2]]),
      (h: typeof db) => h.get('SELECT 1'),
      (h: typeof db) => h.all('SELECT 1'),
      (h: typeof db) => h.values('SELECT 1'),
      (h: typeof db) => h.iterate('SELECT 1').next(),
      (h: typeof db) => h.prepare('SELECT 1'),
    ]) {
      const fault = flaky('SQLITE_BUSY', 1);
      await call(db.with(retry(instant), fault));
      expect(fault.seen).toHaveLength(2);
    }
    expect(await db.get('SELECT count(*) AS n FROM t')).toEqual({ n: 2 });
  });

  it.each(['SQLITE_LOCKED', 'SQLITE_LOCKED_SHAREDCACHE', 'SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_ERROR', 'ERR_RAPSQLITE_WORKER_DIED'])(
    'does not retry %s by default',
    async (code) => {
      const { db, fault } = await setup(code, 1);
      await expect(db.get('SELECT 1')).rejects.toMatchObject({ code });
      expect(fault.seen).toHaveLength(1);
    },
  );

  it('never retries ERR_RAPSQLITE_OUTCOME_UNKNOWN, even when shouldRetry says yes', async () => {
    const shouldRetry = vi.fn(() => true);
    const { db, fault } = await setup('ERR_RAPSQLITE_OUTCOME_UNKNOWN', 1, { shouldRetry });
    await expect(db.run('SELECT 1')).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_OUTCOME_UNKNOWN' });
    expect(fault.seen).toHaveLength(1);
    expect(shouldRetry).not.toHaveBeenCalled();
  });

  it('never reruns a transaction whose outcome is unknown', async () => {
    const { db, fault } = await setup('ERR_RAPSQLITE_OUTCOME_UNKNOWN', 1, {}, (op) => op.kind === 'commit');
    let calls = 0;
    await expect(db.transaction(() => ++calls)).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_OUTCOME_UNKNOWN' });
    expect(calls).toBe(1);
    expect(fault.failures).toBe(1);
  });

  it('lets shouldRetry decide, knowing the default verdict', async () => {
    const contexts: Array<{ retryable: boolean; attempt: number; kind: string }> = [];
    const shouldRetry: RetryOptions['shouldRetry'] = (error, context) => {
      contexts.push({ retryable: context.retryable, attempt: context.attempt, kind: context.op.kind });
      return (error as { code: string }).code === 'SQLITE_LOCKED';
    };
    const locked = await setup('SQLITE_LOCKED', 1, { shouldRetry });
    expect(await locked.db.get('SELECT 1 AS one')).toEqual({ one: 1 });
    const busy = await setup('SQLITE_BUSY', 1, { shouldRetry });
    await expect(busy.db.get('SELECT 1')).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
    expect(contexts).toEqual([
      { retryable: false, attempt: 1, kind: 'get' },
      { retryable: true, attempt: 1, kind: 'get' },
    ]);
  });

  it('gives up after maxRetries with the last error and the number of attempts', async () => {
    const { db, fault } = await setup('SQLITE_BUSY', 10, { maxRetries: 3 });
    const err = await db.get('SELECT 1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RapsqliteError);
    expect(err).toMatchObject({ code: 'SQLITE_BUSY', attempts: 4 });
    expect(fault.seen).toHaveLength(4);
  });

  it('does not retry with maxRetries 0 or a spent time budget', async () => {
    const none = await setup('SQLITE_BUSY', 10, { maxRetries: 0 });
    await expect(none.db.get('SELECT 1')).rejects.toMatchObject({ code: 'SQLITE_BUSY', attempts: 1 });
    expect(none.fault.seen).toHaveLength(1);
    const spent = await setup('SQLITE_BUSY', 10, { maxRetryTimeMs: 0 });
    await expect(spent.db.get('SELECT 1')).rejects.toMatchObject({ code: 'SQLITE_BUSY', attempts: 1 });
    expect(spent.fault.seen).toHaveLength(1);
  });

  it('keeps each wait within the cap and the budget', async () => {
    const { db, events } = await setup('SQLITE_BUSY', 6, { baseDelayMs: 1, maxDelayMs: 4, random: () => 0.999, maxRetryTimeMs: 60_000 });
    await db.get('SELECT 1');
    expect(events.map((e) => Math.round(e.delayMs))).toEqual([1, 2, 4, 4, 4, 4]);
    expect(events.every((e) => e.elapsedMs >= 0)).toBe(true);
  });

  it('records the attempt in op.attributes for the middleware after it, and the final count for those before it', async () => {
    const inner: number[] = [];
    const outer: unknown[] = [];
    const before: Middleware = {
      name: 'before',
      wrap: (next) => async (op) => {
        const result = await next(op);
        outer.push(op.attributes[RETRY_ATTEMPTS_ATTRIBUTE]);
        return result;
      },
    };
    const after: Middleware = {
      name: 'after',
      wrap: (next) => (op) => {
        inner.push(op.attributes[RETRY_ATTEMPTS_ATTRIBUTE] as number);
        return next(op);
      },
    };
    const db = await openTemp({ middleware: [before, retry(instant), after, flaky('SQLITE_BUSY', 2)] });
    await db.get('SELECT 1');
    expect(inner).toEqual([1, 2, 3]);
    expect(outer).toEqual([3]);
    expect(RETRY_ATTEMPTS_ATTRIBUTE).toBe('rapsqlite.retry.attempts');
  });

  describe('in transactions', () => {
    it('never retries a statement inside a transaction: the callback sees the error', async () => {
      const { db, fault } = await setup('SQLITE_BUSY', 1, {}, (op) => op.kind === 'get');
      const seen = await db.transaction(async (tx) => {
        const code = await tx.get('SELECT 1').then(
          () => 'ok',
          (e: { code: string }) => e.code,
        );
        return code;
      });
      expect(seen).toBe('SQLITE_BUSY');
      expect(fault.seen.filter((s) => s.startsWith('get:'))).toHaveLength(1);
      expect(fault.seen.filter((s) => s.startsWith('transaction:'))).toHaveLength(1);
    });

    it('reruns the whole transaction from BEGIN when a statement error reaches it', async () => {
      const { db, fault, events } = await setup('SQLITE_BUSY_SNAPSHOT', 1, {}, (op) => op.kind === 'run');
      await db.exec('CREATE TABLE t (a)');
      let calls = 0;
      const result = await db.transaction(async (tx) => {
        calls++;
        await tx.run('INSERT INTO t VALUES (?)', [calls]);
        return calls;
      });
      expect(result).toBe(2);
      expect([...fault.seen]).toEqual([
        'exec:CREATE TABLE t (a)',
        'transaction:BEGIN IMMEDIATE',
        'begin:BEGIN IMMEDIATE',
        'run:INSERT INTO t VALUES (?)',
        'rollback:ROLLBACK',
        'transaction:BEGIN IMMEDIATE',
        'begin:BEGIN IMMEDIATE',
        'run:INSERT INTO t VALUES (?)',
        'commit:COMMIT',
      ]);
      expect(await db.all('SELECT a FROM t')).toEqual([{ a: 2 }]);
      expect(events.map((e) => e.op.kind)).toEqual(['transaction']);
    });

    it('reruns the transaction when BEGIN or COMMIT is busy', async () => {
      // A busy BEGIN fails before the callback runs; a busy COMMIT after it, so the callback runs again.
      for (const [kind, runs] of [['begin', 1], ['commit', 3]] as const) {
        const { db, events } = await setup('SQLITE_BUSY', 2, {}, (op) => op.kind === kind);
        let calls = 0;
        expect(await db.transaction(() => ++calls)).toBe(runs);
        expect(events).toHaveLength(2);
      }
    });

    it('retries only the outermost transaction, not a savepoint', async () => {
      const { db, events } = await setup('SQLITE_BUSY', 1, {}, (op) => op.kind === 'transaction' && op.depth === 1);
      let outer = 0;
      let inner = 0;
      await db.transaction(async (tx) => {
        outer++;
        await tx.transaction(() => ++inner);
      });
      expect([outer, inner]).toEqual([2, 1]);
      expect(events.map((e) => e.op.kind === 'transaction' && e.op.depth)).toEqual([0]);
    });

    it('does not rerun a transaction that failed for another reason', async () => {
      const { db } = await setup('SQLITE_BUSY', 0);
      let calls = 0;
      await expect(
        db.transaction(() => {
          calls++;
          throw new Error('business rule');
        }),
      ).rejects.toThrow('business rule');
      expect(calls).toBe(1);
    });
  });

  it('does not retry exec scripts unless retryExec is set', async () => {
    const off = await setup('SQLITE_BUSY', 1);
    await expect(off.db.exec('SELECT 1; SELECT 2')).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
    const on = await setup('SQLITE_BUSY', 1, { retryExec: true });
    await on.db.exec('SELECT 1; SELECT 2');
    expect(on.fault.seen).toHaveLength(2);
  });

  it('stops with ERR_RAPSQLITE_ABORTED when its signal aborts during a wait', async () => {
    const controller = new AbortController();
    const { db, fault } = await setup('SQLITE_BUSY', 100, {
      baseDelayMs: 60_000,
      maxDelayMs: 60_000,
      maxRetryTimeMs: 120_000,
      random: () => 1,
      signal: controller.signal,
      onRetry: () => controller.abort(new Error('shutting down')),
    });
    const err = await db.get('SELECT 1').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_RAPSQLITE_ABORTED', attempts: 1, sql: 'SELECT 1' });
    expect((err as Error).cause).toEqual(new Error('shutting down'));
    expect(fault.seen).toHaveLength(1);
  });

  it("stops when the call's own signal aborts, and does not start with an aborted signal", async () => {
    const controller = new AbortController();
    const { db } = await setup('SQLITE_BUSY', 100, { baseDelayMs: 60_000, maxDelayMs: 60_000, maxRetryTimeMs: 120_000, onRetry: () => controller.abort() });
    await expect(db.get('SELECT 1', [], { signal: controller.signal })).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_ABORTED' });
    const aborted = AbortSignal.abort();
    const second = await setup('SQLITE_BUSY', 100, { signal: aborted });
    await expect(second.db.get('SELECT 1')).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_ABORTED', attempts: 1 });
  });

  it('reports an onRetry that throws as a warning and goes on', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const { db } = await setup('SQLITE_BUSY', 1, {
        onRetry: () => {
          throw new Error('logger down');
        },
      });
      expect(await db.get('SELECT 1 AS one')).toEqual({ one: 1 });
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('logger down'), 'RapsqliteRetryWarning');
    } finally {
      warn.mockRestore();
    }
  });

  it('classifies errors by code', () => {
    expect(isRetryableError(new RapsqliteError('SQLITE_BUSY_RECOVERY', 'x'))).toBe(true);
    expect(isRetryableError({ code: 'SQLITE_BUSY' })).toBe(true);
    expect(isRetryableError(new RapsqliteError('SQLITE_LOCKED', 'x'))).toBe(false);
    expect(isRetryableError(null)).toBe(false);
    expect(isRetryableError('SQLITE_BUSY')).toBe(false);
  });
});

describe('retry against real locks between two connections', () => {
  it('waits out another connection that holds the write lock', async () => {
    const path = join(tempDir(), 'shared.db');
    const holder = await openTemp({ busyTimeoutMs: 0 }, path);
    await holder.exec('CREATE TABLE t (a)');
    const codes: string[] = [];
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const holding = new Promise<void>((resolve) => (started = resolve));
    const held = holder.transaction(async (tx) => {
      await tx.run('INSERT INTO t VALUES (1)');
      started();
      await released;
    });
    await holding;
    const writer = await openTemp(
      {
        busyTimeoutMs: 0,
        middleware: [
          retry({
            ...instant,
            onRetry: (e) => {
              codes.push((e.error as { code: string }).code);
              release();
            },
          }),
        ],
      },
      path,
    );
    await writer.run('INSERT INTO t VALUES (2)');
    await held;
    expect(codes[0]).toBe('SQLITE_BUSY');
    expect(await writer.all('SELECT a FROM t ORDER BY a')).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('reruns a deferred transaction that hit SQLITE_BUSY_SNAPSHOT, and it then sees the other write', async () => {
    const path = join(tempDir(), 'snapshot.db');
    const other = await openTemp({ busyTimeoutMs: 0 }, path);
    await other.exec('CREATE TABLE counter (n INTEGER); INSERT INTO counter VALUES (0)');
    const codes: string[] = [];
    const db = await openTemp({ busyTimeoutMs: 0, middleware: [retry({ ...instant, onRetry: (e) => codes.push((e.error as { code: string }).code) })] }, path);
    let calls = 0;
    await db.transaction(
      async (tx) => {
        calls++;
        const { n } = (await tx.get<{ n: number }>('SELECT n FROM counter'))!;
        // Another connection commits between this transaction's read and its write, the first time only.
        if (calls === 1) await other.run('UPDATE counter SET n = n + 10');
        await tx.run('UPDATE counter SET n = ?', [n + 1]);
      },
      { mode: 'deferred' },
    );
    expect(codes).toEqual(['SQLITE_BUSY_SNAPSHOT']);
    expect(calls).toBe(2);
    expect(await db.get('SELECT n FROM counter')).toEqual({ n: 11 });
  });

  it('without the plugin, SQLITE_BUSY_SNAPSHOT reaches the application', async () => {
    const path = join(tempDir(), 'snapshot.db');
    const other = await openTemp({ busyTimeoutMs: 0 }, path);
    await other.exec('CREATE TABLE counter (n INTEGER); INSERT INTO counter VALUES (0)');
    const db = await openTemp({ busyTimeoutMs: 0 }, path);
    await expect(
      db.transaction(
        async (tx) => {
          await tx.get('SELECT n FROM counter');
          await other.run('UPDATE counter SET n = n + 10');
          await tx.run('UPDATE counter SET n = 1');
        },
        { mode: 'deferred' },
      ),
    ).rejects.toMatchObject({ code: 'SQLITE_BUSY_SNAPSHOT' });
  });
});
