import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { open, type Middleware } from '@rapsqlite/engine';
import { createPool, type Pool, type PoolOptions } from '../../src/index.ts';
import { tempDir } from '../helpers.ts';
import { limit, Random, report, scaled, seedFor, sleep, slowCount, until, WorkerWatch } from './kit.ts';

const FUNCTIONS = new URL('./fixtures/functions.js', import.meta.url);
const DIED = 'ERR_RAPSQLITE_WORKER_DIED';
const UNKNOWN = 'ERR_RAPSQLITE_OUTCOME_UNKNOWN';
const code = (err: unknown): string => String((err as { code?: unknown })?.code ?? `uncoded ${(err as Error)?.message}`);
const settle = (p: Promise<unknown>): Promise<string> => p.then(() => 'resolved', code);

let watch: WorkerWatch | undefined;
const pools: Pool[] = [];
afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.close();
  watch?.stop();
  watch = undefined;
});

interface Setup {
  readonly pool: Pool;
  readonly path: string;
  readonly watch: WorkerWatch;
}

async function setup(options: PoolOptions = {}): Promise<Setup> {
  watch = new WorkerWatch();
  const path = join(tempDir(), 'death.db');
  const pool = await createPool(path, { minReaders: 2, maxReaders: 2, pragmas: ['cache_size = -4000'], ...options });
  pools.push(pool);
  for (const [name, exported] of [['die', 'die'], ['die_at', 'dieAt'], ['die_later', 'dieLater'], ['twice', 'twice'], ['thread_id', 'threadId']] as const) {
    await pool.function(name, { module: FUNCTIONS, export: exported });
  }
  await pool.exec('CREATE TABLE t (x INTEGER, tag TEXT)');
  await pool.run('INSERT INTO t (x) WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) SELECT x FROM c');
  return { pool, path, watch };
}

/** The Worker object behind the pool's writer (a user function reports its thread id from inside a transaction). */
async function writerWorker(s: Setup) {
  const row = await s.pool.transaction((tx) => tx.get<{ id: number }>('SELECT thread_id() AS id'));
  return s.watch.byThreadId(row!.id);
}

/** A reader's Worker object: a read-only transaction runs on a reader. */
async function readerWorker(s: Setup) {
  const row = await s.pool.transaction((tx) => tx.get<{ id: number }>('SELECT thread_id() AS id'), { readonly: true });
  return s.watch.byThreadId(row!.id);
}

/**
 * Nothing half-open after a death: reads and writes work on replaced workers with the same functions, the pool is
 * back to its size, another connection takes the write lock at once, and after close() no worker is left running.
 */
