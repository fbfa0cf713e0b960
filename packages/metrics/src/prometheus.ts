import type { Middleware, Operation } from '@rapsqlite/engine';
import type * as PromClientModule from 'prom-client';
import type { Gauge, Registry } from 'prom-client';
import { errorCode } from './internal/errors.ts';
import { MEASURED_KINDS } from './internal/kinds.ts';
import { loadPeer } from './internal/peer.ts';
import { FastCounter, FastHistogram, type CounterSeries, type HistogramSeries } from './internal/prom-series.ts';
import { createPluginReporter, observe, type Outcome, type PluginErrorHandler, type PluginReporter } from '@rapsqlite/engine/plugin';
import { SqlInfoCache, SummaryLabels } from './internal/sql-info.ts';
import {
  POOL_ROLES,
  subscribePool,
  type ObservablePool,
  type ObservePoolOptions,
  type PoolGroupStats,
  type PoolObservation,
  type PoolStatsSnapshot,
} from './pool.ts';
import type { QueryStats, QueryStatsEntry } from './query-stats.ts';
import { invalidArgument } from '@rapsqlite/engine/plugin';

type PromClient = typeof PromClientModule;

/**
 * Buckets of `db_client_operation_duration_seconds`, in seconds: 50 µs to 10 s. SQLite answers a point query in
 * tens of microseconds, so the low end is finer than prom-client's default buckets (which start at 5 ms).
 */
export const PROMETHEUS_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

/** Buckets of `db_client_response_returned_rows`. */
export const PROMETHEUS_ROW_BUCKETS: readonly number[] = Object.freeze([0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000]);

/** Buckets of the pool's wait, use and create times, in seconds. */
export const PROMETHEUS_POOL_BUCKETS: readonly number[] = Object.freeze([
  0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10,
]);

/** Options of {@link prometheus}. */
export interface PrometheusOptions {
  /** The registry to register in. Default: a new one (a library should not fill the global registry unasked). */
  readonly registry?: Registry;
  /** Prepended to every metric name. Default `''`. */
  readonly prefix?: string;
  /** Constant labels added to every series, for example `{ db: 'orders' }` when several databases share a registry. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Buckets of the duration histogram, in seconds. Default {@link PROMETHEUS_DURATION_BUCKETS}. */
  readonly durationBuckets?: readonly number[];
  /** Buckets of the returned-rows histogram. Default {@link PROMETHEUS_ROW_BUCKETS}. */
  readonly rowBuckets?: readonly number[];
  /** Distinct `summary` label values kept before new ones become `'other'`. Default 500. */
  readonly maxSummaries?: number;
  /** Also export the top statements of this {@link QueryStats} table (read at scrape time). */
  readonly queryStats?: QueryStats;
  /** How many statements of `queryStats` to export, highest total time first. Default 20. */
  readonly queryStatsTop?: number;
  /** Receives the plugin's own failures; default: one `process.emitWarning`. A query never fails because of them. */
  readonly onError?: PluginErrorHandler;
}

/** The middleware {@link prometheus} returns, with its registry and a pool collector. */
export interface PrometheusMetrics extends Middleware {
  /** The registry the metrics live in: serve `await registry.metrics()` with `registry.contentType`. */
  readonly registry: Registry;
  /** Adds a pool's `db_client_connection_*` metrics; its gauges are read from `pool.stats()` at scrape time. */
  observePool(pool: ObservablePool, options?: ObservePoolOptions): PoolObservation;
}

const OPERATION_LABELS = ['kind', 'summary', 'role', 'status'] as const;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

interface PoolEntry {
  readonly name: string;
  readonly read: () => PoolStatsSnapshot;
}

/** What the exporters registered in one registry with one prefix share: metrics are registered only once. */
interface Shared {
  readonly client: PromClient;
  readonly registry: Registry;
  readonly prefix: string;
  readonly constant: Readonly<Record<string, string>>;
  readonly duration: FastHistogram;
  readonly rows: FastHistogram;
  readonly errors: FastCounter;
  readonly changes: FastCounter;
  readonly pools: Set<PoolEntry>;
  readonly statsTables: Map<QueryStats, number>;
  report: PluginReporter;
  pool: PoolMetrics | undefined;
  statsExported: boolean;
}

interface PoolMetrics {
  readonly timeouts: FastCounter;
  readonly waitTime: FastHistogram;
  readonly useTime: FastHistogram;
  readonly createTime: FastHistogram;
}

const registries = new WeakMap<Registry, Map<string, Shared>>();

