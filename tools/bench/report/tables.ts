import { pairedRatio, type BenchReport, type DriverInfo, type DriverResult, type WorkloadResult } from '../results.ts';
import { duration, figure, mebibytes, millis, ratio } from './format.ts';
import type { Table } from './format.ts';

function labelOf(report: BenchReport, id: string): string {
  return report.drivers.find((d) => d.id === id)?.label ?? id;
}

/** The machine, Node and every library's version. */
export function environmentLines(report: BenchReport): string[] {
  const m = report.machine;
  const lines = [
    `machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB.toFixed(1)} GiB, ${m.os}; load average ${m.loadAverageStart.map((l) => l.toFixed(2)).join(' ')}`,
    `node ${m.node} (V8 ${m.v8}); mode ${report.config.mode}: ${report.config.rounds} timed rounds, ${report.config.warmupRounds} warm-up, ${report.config.roundMs} ms loop rounds`,
  ];
  if (report.contended !== undefined) {
    lines.push(`contended: ${report.contended} CPU-burning processes (one per core) ran beside every workload`);
  }
  const [load] = m.loadAverageStart;
  if (load !== undefined && load > m.cores * 0.75) {
    lines.push(`note: the machine was busy (load ${load.toFixed(2)} on ${m.cores} cores): expect noisy figures; compare ratios, CPU/op and busy`);
  }
  return lines;
}

/** One row per driver: version, SQLite inside, pragmas as verified on the open connection, or why it was skipped. */
export function driversTable(drivers: readonly DriverInfo[]): Table {
  return {
    headers: ['driver', 'version', 'SQLite', 'kind', 'journal / synchronous', 'notes'],
    align: ['left', 'left', 'left', 'left', 'left', 'left'],
    rows: drivers.map((d) =>
      d.available
        ? [
            d.label,
            d.version ?? '?',
            d.sqliteVersion ?? '?',
            d.kind,
            `${d.journalMode ?? '?'} / ${d.synchronous ?? '?'}`,
            Object.entries(d.details ?? {})
              .map(([k, v]) => `${k} ${v}`)
              .join('; '),
          ]
        : [d.label, '–', '–', d.kind, '–', `skipped: ${d.reason ?? 'unavailable'}`],
    ),
  };
}

function loopCells(r: DriverResult): string[] {
  return [millis(r.loop?.p99DelayMs), millis(r.loop?.maxDelayMs), millis(r.loop?.maxGapMs), millis(r.loop?.maxBusyGapMs)];
}

/** The result table of one workload. */
export function workloadTable(report: BenchReport, workload: WorkloadResult): Table {
  const unit = workload.unit;
  const hasRows = workload.results.some((r) => r.rowsPerSec !== undefined);
  const hasMemory = workload.results.some((r) => r.memory !== undefined);
  const headers = ['driver', `${unit}/s`, `time/${unit}`, `CPU/${unit}`];
  const align: ('left' | 'right')[] = ['left', 'right', 'right', 'right'];
  if (hasRows) {
    headers.push('rows/s');
    align.push('right');
  }
  if (workload.latency) {
    headers.push('p50', 'p95');
    align.push('right', 'right');
  }
  headers.push(`vs ${labelOf(report, report.baseline)}`);
  align.push('right');
  if (hasMemory) {
    headers.push('RSS peak', 'heap peak');
    align.push('right', 'right');
  }
  headers.push('loop p99', 'loop max', 'max gap', 'busy');
  align.push('right', 'right', 'right', 'right');
  const hasNotes = workload.results.some((r) => r.status !== 'ok');
  if (hasNotes) {
    headers.push('note');
    align.push('left');
  }
  const rows = workload.results.map((r) => {
    const label = labelOf(report, r.driver);
    if (r.status !== 'ok') {
      const cells = new Array<string>(headers.length).fill('–');
      cells[0] = label;
      cells[cells.length - 1] = `${r.status === 'n/a' ? 'n/a' : 'error'}: ${r.reason ?? ''}`;
      return cells;
    }
    const cells = [label, figure(r.opsPerSec), duration(r.usPerOp), duration(r.cpuUsPerOp)];
    if (hasRows) cells.push(figure(r.rowsPerSec));
    if (workload.latency) cells.push(duration(r.p50Us), duration(r.p95Us));
    cells.push(ratio(r.vsBaseline));
    if (hasMemory) cells.push(mebibytes(r.memory?.rssPeakGrowthMiB), mebibytes(r.memory?.heapPeakGrowthMiB));
    cells.push(...loopCells(r));
    if (hasNotes) cells.push('');
    return cells;
  });
  return { headers, align, rows };
}