async function expectRecovered(s: Setup): Promise<void> {
  const reads = await Promise.all(Array.from({ length: 8 }, () => s.pool.get('SELECT twice(21) AS x')));
  expect(reads).toEqual(Array.from({ length: 8 }, () => ({ x: 42 })));
  await s.pool.run("INSERT INTO t (x, tag) VALUES (0, 'recovered')");
  expect(await s.pool.get("SELECT count(*) AS n FROM t WHERE tag = 'recovered'")).toEqual({ n: 1 });
  await until(() => s.pool.stats().readers.total === 2, 'the pool to have its two readers again', 10_000);
  const other = await open(s.path, { busyTimeoutMs: 200 });
  try {
    await other.transaction((tx) => tx.run("INSERT INTO t (x, tag) VALUES (0, 'other connection')"));
  } finally {
    await other.close();
  }
  expect(await s.pool.all('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
  await s.pool.close();
  await until(() => s.watch.alive.length === 0, 'every worker of the pool to exit', 10_000);
}

describe('pool workers that die while idle', () => {
  it('replaces an idle reader and an idle writer terminated from outside', async () => {
    const s = await setup();
    await WorkerWatch.kill(await readerWorker(s));
    await WorkerWatch.kill(await writerWorker(s));
    await sleep(20);
    await expectRecovered(s);
  });

  it('replaces a reader that crashed by itself while idle', async () => {
    const s = await setup();
    const reader = await readerWorker(s);
    await s.pool.transaction((tx) => tx.get('SELECT die_later(20)'), { readonly: true });
    await until(() => !s.watch.alive.includes(reader), 'the reader to exit');
    await expectRecovered(s);
  });
});

describe('pool workers that die while running', () => {
  it('fails only the read on the dying reader; the other reader keeps serving', async () => {
    const s = await setup({ pipelining: 1 });
    const reads = Array.from({ length: 60 }, (_, i) => settle(i === 20 ? s.pool.all('SELECT die_at(x, 500) AS x FROM t') : s.pool.get('SELECT count(*) AS n FROM t')));
    const outcomes = await Promise.all(reads);
    expect(outcomes.filter((o) => o !== 'resolved')).toEqual([DIED]);
    expect(outcomes[20]).toBe(DIED);
    await expectRecovered(s);
  });

  it('reports an unknown outcome for the write on a dying writer and keeps it all-or-nothing', async () => {
    const s = await setup();
    const before = await s.pool.get('SELECT sum(x) AS s FROM t');
    expect(await settle(s.pool.run('UPDATE t SET x = die_at(x, 500) + 1000000'))).toBe(UNKNOWN);
    expect(await s.pool.get('SELECT sum(x) AS s FROM t')).toEqual(before);
    await expectRecovered(s);
  });

  it('rejects the reads readers terminated from outside were running with ERR_RAPSQLITE_WORKER_DIED, and runs the others again', async () => {
    const s = await setup({ pipelining: 1 });
    const writer = await writerWorker(s);
    const slow = `SELECT ${slowCount(3_000_000)} AS n`;
    await s.pool.prepare(slow); // routed once, so both reads go straight to a reader
    const reads = [settle(s.pool.get(slow)), settle(s.pool.get(slow))];
    await until(() => s.pool.stats().readers.running === 2, 'both reads to run on the two readers');
    await sleep(20);
    for (const worker of s.watch.alive.filter((w) => w !== writer)) await WorkerWatch.kill(worker);
    // A read its worker was running dies with it; one the worker had not started yet (the shared cancellation table
    // tells) is sent to the replacement and resolves.
    const got = await Promise.all(reads);
    for (const outcome of got) expect([DIED, 'resolved']).toContain(outcome);
    await expectRecovered(s);
  });
});

describe('pool workers that die with calls queued', () => {
  it('fails the calls sent to the dead writer, runs the calls that waited in the pool queue, and loses no acknowledged write', async () => {
    const s = await setup({ pipelining: 8 });
    const writes = Array.from({ length: 200 }, (_, i) =>
      settle(i === 50 ? s.pool.run("INSERT INTO t (x, tag) VALUES (die(), 'w')") : s.pool.run("INSERT INTO t (x, tag) VALUES (?, 'w')", [i])),
    );
    const reads = Array.from({ length: 100 }, () => settle(s.pool.get("SELECT count(*) AS n FROM t WHERE tag = 'w'")));
    const outcomes = await Promise.all(writes);
    expect((await Promise.all(reads)).every((o) => o === 'resolved')).toBe(true);
    const stored = new Set((await s.pool.all<{ x: number }>("SELECT x FROM t WHERE tag = 'w'")).map((r) => r.x));
    const unexpected = outcomes.filter((o) => o !== 'resolved' && o !== UNKNOWN);
    const lost = outcomes.flatMap((o, i) => (o === 'resolved' && !stored.has(i) ? [i] : []));
    report('pool writer death with queued calls', {
      writes: writes.length,
      resolved: outcomes.filter((o) => o === 'resolved').length,
      unknown: outcomes.filter((o) => o === UNKNOWN).length,
      lost: lost.length,
    });
    expect(unexpected).toEqual([]);
    expect(lost).toEqual([]);
    expect(outcomes[50]).toBe(UNKNOWN);
    // Calls that waited in the pool's queue (beyond the 8 in flight) never reached the dead worker.
    expect(outcomes.slice(60).every((o) => o === 'resolved')).toBe(true);
    await expectRecovered(s);
  });
});

describe('pool workers that die inside a transaction', () => {
  it('rolls back a write transaction whose writer died, and reads keep running meanwhile', async () => {
    const s = await setup();
    const readsDuring: Array<Promise<string>> = [];
    const outcome = await settle(
      s.pool.transaction(async (tx) => {
        await tx.run("INSERT INTO t (x, tag) VALUES (1, 'tx')");
        for (let i = 0; i < 10; i++) readsDuring.push(settle(s.pool.get('SELECT count(*) AS n FROM t')));
        await tx.get('SELECT die()');
      }),
    );
    expect(outcome).toBe(DIED);
    expect(await Promise.all(readsDuring)).toEqual(Array.from({ length: 10 }, () => 'resolved'));
    expect(await s.pool.get("SELECT count(*) AS n FROM t WHERE tag = 'tx'")).toEqual({ n: 0 });
    await expectRecovered(s);
  });

  it('fails a read-only transaction whose reader died, and the writer is untouched', async () => {
    const s = await setup();
    const outcome = await settle(
      s.pool.transaction(async (tx) => {
        await tx.get('SELECT count(*) AS n FROM t');
        await tx.get('SELECT die()');
      }, { readonly: true }),
    );
    expect(outcome).toBe(DIED);
    await s.pool.run("INSERT INTO t (x, tag) VALUES (1, 'after')");
    await expectRecovered(s);
  });
});

describe('pool workers that die with an open cursor', () => {
  it('ends a cursor on a terminated reader with ERR_RAPSQLITE_WORKER_DIED', async () => {
    const s = await setup({ pipelining: 1 });
    const writer0 = await writerWorker(s);
    const cursor = s.pool.iterate<{ x: number }>('SELECT x FROM t ORDER BY x', [], { chunkSize: 10 });
    const seen: number[] = [];
    for (let i = 0; i < 12; i++) seen.push((await cursor.next()).value!.x);
    for (const worker of s.watch.alive.filter((w) => w !== writer0)) await WorkerWatch.kill(worker);
    let ended = 'completed';
    try {
      for (let r = await cursor.next(); r.done !== true; r = await cursor.next()) seen.push(r.value.x);
    } catch (err) {
      ended = code(err);
    }
    expect(ended).toBe(DIED);
    expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => i + 1));
    await cursor.return?.();
    await expectRecovered(s);
  });
});

