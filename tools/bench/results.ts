import type { BenchConfig } from './config.ts';
import type { LoopSample } from './loop-probe.ts';
import type { MemoryGrowth } from './memory.ts';
import { max, median, percentile } from './stats.ts';

/** One timed (or warm-up) round of one driver in one workload. */
export interface RoundResult {
  readonly ops: number;
  readonly rows?: number;
  readonly elapsedMs: number;
  /** CPU time of the whole process (every thread: workers, libuv's pool) during the round. */
  readonly cpuMs: number;
  readonly loop: LoopSample;
  readonly memory?: MemoryGrowth;
  readonly returnedPromise?: boolean;
}

/** The aggregate of one driver's timed rounds in one workload. */
export interface DriverResult {
  readonly driver: string;
  /** `ok`, `n/a` (the driver lacks what the workload needs) or `error` (it failed; see `reason`). */
  readonly status: 'ok' | 'n/a' | 'error';
  readonly reason?: string;
  /** Median over rounds of operations per second. */
  readonly opsPerSec?: number;
  /** Median over rounds of microseconds per operation (wall time / operations). */
  readonly usPerOp?: number;
  /**
   * Median over rounds of the process's CPU time per operation, in µs, all threads included. Less sensitive to a
   * busy machine than wall time, and it shows what a thread hop costs in total work.
   */
  readonly cpuUsPerOp?: number;
  /** Median over rounds of rows per second, when rows differ from operations. */
  readonly rowsPerSec?: number;
  /** Per-operation latency percentiles over all timed rounds, in µs, for workloads that time each call. */
  readonly p50Us?: number;
  readonly p95Us?: number;
  readonly p99Us?: number;
  /** Throughput divided by better-sqlite3's in the same workload (higher is faster). */
  readonly vsBaseline?: number;
  /**
   * Operations per second of each timed round, in round order. Round r of every driver ran back to back (in a rotated
   * order), so two drivers' rates of the same round were measured under the same load: their ratio, round by round,
   * is steadier than the ratio of the medians (see {@link pairedRatio}).
   */
  readonly roundRates?: readonly number[];
  /** Event loop: largest histogram interval over all rounds, median of the rounds' p99, largest timer gap. */
  readonly loop?: {
    readonly maxDelayMs: number;
    readonly p99DelayMs: number;
    readonly maxGapMs: number;
    /** The main thread's own CPU time during its worst gap, over all rounds (see `LoopSample`). */
    readonly maxBusyGapMs?: number;
    readonly minTicks: number;
  };
  /** Medians over rounds, in MiB: peak RSS and heap growth, and RSS left after a GC. */
  readonly memory?: { readonly rssPeakGrowthMiB: number; readonly heapPeakGrowthMiB: number; readonly rssAfterGrowthMiB: number };
  /** Whether the driver returned a promise (long query only). */
  readonly returnedPromise?: boolean;
  readonly rounds?: readonly RoundResult[];
}

/** All drivers' results for one workload. */
export interface WorkloadResult {
  readonly id: string;
  readonly description: string;
  readonly unit: string;
  readonly latency: boolean;
  readonly results: readonly DriverResult[];
}

/** One driver as it ran (or why it did not). */
export interface DriverInfo {
  readonly id: string;
  readonly label: string;
  readonly kind: string;
  readonly subject: boolean;
  readonly available: boolean;
  readonly reason?: string;
  readonly version?: string;
  readonly sqliteVersion?: string;
  readonly details?: Readonly<Record<string, string>>;
  readonly journalMode?: string;
  readonly synchronous?: string;
}

/** The machine the run happened on. */
export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly v8: string;
  readonly loadAverageStart: readonly number[];
  readonly loadAverageEnd?: readonly number[];
}

/** The whole JSON document written by a run. */
export interface BenchReport {
  readonly schema: 1;
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly config: BenchConfig;
  readonly argv: readonly string[];
  readonly machine: MachineInfo;
  readonly baseline: string;
  readonly drivers: readonly DriverInfo[];
  readonly longQueryN?: number;
  /** CPU-burning processes that ran beside the workloads (`--contended`); absent on an ordinary run. */
  readonly contended?: number;
  readonly workloads: readonly WorkloadResult[];
}

const MIB = 1024 * 1024;

/** Reduces a driver's timed rounds (and the latencies they recorded) to the reported figures. */
export function aggregate(driver: string, rounds: readonly RoundResult[], latencies: Float64Array | undefined): DriverResult {
  const rates = rounds.map((r) => (r.ops * 1000) / r.elapsedMs);
  const perOp = rounds.map((r) => (r.elapsedMs * 1000) / Math.max(1, r.ops));
  const rowRates = rounds.filter((r) => r.rows !== undefined).map((r) => ((r.rows ?? 0) * 1000) / r.elapsedMs);
  const memories = rounds.flatMap((r) => (r.memory === undefined ? [] : [r.memory]));
  const promised = rounds.find((r) => r.returnedPromise !== undefined)?.returnedPromise;
  const busy = max(rounds.map((r) => r.loop.maxBusyGapMs ?? Number.NaN));
  return {
    driver,
    status: 'ok',
    opsPerSec: median(rates),
    roundRates: rates,
    usPerOp: median(perOp),
    cpuUsPerOp: median(rounds.map((r) => (r.cpuMs * 1000) / Math.max(1, r.ops))),
    ...(rowRates.length > 0 ? { rowsPerSec: median(rowRates) } : {}),
    ...(latencies !== undefined && latencies.length > 0
      ? { p50Us: percentile(latencies, 50), p95Us: percentile(latencies, 95), p99Us: percentile(latencies, 99) }
      : {}),
    loop: {
      maxDelayMs: max(rounds.map((r) => r.loop.maxDelayMs)),
      p99DelayMs: median(rounds.map((r) => r.loop.p99DelayMs)),
      maxGapMs: max(rounds.map((r) => r.loop.maxGapMs)),
      ...(Number.isNaN(busy) ? {} : { maxBusyGapMs: busy }),
      minTicks: Math.min(...rounds.map((r) => r.loop.ticks)),
    },
    ...(memories.length > 0
      ? {
          memory: {
            rssPeakGrowthMiB: median(memories.map((m) => m.rssPeakGrowth / MIB)),
            heapPeakGrowthMiB: median(memories.map((m) => m.heapPeakGrowth / MIB)),
            rssAfterGrowthMiB: median(memories.map((m) => m.rssAfterGrowth / MIB)),
          },
        }
      : {}),
    ...(promised === undefined ? {} : { returnedPromise: promised }),
    rounds,
  };
}

/**
 * How many times faster `subject` ran than `peer`: the median of their per-round throughput ratios when both have the
 * same rounds, else the ratio of their median throughputs (results saved before rounds were kept).
 */
export function pairedRatio(subject: DriverResult, peer: DriverResult): number {
  const a = subject.roundRates;
  const b = peer.roundRates;
  if (a !== undefined && b !== undefined && a.length === b.length && a.length > 0) return median(a.map((rate, i) => rate / (b[i] ?? Number.NaN)));
  return (subject.opsPerSec ?? 0) / (peer.opsPerSec ?? 1);
}

/** Adds `vsBaseline` to every result, given the baseline driver's id. */
export function withBaselineRatios(results: readonly DriverResult[], baseline: string): DriverResult[] {
  const base = results.find((r) => r.driver === baseline && r.status === 'ok')?.opsPerSec;
  return results.map((r) =>
    r.status === 'ok' && base !== undefined && r.opsPerSec !== undefined ? { ...r, vsBaseline: r.opsPerSec / base } : r,
  );
}
