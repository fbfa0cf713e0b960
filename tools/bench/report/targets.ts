import type { BenchReport, DriverResult } from '../results.ts';
import { duration, mebibytes, millis, ratio } from './format.ts';
import type { Table } from './format.ts';

/** How one of rapsqlite's performance targets fared for one driver. */
export interface TargetCheck {
  readonly target: string;
  readonly driver: string;
  readonly measured: string;
  readonly goal: string;
  readonly status: 'stretch met' | 'met' | 'not met' | 'noisy' | 'not measured';
}

interface TargetSpec {
  readonly target: string;
  readonly workload: string;
  readonly goal: string;
  /** The measured value and its display, or undefined when it cannot be computed from this run. */
  readonly measure: (result: DriverResult, peer: (driver: string) => DriverResult | undefined) => { value: number; shown: string } | undefined;
  /** Whether `value` meets the target, then the stretch target. */
  readonly meets: (value: number) => boolean;
  readonly stretch: (value: number) => boolean;
  /** A second reading that says a miss is the machine's noise rather than the code (the long query's busy time). */
  readonly noise?: (result: DriverResult) => boolean;
}

function vsPeer(result: DriverResult, other: DriverResult | undefined): number | undefined {
  if (other?.opsPerSec === undefined || result.opsPerSec === undefined) return undefined;
  return result.opsPerSec / other.opsPerSec;
}

function vsSqlite3(r: DriverResult, peer: (driver: string) => DriverResult | undefined): { value: number; shown: string } | undefined {
  const value = vsPeer(r, peer('sqlite3'));
  return value === undefined ? undefined : { value, shown: `${ratio(value)} sqlite3` };
}

function shareOfBaseline(r: DriverResult): { value: number; shown: string } | undefined {
  return r.vsBaseline === undefined ? undefined : { value: r.vsBaseline, shown: `${ratio(r.vsBaseline)} better-sqlite3` };
}

/**
 * rapsqlite's performance targets (the table in docs/benchmarks.md), as checks over a run's results. Every figure is
 * a ratio against a driver measured in the same run, except the awaited latency's absolute bound.
 */
const TARGETS: readonly TargetSpec[] = [
  {
    target: 'point get, awaited one at a time: median latency vs sqlite3',
    workload: 'get-awaited',
    goal: '≤ sqlite3 p50 (stretch ≤ 0.7×)',
    measure: (r, peer) => {
      const other = peer('sqlite3')?.p50Us;
      if (r.p50Us === undefined || other === undefined) return undefined;
      return { value: r.p50Us / other, shown: `${duration(r.p50Us)} (${ratio(r.p50Us / other)} sqlite3)` };
    },
    meets: (v) => v <= 1,
    stretch: (v) => v <= 0.7,
  },
  {
    target: 'point get, awaited one at a time: median latency',
    workload: 'get-awaited',
    goal: '≤ 25 µs on a quiet machine',
    measure: (r) => (r.p50Us === undefined ? undefined : { value: r.p50Us, shown: duration(r.p50Us) }),
    meets: (v) => v <= 25,
    stretch: (v) => v <= 25,
  },
  {
    target: 'insert awaited (autocommit)',
    workload: 'insert-awaited',
    goal: '≥ 1.2× sqlite3 (stretch ≥ 1.5×)',
    measure: vsSqlite3,
    meets: (v) => v >= 1.2,
    stretch: (v) => v >= 1.5,
  },
  {
    target: '100 awaited inserts inside one transaction',
    workload: 'insert-tx-100',
    goal: '≥ 1.2× sqlite3 (stretch ≥ 1.5×)',
    measure: vsSqlite3,
    meets: (v) => v >= 1.2,
    stretch: (v) => v >= 1.5,
  },
  {
    target: 'point gets, many in flight',
    workload: 'get-inflight',
    goal: '≥ 0.7× better-sqlite3 (stretch ≥ 0.9×)',
    measure: shareOfBaseline,
    meets: (v) => v >= 0.7,
    stretch: (v) => v >= 0.9,
  },
  {
    target: '5 000-row all()',
    workload: 'all-5000',
    goal: '≥ 0.8× better-sqlite3 (stretch ≥ 1.0×)',
    measure: shareOfBaseline,
    meets: (v) => v >= 0.8,
    stretch: (v) => v >= 1,
  },
  {
    target: 'iterate 1 M rows (250 k in a quick run)',
    workload: 'iterate',
    goal: '≥ 0.8× better-sqlite3 (stretch ≥ 1.0×)',
    measure: shareOfBaseline,
    meets: (v) => v >= 0.8,
    stretch: (v) => v >= 1,
  },
  {
    target: 'runMany of 100 rows',
    workload: 'insert-batch-100',
    goal: '≥ 0.8× better-sqlite3 (stretch ≥ 1.0×)',
    measure: shareOfBaseline,
    meets: (v) => v >= 0.8,
    stretch: (v) => v >= 1,
  },
  {
    target: 'bulk insert through runMany (100 k rows in a full run)',
    workload: 'bulk-insert',
    goal: '≥ 0.8× better-sqlite3 (stretch ≥ 1.0×)',
    measure: shareOfBaseline,
    meets: (v) => v >= 0.8,
    stretch: (v) => v >= 1,
  },
  {
    target: 'CPU-heavy reads from many callers (the pool, 2 readers)',
    workload: 'cpu-heavy',
    goal: '≥ 1.6× better-sqlite3 (stretch ≥ 1.9×)',
    measure: (r) => (r.vsBaseline === undefined ? undefined : { value: r.vsBaseline, shown: ratio(r.vsBaseline) }),
    meets: (v) => v >= 1.6,
    stretch: (v) => v >= 1.9,
  },
  {
    target: 'event loop while a long query runs: max timer gap',
    workload: 'long-query',
    goal: '≤ 5 ms (stretch ≤ 2 ms)',
    measure: (r) =>
      r.loop === undefined
        ? undefined
        : {
            value: r.loop.maxGapMs,
            shown: `${millis(r.loop.maxGapMs)}${r.loop.maxBusyGapMs === undefined ? '' : ` (busy ${millis(r.loop.maxBusyGapMs)})`}`,
          },
    meets: (v) => v <= 5,
    stretch: (v) => v <= 2,
    noise: (r) => r.loop?.maxBusyGapMs !== undefined && r.loop.maxBusyGapMs <= 5,
  },
  {
    target: 'streaming 1 M rows (250 k in a quick run): RSS growth',
    workload: 'iterate',
    goal: '≤ 64 MiB (stretch ≤ 16 MiB)',
    measure: (r) => (r.memory === undefined ? undefined : { value: r.memory.rssPeakGrowthMiB, shown: mebibytes(r.memory.rssPeakGrowthMiB) }),
    meets: (v) => v <= 64,
    stretch: (v) => v <= 16,
  },
];

