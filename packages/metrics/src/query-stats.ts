import type { Middleware, Operation, OperationKind } from '@rapsqlite/engine';
import { errorCode } from './internal/errors.ts';
import { LogHistogram } from './internal/log-histogram.ts';

import { createPluginReporter, observe, STATEMENT_KINDS, type Outcome, type PluginErrorHandler } from '@rapsqlite/engine/plugin';
import { SqlInfoCache, type SqlInfo } from './internal/sql-info.ts';
import { EXPLAIN_ATTRIBUTE } from './slow-query.ts';
import { invalidArgument } from '@rapsqlite/engine/plugin';

/** The orders {@link QueryStats.top} can sort by, as an `as const` tuple. */
export const QUERY_STATS_ORDERS = ['totalTime', 'meanTime', 'maxTime', 'p95', 'p99', 'stddev', 'calls', 'rows', 'errors'] as const;

/** One of {@link QUERY_STATS_ORDERS}. */
export type QueryStatsOrder = (typeof QUERY_STATS_ORDERS)[number];

/** Options of {@link queryStats}. */
export interface QueryStatsOptions {
  /** The most statements kept; when full, the least executed 5 % are evicted. Default 5000, as pg_stat_statements. */
  readonly max?: number;
  /** The operation kinds counted. Default: the statement kinds (`exec`, `run`, `runMany`, `get`, `all`, `values`, `iterate`). */
  readonly kinds?: readonly OperationKind[];
  /** Receives the plugin's own failures; default: one `process.emitWarning`. */
  readonly onError?: PluginErrorHandler;
}

/**
 * The statistics of one normalized statement. Times are in milliseconds and count successful executions only,
 * as in pg_stat_statements; failures are counted apart, by error code.
 */
export interface QueryStatsEntry {
  /** 16 hex digits: the hash of {@link query}. */
  readonly fingerprint: string;
  /** The normalized text: constants and parameters as `?`, `IN (...)` lists collapsed, keywords uppercased. */
  readonly query: string;
  /** The OpenTelemetry query summary (`SELECT users`). */
  readonly summary: string;
  /** The first text seen with this fingerprint, with literal values replaced by `?` and comments removed. */
  readonly example: string;
  /** Successful executions. */
  readonly calls: number;
  readonly totalMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly meanMs: number;
  /** Population standard deviation, computed with Welford's method. */
  readonly stddevMs: number;
  /** Percentiles estimated from a log-bucketed histogram (within about ±9 %, clamped to min and max). */
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  /** Rows returned (`get`, `all`, `values`, `iterate`) or changed (`run`, `runMany`), summed. */
  readonly rows: number;
  /** Failed executions. */
  readonly errors: number;
  /** Failed executions by error code (SQLite's extended code, `ERR_RAPSQLITE_*`, or `OTHER`). */
  readonly errorsByCode: Readonly<Record<string, number>>;
  /** When the statement was first seen (since the last reset). */
  readonly since: Date;
  /** When it last ran. */
  readonly lastSeen: Date;
}

/** The middleware {@link queryStats} returns, with its statistics table. */
export interface QueryStats extends Middleware {
  /** Every entry, in no particular order. */
  stats(): QueryStatsEntry[];
  /** The `n` entries highest by `by` (default `'totalTime'`). */
  top(n: number, by?: QueryStatsOrder): QueryStatsEntry[];
  /** Empties the table and the eviction counter. */
  reset(): void;
  /** Entries evicted to make room since the last reset. */
  readonly evictions: number;
  /** Entries in the table. */
  readonly size: number;
  /** The most entries kept. */
  readonly max: number;
  /** When the statistics started (creation or last reset). */
  readonly since: Date;
}

class Entry {
  readonly fingerprint: string;
  readonly query: string;
  readonly summary: string;
  readonly example: string;
  readonly since: number;
  lastSeen: number;
  calls = 0;
  totalMs = 0;
  minMs = Infinity;
  maxMs = 0;
  mean = 0;
  m2 = 0;
  rows = 0;
  errors = 0;
  readonly errorsByCode = new Map<string, number>();
  histogram: LogHistogram | undefined;

  constructor(info: SqlInfo, now: number) {
    this.fingerprint = info.fingerprint;
    this.query = info.normalized;
    this.summary = info.summary;
    this.example = info.sanitized;
    this.since = now;
    this.lastSeen = now;
  }

  add(outcome: Outcome, now: number): void {
    this.lastSeen = now;
    if (!outcome.ok) {
      this.errors++;
      const code = errorCode(outcome.error);
      this.errorsByCode.set(code, (this.errorsByCode.get(code) ?? 0) + 1);
      return;
    }
    const ms = outcome.durationMs;
    this.calls++;
    this.totalMs += ms;
    if (ms < this.minMs) this.minMs = ms;
    if (ms > this.maxMs) this.maxMs = ms;
    // Welford: a running mean and sum of squared deviations, stable for long runs of similar values.
    const delta = ms - this.mean;
    this.mean += delta / this.calls;
    this.m2 += delta * (ms - this.mean);
    this.rows += outcome.rows ?? outcome.changes ?? 0;
    (this.histogram ??= new LogHistogram()).record(ms);
  }