describe('a pool writer that dies during COMMIT', () => {
  it(
    'reports ERR_RAPSQLITE_OUTCOME_UNKNOWN, and the transaction is wholly there or wholly absent',
    async () => {
      const seed = seedFor('pool-death-at-commit');
      const random = new Random(seed);
      let target: Worker | undefined;
      let killed: Promise<unknown> = Promise.resolve();
      const killAtCommit: Middleware = {
        name: 'test:kill-at-commit',
        wrap: (next) => (op) => {
          const result = next(op);
          if (op.kind === 'commit' && target !== undefined) {
            const worker = target;
            target = undefined;
            const delay = random.int(-1, 2);
            killed = delay < 0 ? worker.terminate() : new Promise((resolve) => setTimeout(() => resolve(worker.terminate()), delay));
          }
          return result;
        },
      };
      const s = await setup({ middleware: [killAtCommit] });
      const rounds = scaled(6, 100);
      const tally = { unknownCommitted: 0, unknownRolledBack: 0, diedBeforeCommit: 0, resolved: 0, other: 0 };
      for (let round = 0; round < rounds; round++) {
        const tag = `commit-${round}`;
        const rows = random.int(1, 300);
        const worker = await writerWorker(s);
        target = worker;
        const outcome = await settle(
          s.pool.transaction((tx) => tx.runMany('INSERT INTO t (x, tag) VALUES (?, ?)', Array.from({ length: rows }, (_, i) => [i, tag]))),
        );
        await killed;
        await until(() => !s.watch.alive.includes(worker), 'the killed writer to exit', 10_000);
        const { n } = (await s.pool.get<{ n: number }>('SELECT count(*) AS n FROM t WHERE tag = ?', [tag], { readYourWrites: true }))!;
        expect([0, rows], `round ${round}: ${n} of ${rows} rows after ${outcome}`).toContain(n);
        if (outcome === UNKNOWN) tally[n === rows ? 'unknownCommitted' : 'unknownRolledBack']++;
        else if (outcome === 'resolved') {
          expect(n).toBe(rows);
          tally.resolved++;
        } else if (outcome === 'ERR_RAPSQLITE_WORKER_DIED') {
          // Killed before the worker started the COMMIT: the shared table knows it, so the outcome is known — rolled back.
          expect(n).toBe(0);
          tally.diedBeforeCommit++;
        } else {
          tally.other++;
          expect.soft(outcome, `round ${round}`).toBe(UNKNOWN);
        }
      }
      report('pool writer death during COMMIT', { rounds, ...tally, seed });
      expect(tally.other).toBe(0);
      await expectRecovered(s);
    },
    limit(40_000, 400_000),
  );
});