/**
 * For each subject driver (rapsqlite), its throughput ratio against every other driver in this workload: the median of
 * the per-round ratios (rounds of different drivers run back to back, so each ratio compares one moment's load).
 */
export function subjectRatioLines(report: BenchReport, workload: WorkloadResult): string[] {
  const ok = workload.results.filter((r) => r.status === 'ok' && r.opsPerSec !== undefined);
  const subjects = new Set(report.drivers.filter((d) => d.subject).map((d) => d.id));
  return ok
    .filter((r) => subjects.has(r.driver))
    .map((subject) => {
      const parts = ok
        .filter((peer) => peer.driver !== subject.driver)
        .map((peer) => `${ratio(pairedRatio(subject, peer))} ${labelOf(report, peer.driver)}`);
      return `${labelOf(report, subject.driver)} throughput vs ${parts.join(' · ')}`;
    });
}

/** The fake-async verdict of one driver, from the long-query workload. */
export interface Verdict {
  readonly driver: string;
  readonly queryMs: number;
  readonly maxGapMs: number;
  readonly maxBusyGapMs: number | undefined;
  readonly maxDelayMs: number;
  readonly returnedPromise: boolean;
  readonly blocked: boolean;
  readonly verdict: string;
}

/**
 * Classifies every driver by what the loop probe saw during the long query. A driver whose call returned a promise
 * yet left the loop without a timer tick for at least half of the query is fake-async. A long gap during which the
 * main thread hardly ran is the OS's doing (a busy machine), not the driver's, and does not count.
 */
export function verdicts(report: BenchReport): Verdict[] {
  const long = report.workloads.find((w) => w.id === 'long-query');
  if (long === undefined) return [];
  return long.results
    .filter((r) => r.status === 'ok' && r.loop !== undefined)
    .map((r) => {
      const queryMs = (r.usPerOp ?? 0) / 1000;
      const maxGapMs = r.loop?.maxGapMs ?? 0;
      const maxBusyGapMs = r.loop?.maxBusyGapMs;
      const blocked = maxGapMs >= Math.max(50, queryMs / 2) && (maxBusyGapMs === undefined || maxBusyGapMs >= 50);
      const returnedPromise = r.returnedPromise === true;
      const verdict = !blocked
        ? returnedPromise
          ? 'truly asynchronous: the event loop kept running'
          : 'did not block (unexpected for a synchronous call)'
        : returnedPromise
          ? 'FAKE ASYNC: returns a promise but blocks the event loop for the whole query'
          : 'blocking: a synchronous API, blocks the event loop for the whole query (as documented)';
      return { driver: r.driver, queryMs, maxGapMs, maxBusyGapMs, maxDelayMs: r.loop?.maxDelayMs ?? 0, returnedPromise, blocked, verdict };
    });
}

/** The verdicts as a table. */
export function verdictTable(report: BenchReport): Table {
  return {
    headers: ['driver', 'query', 'returns promise', 'max gap', 'busy', 'loop max', 'verdict'],
    align: ['left', 'right', 'left', 'right', 'right', 'right', 'left'],
    rows: verdicts(report).map((v) => [
      labelOf(report, v.driver),
      millis(v.queryMs),
      v.returnedPromise ? 'yes' : 'no',
      millis(v.maxGapMs),
      millis(v.maxBusyGapMs),
      millis(v.maxDelayMs),
      v.verdict,
    ]),
  };
}