function checkLabels(labels: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(labels)) {
    if (!LABEL_NAME.test(name) || name.startsWith('__') || (OPERATION_LABELS as readonly string[]).includes(name) || name === 'pool' || name === 'state' || name === 'code' || name === 'fingerprint') {
      throw invalidArgument(`prometheus: "${name}" cannot be a constant label name`);
    }
    if (typeof value !== 'string') throw invalidArgument(`prometheus: the constant label "${name}" must be a string`);
  }
}

function shared(client: PromClient, registry: Registry, options: PrometheusOptions, report: PluginReporter): Shared {
  const prefix = options.prefix ?? '';
  let byPrefix = registries.get(registry);
  if (byPrefix === undefined) registries.set(registry, (byPrefix = new Map()));
  const existing = byPrefix.get(prefix);
  if (existing !== undefined) return existing;
  const constant = Object.freeze({ ...options.labels });
  const extra = Object.keys(constant);
  const state: Shared = {
    client,
    registry,
    prefix,
    constant,
    duration: new FastHistogram(
      `${prefix}db_client_operation_duration_seconds`,
      'Duration of rapsqlite operations, in seconds, by operation kind, query summary, connection role and status.',
      [...OPERATION_LABELS, ...extra],
      options.durationBuckets ?? PROMETHEUS_DURATION_BUCKETS,
    ).register(registry),
    rows: new FastHistogram(
      `${prefix}db_client_response_returned_rows`,
      'Rows returned by get, all, values and iterate calls.',
      ['kind', 'summary', 'role', ...extra],
      options.rowBuckets ?? PROMETHEUS_ROW_BUCKETS,
    ).register(registry),
    errors: new FastCounter(
      `${prefix}rapsqlite_errors_total`,
      'Failed rapsqlite operations, by error code (SQLite extended result code or ERR_RAPSQLITE_*).',
      ['kind', 'summary', 'role', 'code', ...extra],
    ).register(registry),
    changes: new FastCounter(
      `${prefix}rapsqlite_changed_rows_total`,
      'Rows inserted, updated or deleted by run and runMany calls.',
      ['kind', 'summary', 'role', ...extra],
    ).register(registry),
    pools: new Set(),
    statsTables: new Map(),
    report,
    pool: undefined,
    statsExported: false,
  };
  byPrefix.set(prefix, state);
  return state;
}

function poolMetrics(state: Shared): PoolMetrics {
  if (state.pool !== undefined) return state.pool;
  const { client, prefix, constant, registry } = state;
  const extra = Object.keys(constant);
  const registers = [registry];
  /** Sets `gauge` from every observed pool, per role, at scrape time. */
  const fill = (gauge: Gauge, set: (labels: Record<string, string>, group: PoolGroupStats) => void): void => {
    gauge.reset();
    for (const pool of state.pools) {
      let stats: PoolStatsSnapshot;
      try {
        stats = pool.read();
      } catch (err) {
        state.report(err, 'pool stats');
        continue;
      }
      for (const [role, group] of POOL_ROLES) set({ ...constant, pool: pool.name, role }, group(stats));
    }
  };
  const gauge = (name: string, help: string, labelNames: string[], set: (gauge: Gauge, labels: Record<string, string>, group: PoolGroupStats) => void): void => {
    const metric: Gauge = new client.Gauge({
      name: `${prefix}${name}`,
      help,
      labelNames: [...labelNames, ...extra],
      registers,
      collect: () => fill(metric, (labels, group) => set(metric, labels, group)),
    });
  };
  gauge('db_client_connection_count', 'Connections of the pool, by role and state (idle or used).', ['pool', 'role', 'state'], (g, labels, group) => {
    g.set({ ...labels, state: 'idle' }, group.idle);
    g.set({ ...labels, state: 'used' }, group.used);
  });
  gauge('db_client_connection_max', 'The most connections the pool may open, by role.', ['pool', 'role'], (g, labels, group) => g.set(labels, group.max));
  gauge('db_client_connection_idle_min', 'Connections the pool keeps open even when idle, by role.', ['pool', 'role'], (g, labels, group) =>
    g.set(labels, group.min),
  );
  gauge('db_client_connection_pending_requests', 'Calls waiting for a connection of the pool, by role.', ['pool', 'role'], (g, labels, group) =>
    g.set(labels, group.pending),
  );
  gauge(
    'rapsqlite_connection_max_wait_seconds',
    'How long the oldest call waiting for a connection has waited, in seconds (pgbouncer maxwait).',
    ['pool', 'role'],
    (g, labels, group) => {
      if (group.maxWaitMs !== undefined) g.set(labels, group.maxWaitMs / 1000);
    },
  );
  const time = (name: string, help: string): FastHistogram =>
    new FastHistogram(`${prefix}${name}`, help, ['pool', 'role', ...extra], PROMETHEUS_POOL_BUCKETS).register(registry);
  state.pool = {
    timeouts: new FastCounter(
      `${prefix}db_client_connection_timeouts_total`,
      'Calls that gave up waiting for a connection of the pool, by role.',
      ['pool', 'role', ...extra],
    ).register(registry),
    waitTime: time('db_client_connection_wait_time_seconds', 'Time calls waited to obtain a connection of the pool, in seconds.'),
    useTime: time('db_client_connection_use_time_seconds', 'Time between borrowing a connection of the pool and returning it, in seconds.'),
    createTime: time('db_client_connection_create_time_seconds', 'Time it took to open a connection of the pool, in seconds.'),
  };
  return state.pool;
}

