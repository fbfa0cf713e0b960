import type { BenchReport, DriverResult } from '../results.ts';
import { figure, millis, ratio } from './format.ts';
import type { Table } from './format.ts';

/** One metric of one driver in one workload, now against the saved run. */
export interface Comparison {
  readonly workload: string;
  readonly driver: string;
  readonly metric: string;
  readonly saved: string;
  readonly current: string;
  /** current ÷ saved for "higher is better" metrics, saved ÷ current otherwise: below 1 means worse. */
  readonly ratio: number;
  readonly regressed: boolean;
}

interface MetricSpec {
  readonly name: string;
  readonly read: (r: DriverResult) => number | undefined;
  readonly higherIsBetter: boolean;
  readonly show: (v: number) => string;
  /** Differences below this (in the metric's unit) are noise and never flagged. */
  readonly floor: number;
}

const METRICS: readonly MetricSpec[] = [
  { name: 'ops/s', read: (r) => r.opsPerSec, higherIsBetter: true, show: figure, floor: 0 },
  // Relative to the baseline of the same run: a machine that is slower as a whole cancels out.
  { name: 'vs baseline', read: (r) => r.vsBaseline, higherIsBetter: true, show: ratio, floor: 0 },
  { name: 'p95', read: (r) => r.p95Us, higherIsBetter: false, show: (v) => `${figure(v)} µs`, floor: 2 },
  { name: 'max gap', read: (r) => r.loop?.maxGapMs, higherIsBetter: false, show: millis, floor: 2 },
  { name: 'RSS peak', read: (r) => r.memory?.rssPeakGrowthMiB, higherIsBetter: false, show: (v) => `${v.toFixed(1)} MiB`, floor: 4 },
];

/**
 * Compares a run with a saved one: every metric present in both, as a ratio where below 1 is worse, flagged when
 * worse than `threshold` (0.1 = 10 %) and beyond the metric's noise floor. Event-loop gaps are compared only for
 * drivers that did not block (a blocking driver's gap is the length of its round, not a property of the code).
 * `vs baseline` compares each driver's ratio to better-sqlite3 within its own run, which a busy machine disturbs
 * far less than absolute throughput.
 */
export function compareReports(current: BenchReport, saved: BenchReport, threshold: number): Comparison[] {
  const out: Comparison[] = [];
  for (const workload of current.workloads) {
    const before = saved.workloads.find((w) => w.id === workload.id);
    if (before === undefined) continue;
    for (const now of workload.results) {
      const then = before.results.find((r) => r.driver === now.driver);
      if (now.status !== 'ok' || then?.status !== 'ok') continue;
      for (const metric of METRICS) {
        const a = metric.read(then);
        const b = metric.read(now);
        if (a === undefined || b === undefined || !(a > 0) || !(b > 0)) continue;
        if (metric.name === 'max gap' && (now.loop?.minTicks ?? 0) === 0) continue;
        if (metric.name === 'vs baseline' && now.driver === current.baseline) continue;
        const r = metric.higherIsBetter ? b / a : a / b;
        const worseBy = metric.higherIsBetter ? a - b : b - a;
        out.push({
          workload: workload.id,
          driver: now.driver,
          metric: metric.name,
          saved: metric.show(a),
          current: metric.show(b),
          ratio: r,
          regressed: r < 1 - threshold && worseBy > metric.floor,
        });
      }
    }
  }
  return out;
}

/** The comparisons as a table: all of them, or only the regressions. */
export function comparisonTable(comparisons: readonly Comparison[], onlyRegressions: boolean): Table {
  return {
    headers: ['workload', 'driver', 'metric', 'saved', 'now', 'ratio', ''],
    align: ['left', 'left', 'left', 'right', 'right', 'right', 'left'],
    rows: comparisons
      .filter((c) => !onlyRegressions || c.regressed)
      .map((c) => [c.workload, c.driver, c.metric, c.saved, c.current, ratio(c.ratio), c.regressed ? 'REGRESSION' : '']),
  };
}
