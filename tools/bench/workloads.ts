import { performance } from 'node:perf_hooks';
import type { BenchConfig } from './config.ts';
import { isPromise } from './drivers/driver.ts';
import type { DriverConnection } from './drivers/driver.ts';
import type { MemoryTracker } from './memory.ts';
import { grouped } from './report/format.ts';
import { makeWriteRows, SQL } from './schema.ts';
import type { WriteRow } from './schema.ts';
import type { LatencyRecorder } from './stats.ts';

/** What a workload round gets besides the connection. */
export interface RoundContext {
  readonly config: BenchConfig;
  /** True for untimed warm-up rounds, which may do less work. */
  readonly warmup: boolean;
  /** Seeded per workload and round: every driver of a round sees the same keys. */
  readonly random: () => number;
  /** Where per-operation latencies go, in microseconds. */
  readonly latencies: LatencyRecorder;
  /** Present for workloads that measure memory: poke it every few thousand rows. */
  readonly memory: MemoryTracker | undefined;
  /** Upper bound of the long recursive query, calibrated to `config.longQueryMs`. */
  readonly longQueryN: number;
}

/** What a round did; the runner adds the time and the event-loop figures. */
export interface RoundOutcome {
  /** Operations completed, in the workload's unit. */
  readonly ops: number;
  /** Rows read or written, when that differs from `ops`. */
  readonly rows?: number;
  /** Whether the driver's call returned a promise (the long query records this for the fake-async verdict). */
  readonly returnedPromise?: boolean;
}

/** The timed part of a round. */
export type TimedPart = (connection: DriverConnection) => Promise<RoundOutcome>;

/** One benchmark workload. */
export interface Workload {
  readonly id: string;
  /** One line saying what is measured. */
  describe(config: BenchConfig): string;
  /** What one operation is, for `<unit>/s` and `µs/<unit>`. */
  readonly unit: string;
  /** True when per-operation latencies are recorded (p50/p95 are reported). */
  readonly latency: boolean;
  /** True when the round runs in a fresh process of its own, for clean memory figures. */
  readonly isolated?: boolean;
  /** True when memory growth is measured. */
  readonly memory?: boolean;
  /** The connection method the workload needs; drivers without it are reported as not applicable. */
  readonly requires?: 'iterate';
  /** Timed rounds for this workload (defaults to `config.rounds`). */
  rounds?(config: BenchConfig): number;
  /** Untimed warm-up rounds (defaults to `config.warmupRounds`). */
  warmupRounds?(config: BenchConfig): number;
  /**
   * Prepares one round outside the timing and the loop probes (keys, rows to insert…) and returns its timed part.
   */
  plan(context: RoundContext): TimedPart;
  /** Untimed cleanup after each round (warm-up included). */
  cleanup?(connection: DriverConnection): Promise<void>;
}

const KEYS = 65_536;

function randomIds(context: RoundContext, count: number): Int32Array {
  const ids = new Int32Array(count);
  for (let i = 0; i < count; i++) ids[i] = 1 + Math.floor(context.random() * context.config.itemRows);
  return ids;
}

function roundDeadline(context: RoundContext): number {
  return performance.now() + (context.warmup ? context.config.roundMs / 2 : context.config.roundMs);
}

async function clearWrites(connection: DriverConnection): Promise<void> {
  const done = connection.exec(SQL.clearWrites);
  if (isPromise(done)) await done;
}

/**
 * Runs `step` back to back until the round's time is up, timing each call. A blocking driver's call returns a value,
 * not a promise, and is not awaited, so it pays nothing for the async plumbing it does not use.
 */
async function timedLoop(
  context: RoundContext,
  step: (i: number) => unknown,
  deadline = roundDeadline(context),
): Promise<number> {
  const latencies = context.latencies;
  let ops = 0;
  for (;;) {
    const started = performance.now();
    if (started >= deadline) break;
    const result = step(ops);
    if (isPromise(result)) await result;
    latencies.record((performance.now() - started) * 1000);
    ops++;
  }
  return ops;
}

