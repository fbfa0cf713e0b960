/** The two sizes of the suite. */
export const BENCH_MODES = ['quick', 'full'] as const;

/** One of {@link BENCH_MODES}. */
export type BenchMode = (typeof BENCH_MODES)[number];

/** Every count and duration the workloads use. */
export interface BenchConfig {
  readonly mode: BenchMode;
  /** Timed rounds per workload and driver (the median is reported). */
  readonly rounds: number;
  /** Untimed rounds per workload and driver before the timed ones. */
  readonly warmupRounds: number;
  /** Length of one round of a loop workload, in ms (every driver gets the same time). */
  readonly roundMs: number;
  /** Rows of the `items` table (point reads, ranges, the CPU-heavy aggregate). */
  readonly itemRows: number;
  /** Rows of the `stream` table walked by `iterate`. */
  readonly streamRows: number;
  /** Timed rounds of `iterate`, each in a fresh process. */
  readonly iterateRounds: number;
  /** Point reads issued at once by `get-inflight`. */
  readonly inFlight: number;
  /** Rows returned by one `all-5000` query. */
  readonly rangeRows: number;
  /** Rows per transaction in `insert-tx-100` and `insert-batch-100`. */
  readonly txRows: number;
  /** Rows per round of `bulk-insert`. */
  readonly bulkRows: number;
  /** Rows scanned by one CPU-heavy aggregate. */
  readonly cpuSpan: number;
  /** Concurrent callers of the CPU-heavy workload. */
  readonly cpuCallers: number;
  /** Concurrent callers of the mixed workload. */
  readonly mixedCallers: number;
  /** Share of writes in the mixed workload. */
  readonly mixedWriteShare: number;
  /** Target CPU time of the long query, in ms (calibrated on better-sqlite3 at start). */
  readonly longQueryMs: number;
  /** Timed rounds of the long query. */
  readonly longQueryRounds: number;
}

const FULL: BenchConfig = {
  mode: 'full',
  rounds: 5,
  warmupRounds: 1,
  roundMs: 1000,
  itemRows: 200_000,
  streamRows: 1_000_000,
  iterateRounds: 3,
  inFlight: 20_000,
  rangeRows: 5000,
  txRows: 100,
  bulkRows: 100_000,
  cpuSpan: 10_000,
  cpuCallers: 16,
  mixedCallers: 64,
  mixedWriteShare: 0.1,
  longQueryMs: 2000,
  longQueryRounds: 3,
};

const QUICK: BenchConfig = {
  ...FULL,
  mode: 'quick',
  rounds: 3,
  roundMs: 200,
  streamRows: 250_000,
  iterateRounds: 1,
  inFlight: 2000,
  bulkRows: 10_000,
  longQueryMs: 500,
  longQueryRounds: 1,
};

/** The configuration of a mode, with an optional override of the round count. */
export function configFor(mode: BenchMode, rounds?: number): BenchConfig {
  const base = mode === 'quick' ? QUICK : FULL;
  return rounds === undefined ? base : { ...base, rounds, iterateRounds: Math.min(base.iterateRounds, rounds), longQueryRounds: Math.min(base.longQueryRounds, rounds) };
}