  snapshot(): QueryStatsEntry {
    const calls = this.calls;
    const min = calls === 0 ? 0 : this.minMs;
    const quantile = (q: number): number => this.histogram?.quantile(q, min, this.maxMs) ?? 0;
    return Object.freeze({
      fingerprint: this.fingerprint,
      query: this.query,
      summary: this.summary,
      example: this.example,
      calls,
      totalMs: this.totalMs,
      minMs: min,
      maxMs: this.maxMs,
      meanMs: calls === 0 ? 0 : this.mean,
      stddevMs: calls === 0 ? 0 : Math.sqrt(this.m2 / calls),
      p50Ms: quantile(0.5),
      p95Ms: quantile(0.95),
      p99Ms: quantile(0.99),
      rows: this.rows,
      errors: this.errors,
      errorsByCode: Object.freeze(Object.fromEntries(this.errorsByCode)),
      since: new Date(this.since),
      lastSeen: new Date(this.lastSeen),
    });
  }
}

const ORDER_KEYS: Readonly<Record<QueryStatsOrder, (e: QueryStatsEntry) => number>> = {
  totalTime: (e) => e.totalMs,
  meanTime: (e) => e.meanMs,
  maxTime: (e) => e.maxMs,
  p95: (e) => e.p95Ms,
  p99: (e) => e.p99Ms,
  stddev: (e) => e.stddevMs,
  calls: (e) => e.calls,
  rows: (e) => e.rows,
  errors: (e) => e.errors,
};

/**
 * Creates a per-statement statistics middleware in the manner of PostgreSQL's pg_stat_statements: statements are
 * grouped by the fingerprint of their normalized text, and each group keeps calls, total, min, max, mean and
 * standard deviation of the time, estimated p50/p95/p99, rows, errors by code, its first-seen text and when it
 * was first seen. The table is bounded; the least executed statements are evicted first.
 *
 * @example
 * ```ts
 * const stats = queryStats();
 * const db = await open('app.db', { middleware: [stats] });
 * // later
 * for (const s of stats.top(5, 'totalTime')) console.log(s.summary, s.calls, s.meanMs.toFixed(3), s.p95Ms.toFixed(3));
 * ```
 */
export function queryStats(options: QueryStatsOptions = {}): QueryStats {
  const settings = Object.freeze({ ...options });
  const max = settings.max ?? 5000;
  if (!Number.isInteger(max) || max < 1) throw invalidArgument('queryStats: max must be a positive integer');
  const kinds: ReadonlySet<OperationKind> = new Set(settings.kinds ?? STATEMENT_KINDS);
  const report = createPluginReporter('queryStats', settings.onError);
  const sql = new SqlInfoCache();
  const entries = new Map<string, Entry>();
  let evictions = 0;
  let since = Date.now();

  const evict = (): void => {
    // As pg_stat_statements: drop the least executed 5 % at once, so a full table does not sort on every insert.
    const victims = [...entries.values()].sort((a, b) => a.calls + a.errors - (b.calls + b.errors) || a.lastSeen - b.lastSeen);
    const count = Math.max(1, Math.ceil(max * 0.05));
    for (const victim of victims.slice(0, count)) entries.delete(victim.fingerprint);
    evictions += Math.min(count, victims.length);
  };

  const end = (op: Operation, info: SqlInfo, outcome: Outcome): void => {
    const now = Date.now();
    const fingerprint = info.fingerprint;
    let entry = entries.get(fingerprint);
    if (entry === undefined) {
      if (entries.size >= max) evict();
      entry = new Entry(info, now);
      entries.set(fingerprint, entry);
    }
    entry.add(outcome, now);
  };

  const snapshots = (): QueryStatsEntry[] => [...entries.values()].map((e) => e.snapshot());

  return Object.freeze({
    ...observe<SqlInfo>(
      'queryStats',
      { filter: (op) => kinds.has(op.kind) && op.attributes[EXPLAIN_ATTRIBUTE] !== true, start: (op) => sql.get(op.sql), end },
      { report },
    ),
    stats: snapshots,
    top(n: number, by: QueryStatsOrder = 'totalTime'): QueryStatsEntry[] {
      const key = ORDER_KEYS[by];
      if (key === undefined) throw invalidArgument(`queryStats.top: unknown order "${String(by)}"`);
      return snapshots()
        .sort((a, b) => key(b) - key(a))
        .slice(0, Math.max(0, n));
    },
    reset(): void {
      entries.clear();
      evictions = 0;
      since = Date.now();
    },
    get evictions() {
      return evictions;
    },
    get size() {
      return entries.size;
    },
    max,
    get since() {
      return new Date(since);
    },
  });
}