/** Runs `callers` copies of {@link timedLoop} at once against the same deadline. */
async function concurrentLoops(context: RoundContext, callers: number, step: (caller: number, i: number) => unknown): Promise<number> {
  const deadline = roundDeadline(context);
  const counts = await Promise.all(
    Array.from({ length: callers }, (_, caller) => timedLoop(context, (i) => step(caller, i), deadline)),
  );
  return counts.reduce((a, b) => a + b, 0);
}

const getAwaited: Workload = {
  id: 'get-awaited',
  unit: 'get',
  latency: true,
  describe: (c) => `point get by primary key, awaited one at a time (${c.roundMs} ms per round)`,
  plan(context) {
    const ids = randomIds(context, KEYS);
    return async (connection) => ({ ops: await timedLoop(context, (i) => connection.getById(ids[i & (KEYS - 1)] ?? 1)) });
  },
};

const getInFlight: Workload = {
  id: 'get-inflight',
  unit: 'get',
  latency: false,
  describe: (c) => `point gets, ${grouped(c.inFlight)} issued at once and awaited together (batches until ${c.roundMs} ms)`,
  plan(context) {
    const ids = Array.from(randomIds(context, context.config.inFlight));
    return async (connection) => {
      const deadline = roundDeadline(context);
      let ops = 0;
      do {
        const done = connection.getManyInFlight(ids);
        if (isPromise(done)) await done;
        ops += ids.length;
      } while (performance.now() < deadline);
      return { ops };
    };
  },
};

const allRange: Workload = {
  id: 'all-5000',
  unit: 'query',
  latency: true,
  describe: (c) => `all() of ${grouped(c.rangeRows)} rows by primary-key range, awaited one at a time`,
  plan(context) {
    const span = context.config.rangeRows;
    const starts = Array.from(randomIds(context, 1024), (id) => Math.min(id, context.config.itemRows - span + 1));
    return async (connection) => {
      const ops = await timedLoop(context, (i) => {
        const from = starts[i & 1023] ?? 1;
        return connection.range(from, from + span - 1);
      });
      return { ops, rows: ops * span };
    };
  },
};

const iterateAll: Workload = {
  id: 'iterate',
  unit: 'row',
  latency: false,
  isolated: true,
  memory: true,
  requires: 'iterate',
  describe: (c) =>
    `iterate over ${grouped(c.streamRows)} rows, each round in a fresh process; memory growth is peak minus start`,
  rounds: (c) => c.iterateRounds,
  // Every round is a fresh process anyway, and the file was just copied, so the OS cache is warm.
  warmupRounds: () => 0,
  plan(context) {
    return async (connection) => {
      const iterate = connection.iterate;
      if (iterate === undefined) throw new Error('iterate is not supported');
      const memory = context.memory;
      let seen = 0;
      let checksum = 0;
      const result = iterate((row) => {
        checksum += (row as { n: number }).n;
        if ((++seen & 4095) === 0) memory?.poke();
      });
      const count = isPromise(result) ? await result : result;
      if (count !== context.config.streamRows || checksum === 0) {
        throw new Error(`iterate returned ${count} rows, expected ${context.config.streamRows}`);
      }
      return { ops: count };
    };
  },
};

function writeRowPool(): WriteRow[] {
  return makeWriteRows(4096);
}

const insertAwaited: Workload = {
  id: 'insert-awaited',
  unit: 'insert',
  latency: true,
  describe: (c) => `single-row INSERT, autocommit, awaited one at a time (${c.roundMs} ms per round)`,
  plan(context) {
    const rows = writeRowPool();
    return async (connection) => ({ ops: await timedLoop(context, (i) => connection.insert(rows[i & 4095] ?? rows[0]!)) });
  },
  cleanup: clearWrites,
};