/** Gauges of the top statements of `queryStats` tables, computed once per scrape. */
function exportQueryStats(state: Shared): void {
  if (state.statsExported) return;
  state.statsExported = true;
  const { client, prefix, constant, registry } = state;
  const extra = Object.keys(constant);
  const registers = [registry];
  let memo: Array<{ table: QueryStats; entries: QueryStatsEntry[] }> | undefined;
  const tables = (): Array<{ table: QueryStats; entries: QueryStatsEntry[] }> => {
    if (memo !== undefined) return memo;
    const computed: Array<{ table: QueryStats; entries: QueryStatsEntry[] }> = [];
    for (const [table, top] of state.statsTables) {
      try {
        computed.push({ table, entries: table.top(top, 'totalTime') });
      } catch (err) {
        state.report(err, 'query stats');
      }
    }
    memo = computed;
    // All the gauges of one scrape are collected in the same turn; the next scrape reads the table again.
    setImmediate(() => {
      memo = undefined;
    }).unref();
    return computed;
  };
  const perStatement = (name: string, help: string, pick: (entry: QueryStatsEntry) => number): void => {
    const gauge: Gauge = new client.Gauge({
      name: `${prefix}${name}`,
      help,
      labelNames: ['fingerprint', 'summary', ...extra],
      registers,
      collect: () => {
        gauge.reset();
        for (const { entries } of tables()) {
          for (const entry of entries) gauge.set({ ...constant, fingerprint: entry.fingerprint, summary: entry.summary }, pick(entry));
        }
      },
    });
  };
  const perTable = (name: string, help: string, pick: (table: QueryStats) => number): void => {
    const gauge: Gauge = new client.Gauge({
      name: `${prefix}${name}`,
      help,
      labelNames: extra,
      registers,
      collect: () => {
        gauge.reset();
        let total = 0;
        for (const table of state.statsTables.keys()) total += pick(table);
        gauge.set({ ...constant }, total);
      },
    });
  };
  perStatement('rapsqlite_query_calls', 'Successful executions of the statement (top statements by total time).', (e) => e.calls);
  perStatement('rapsqlite_query_errors', 'Failed executions of the statement.', (e) => e.errors);
  perStatement('rapsqlite_query_rows', 'Rows returned or changed by the statement.', (e) => e.rows);
  perStatement('rapsqlite_query_time_seconds', 'Total time of the statement, in seconds.', (e) => e.totalMs / 1000);
  perStatement('rapsqlite_query_mean_seconds', 'Mean time of the statement, in seconds.', (e) => e.meanMs / 1000);
  perStatement('rapsqlite_query_max_seconds', 'Longest time of the statement, in seconds.', (e) => e.maxMs / 1000);
  perStatement('rapsqlite_query_p95_seconds', 'Estimated 95th percentile time of the statement, in seconds.', (e) => e.p95Ms / 1000);
  perStatement('rapsqlite_query_p99_seconds', 'Estimated 99th percentile time of the statement, in seconds.', (e) => e.p99Ms / 1000);
  perTable('rapsqlite_query_stats_entries', 'Statements in the statistics table.', (t) => t.size);
  perTable('rapsqlite_query_stats_evictions', 'Statements evicted from the statistics table since its last reset.', (t) => t.evictions);
}

/**
 * Creates the Prometheus middleware (with prom-client, an optional peer dependency): a duration histogram in
 * seconds, a returned-rows histogram, errors by code and changed rows, labelled only with values of bounded
 * cardinality (operation kind, query summary, connection role, status or error code), never SQL text or
 * parameters. `observePool` adds the pool's `db_client_connection_*` metrics, read at scrape time.
 *
 * @example
 * ```ts
 * const metrics = prometheus();
 * const db = await open('app.db', { middleware: [metrics] });
 * http.createServer(async (req, res) => {
 *   res.setHeader('Content-Type', metrics.registry.contentType);
 *   res.end(await metrics.registry.metrics());
 * }).listen(9464);
 * ```
 */