/** Checks every target whose workload ran, for every subject driver (rapsqlite) that ran. */
export function checkTargets(report: BenchReport): TargetCheck[] {
  const subjects = report.drivers.filter((d) => d.subject && d.available);
  const checks: TargetCheck[] = [];
  for (const driver of subjects) {
    for (const spec of TARGETS) {
      const workload = report.workloads.find((w) => w.id === spec.workload);
      if (workload === undefined) continue;
      const result = workload.results.find((r) => r.driver === driver.id && r.status === 'ok');
      const peer = (id: string): DriverResult | undefined => workload.results.find((r) => r.driver === id && r.status === 'ok');
      const measured = result === undefined ? undefined : spec.measure(result, peer);
      checks.push({
        target: spec.target,
        driver: driver.label,
        measured: measured?.shown ?? '–',
        goal: spec.goal,
        status:
          measured === undefined || result === undefined
            ? 'not measured'
            : spec.stretch(measured.value)
              ? 'stretch met'
              : spec.meets(measured.value)
                ? 'met'
                : spec.noise?.(result) === true
                  ? 'noisy'
                  : 'not met',
      });
    }
    if (driver.id === 'rapsqlite') checks.push(middlewareOverhead(report, driver.label));
  }
  return checks;
}

/** The engine with otel + metrics middleware against the bare engine, on the awaited point get's median latency. */
function middlewareOverhead(report: BenchReport, label: string): TargetCheck {
  const workload = report.workloads.find((w) => w.id === 'get-awaited');
  const bare = workload?.results.find((r) => r.driver === 'rapsqlite' && r.status === 'ok');
  const observed = workload?.results.find((r) => r.driver === 'rapsqlite-observed' && r.status === 'ok');
  const base = { target: 'otel + metrics middleware on: added latency on point get', driver: label, goal: '≤ 5 % with no SDK registered' };
  if (bare?.p50Us === undefined || observed?.p50Us === undefined) return { ...base, measured: '–', status: 'not measured' };
  const added = observed.p50Us / bare.p50Us - 1;
  return {
    ...base,
    measured: `${(added * 100).toFixed(1)} % (${duration(observed.p50Us)} vs ${duration(bare.p50Us)})`,
    status: added <= 0.05 ? 'met' : 'not met',
  };
}

/** The target checks as a table. */
export function targetTable(checks: readonly TargetCheck[]): Table {
  return {
    headers: ['target', 'driver', 'measured', 'goal', 'status'],
    align: ['left', 'left', 'right', 'left', 'left'],
    rows: checks.map((c) => [c.target, c.driver, c.measured, c.goal, c.status]),
  };
}