const insertTransaction: Workload = {
  id: 'insert-tx-100',
  unit: 'tx',
  latency: true,
  describe: (c) => `transaction of ${c.txRows} awaited single-row INSERTs (BEGIN IMMEDIATE … COMMIT)`,
  plan(context) {
    const rows = makeWriteRows(context.config.txRows);
    return async (connection) => {
      const ops = await timedLoop(context, () => connection.insertEachInTransaction(rows));
      return { ops, rows: ops * rows.length };
    };
  },
  cleanup: clearWrites,
};

const insertBatchSmall: Workload = {
  id: 'insert-batch-100',
  unit: 'tx',
  latency: true,
  describe: (c) => `${c.txRows} rows through each driver's batch API, one transaction each`,
  plan(context) {
    const rows = makeWriteRows(context.config.txRows);
    return async (connection) => {
      const ops = await timedLoop(context, () => connection.insertBatch(rows));
      return { ops, rows: ops * rows.length };
    };
  },
  cleanup: clearWrites,
};

const bulkInsert: Workload = {
  id: 'bulk-insert',
  unit: 'row',
  latency: false,
  describe: (c) => `bulk insert of ${grouped(c.bulkRows)} rows through each driver's batch API, one transaction`,
  plan(context) {
    const rows = makeWriteRows(context.warmup ? Math.ceil(context.config.bulkRows / 10) : context.config.bulkRows);
    return async (connection) => {
      const done = connection.insertBatch(rows);
      if (isPromise(done)) await done;
      return { ops: rows.length };
    };
  },
  cleanup: clearWrites,
};

const cpuHeavy: Workload = {
  id: 'cpu-heavy',
  unit: 'query',
  latency: true,
  describe: (c) =>
    `${c.cpuCallers} concurrent callers, each running an aggregate over ${grouped(c.cpuSpan)} rows (a few ms of CPU) in a loop`,
  plan(context) {
    const span = context.config.cpuSpan;
    const starts = Array.from(randomIds(context, 1024), (id) => Math.min(id, context.config.itemRows - span + 1));
    return async (connection) => {
      const ops = await concurrentLoops(context, context.config.cpuCallers, (caller, i) => {
        const from = starts[(caller * 61 + i) & 1023] ?? 1;
        return connection.cpuAggregate(from, from + span - 1);
      });
      return { ops };
    };
  },
};

const mixed: Workload = {
  id: 'mixed',
  unit: 'op',
  latency: true,
  describe: (c) =>
    `web-like: ${c.mixedCallers} concurrent callers, ${Math.round((1 - c.mixedWriteShare) * 100)} % point gets and ${Math.round(c.mixedWriteShare * 100)} % autocommit inserts`,
  plan(context) {
    const ids = randomIds(context, KEYS);
    const writes = new Uint8Array(KEYS);
    for (let i = 0; i < KEYS; i++) writes[i] = context.random() < context.config.mixedWriteShare ? 1 : 0;
    const rows = writeRowPool();
    return async (connection) => {
      const ops = await concurrentLoops(context, context.config.mixedCallers, (caller, i) => {
        const k = (caller * 1031 + i) & (KEYS - 1);
        return writes[k] === 1 ? connection.insert(rows[k & 4095] ?? rows[0]!) : connection.getById(ids[k] ?? 1);
      });
      return { ops };
    };
  },
  cleanup: clearWrites,
};

const longQuery: Workload = {
  id: 'long-query',
  unit: 'query',
  latency: false,
  describe: (c) => `one recursive query of ~${grouped(c.longQueryMs)} ms of CPU while the event-loop probe runs`,
  rounds: (c) => c.longQueryRounds,
  warmupRounds: () => 0,
  plan(context) {
    return async (connection) => {
      const result = connection.longQuery(context.longQueryN);
      const returnedPromise = isPromise(result);
      if (returnedPromise) await result;
      return { ops: 1, returnedPromise };
    };
  },
};

/** Every workload, in report order. */
export const WORKLOADS: readonly Workload[] = [
  getAwaited,
  getInFlight,
  allRange,
  iterateAll,
  insertAwaited,
  insertTransaction,
  insertBatchSmall,
  bulkInsert,
  cpuHeavy,
  mixed,
  longQuery,
];