export function prometheus(options: PrometheusOptions = {}): PrometheusMetrics {
  const settings = Object.freeze({ ...options });
  const client = loadPeer<PromClient>('prom-client', 'prometheus()');
  if (settings.labels !== undefined) checkLabels(settings.labels);
  const registry = settings.registry ?? new client.Registry();
  const report = createPluginReporter('prometheus', settings.onError);
  const state = shared(client, registry, settings, report);
  if (settings.queryStats !== undefined) {
    state.statsTables.set(settings.queryStats, settings.queryStatsTop ?? 20);
    exportQueryStats(state);
  }
  const sql = new SqlInfoCache();
  const summaries = new SummaryLabels(settings.maxSummaries ?? 500);
  const kinds = new Set(MEASURED_KINDS);
  const constant = state.constant;
  /**
   * The series an operation updates, resolved once per kind, summary and role; each is made on first use, so a
   * label set that never failed has no error series (as with prom-client's own metrics).
   */
  class Handles {
    readonly #labels: Readonly<Record<string, string>>;
    #ok: HistogramSeries | undefined;
    #failed: HistogramSeries | undefined;
    #rows: HistogramSeries | undefined;
    #changes: CounterSeries | undefined;
    constructor(labels: Readonly<Record<string, string>>) {
      this.#labels = labels;
    }
    get ok(): HistogramSeries {
      return (this.#ok ??= state.duration.series({ ...this.#labels, status: 'ok' }));
    }
    get failed(): HistogramSeries {
      return (this.#failed ??= state.duration.series({ ...this.#labels, status: 'error' }));
    }
    get rows(): HistogramSeries {
      return (this.#rows ??= state.rows.series(this.#labels));
    }
    get changes(): CounterSeries {
      return (this.#changes ??= state.changes.series(this.#labels));
    }
  }
  const handleCache = new Map<string, Handles>();
  const handles = (kind: string, summary: string, role: string): Handles => {
    const key = `${kind}\u0000${summary}\u0000${role}`;
    let value = handleCache.get(key);
    if (value === undefined) {
      value = new Handles({ ...constant, kind, summary, role });
      handleCache.set(key, value);
    }
    return value;
  };

  const end = (op: Operation, summary: string, outcome: Outcome): void => {
    const role = op.connection?.role ?? 'unknown';
    const label = summaries.label(summary);
    const series = handles(op.kind, label, role);
    if (!outcome.ok) {
      series.failed.observe(outcome.durationMs / 1000);
      state.errors.series({ ...constant, kind: op.kind, summary: label, role, code: errorCode(outcome.error) }).inc();
      return;
    }
    series.ok.observe(outcome.durationMs / 1000);
    // A get returns at most one row by construction: its row count says nothing a histogram needs to record.
    if (outcome.rows !== undefined && op.kind !== 'get') series.rows.observe(outcome.rows);
    if (outcome.changes !== undefined && outcome.changes > 0) series.changes.inc(outcome.changes);
  };

  const observePool = (pool: ObservablePool, poolOptions: ObservePoolOptions = {}): PoolObservation => {
    const metrics = poolMetrics(state);
    const name = poolOptions.name ?? 'sqlite';
    const readStats = poolOptions.stats;
    const entry: PoolEntry = { name, read: readStats === undefined ? () => pool.stats() : () => readStats(pool) };
    state.pools.add(entry);
    const bind = (role: 'writer' | 'reader') => {
      const labels = { ...constant, pool: name, role };
      return {
        wait: metrics.waitTime.series(labels),
        use: metrics.useTime.series(labels),
        create: metrics.createTime.series(labels),
        timeouts: metrics.timeouts.series(labels),
      };
    };
    const bound = { writer: bind('writer'), reader: bind('reader') } as const;
    const unsubscribe = subscribePool(
      pool,
      {
        wait: (ms, role) => bound[role].wait.observe(ms / 1000),
        use: (ms, role) => bound[role].use.observe(ms / 1000),
        create: (ms, role) => bound[role].create.observe(ms / 1000),
        timeout: (role) => bound[role].timeouts.inc(),
      },
      report,
    );
    let stopped = false;
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      state.pools.delete(entry);
      try {
        unsubscribe();
      } catch (err) {
        report(err, 'pool stop');
      }
    };
    return Object.freeze({ stop, [Symbol.dispose]: stop });
  };

  return Object.freeze({
    ...observe<string>('prometheus', { filter: (op) => kinds.has(op.kind), start: (op) => sql.get(op.sql).summary, end }, { report }),
    registry,
    observePool,
  });
}
