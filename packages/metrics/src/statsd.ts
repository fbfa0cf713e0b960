import type { Middleware, Operation } from '@rapsqlite/engine';
import type { ClientOptions } from 'hot-shots';
import { errorCode } from './internal/errors.ts';
import { MEASURED_KINDS } from './internal/kinds.ts';
import { loadPeer } from './internal/peer.ts';
import { createPluginReporter, observe, type Outcome, type PluginErrorHandler } from '@rapsqlite/engine/plugin';
import { SqlInfoCache, SummaryLabels } from './internal/sql-info.ts';
import { POOL_ROLES, subscribePool, type ObservablePool, type ObservePoolOptions, type PoolObservation, type PoolStatsSnapshot } from './pool.ts';

/** Tags as hot-shots takes them: an object of key and value. */
export type StatsdTags = Readonly<Record<string, string>>;

/**
 * The part of a StatsD client the exporter uses: a hot-shots `StatsD` instance fits, and so does any client with
 * these methods (hot-shots' argument order: stat, value, sample rate, tags).
 */
export interface StatsdClient {
  timing(stat: string, value: number, sampleRate?: number, tags?: StatsdTags): void;
  increment(stat: string, value: number, sampleRate?: number, tags?: StatsdTags): void;
  gauge(stat: string, value: number, sampleRate?: number, tags?: StatsdTags): void;
  close?(callback?: (error?: Error) => void): void;
}

/** Options of {@link statsd}. */
export interface StatsdOptions {
  /** A client to send with (yours to close). Default: a hot-shots client made from `clientOptions`, closed by `close()`. */
  readonly client?: StatsdClient;
  /**
   * Options of the hot-shots client made when `client` is not given: `host`, `port`, `protocol`, `telegraf`
   * (Telegraf's tag format), `mock` (records to `mockBuffer`)… An `errorHandler` is added when absent, so a socket
   * error is reported rather than thrown.
   */
  readonly clientOptions?: ClientOptions;
  /** Prepended to every stat name. Default `'rapsqlite.'`. */
  readonly prefix?: string;
  /**
   * Tags: `true` (default) sends `kind`, `summary`, `role` and `status`/`code`; an object adds constant tags too;
   * `false` sends none, for a StatsD server that does not understand tags.
   */
  readonly tags?: boolean | StatsdTags;
  /** Sample rate of the duration timings, between 0 and 1. Default 1. */
  readonly sampleRate?: number;
  /** How often the pool gauges are sent, in milliseconds. Default 10 000. */
  readonly poolIntervalMs?: number;
  /** Distinct `summary` tag values kept before new ones become `'other'`. Default 500. */
  readonly maxSummaries?: number;
  /** Receives the plugin's own failures (socket errors included); default: one `process.emitWarning`. */
  readonly onError?: PluginErrorHandler;
}

/** The middleware {@link statsd} returns, with its client, a pool reporter and `close`. */
export interface StatsdMetrics extends Middleware {
  /** The client the stats are sent with. */
  readonly client: StatsdClient;
  /** Sends a pool's gauges every `poolIntervalMs` and its wait, use and create times and timeouts as they happen. */
  observePool(pool: ObservablePool, options?: ObservePoolOptions): PoolObservation;
  /** Sends what is queued, stops the pool timers and, when the exporter made the client, flushes and closes it. */
  close(): Promise<void>;
}

type HotShots = new (options?: ClientOptions) => StatsdClient;

/** A tag value of one token: a summary's spaces would break the Telegraf line format. */
function tagValue(value: string): string {
  return value.replace(/\s+/g, '_');
}

/**
 * Creates the StatsD middleware (with hot-shots, an optional peer dependency; StatsD, DogStatsD and Telegraf
 * flavours): `query.duration` timings in milliseconds, `query.errors` by code, `query.rows` and `query.changes`
 * counters, and with `observePool` the pool's gauges on an interval and its timings as they happen. Sending never
 * throws into the query path.
 *
 * @example
 * ```ts
 * const stats = statsd({ clientOptions: { host: '127.0.0.1', port: 8125 } });
 * const db = await open('app.db', { middleware: [stats] });
 * // on shutdown: await stats.close();
 * ```
 */
export function statsd(options: StatsdOptions = {}): StatsdMetrics {
  const settings = Object.freeze({ ...options });
  const report = createPluginReporter('statsd', settings.onError);
  const owned = settings.client === undefined;
  let client: StatsdClient;
  if (settings.client !== undefined) {
    client = settings.client;
  } else {
    const StatsD = loadPeer<HotShots>('hot-shots', 'statsd()');
    const clientOptions: ClientOptions = { ...settings.clientOptions };
    clientOptions.errorHandler ??= (err: Error) => report(err, 'send');
    client = new StatsD(clientOptions);
  }
  const prefix = settings.prefix ?? 'rapsqlite.';
  const tagging = settings.tags !== false;
  const constant: StatsdTags = typeof settings.tags === 'object' ? Object.freeze({ ...settings.tags }) : Object.freeze({});
  const sampleRate = settings.sampleRate ?? 1;
  const intervalMs = settings.poolIntervalMs ?? 10_000;
  const sql = new SqlInfoCache();
  const summaries = new SummaryLabels(settings.maxSummaries ?? 500);
  const kinds = new Set(MEASURED_KINDS);
  const stat = {
    duration: `${prefix}query.duration`,
    errors: `${prefix}query.errors`,
    rows: `${prefix}query.rows`,
    changes: `${prefix}query.changes`,
    connections: `${prefix}pool.connections`,
    max: `${prefix}pool.max`,
    min: `${prefix}pool.min`,
    pending: `${prefix}pool.pending`,
    maxWait: `${prefix}pool.max_wait`,
    timeouts: `${prefix}pool.timeouts`,
    waitTime: `${prefix}pool.wait_time`,
    useTime: `${prefix}pool.use_time`,
    createTime: `${prefix}pool.create_time`,
  } as const;
  const tags = (values: Record<string, string>): StatsdTags | undefined => (tagging ? { ...constant, ...values } : undefined);

  /**
   * Outcomes wait for the end of the event-loop turn (or `close()`) before they are formatted and sent: building
   * the lines and writing to the socket cost more than a point query's own work, and an awaited caller has by
   * then sent its next query, so the sending overlaps the worker's execution.
   */
  let queue: Array<{ readonly op: Operation; readonly summary: string; readonly outcome: Outcome }> = [];
  let scheduled = false;
  const send = (op: Operation, summary: string, outcome: Outcome): void => {
    const base = { kind: op.kind, summary: tagValue(summaries.label(summary)), role: op.connection?.role ?? 'unknown' };
    client.timing(stat.duration, outcome.durationMs, sampleRate, tags({ ...base, status: outcome.ok ? 'ok' : 'error' }));
    if (!outcome.ok) {
      client.increment(stat.errors, 1, 1, tags({ ...base, code: errorCode(outcome.error) }));
      return;
    }
    // A get returns at most one row by construction: its row count is not worth a counter.
    if (outcome.rows !== undefined && op.kind !== 'get') client.increment(stat.rows, outcome.rows, 1, tags(base));
    if (outcome.changes !== undefined && outcome.changes > 0) client.increment(stat.changes, outcome.changes, 1, tags(base));
  };
  const flush = (): void => {
    scheduled = false;
    const pending = queue;
    queue = [];
    for (const item of pending) {
      try {
        send(item.op, item.summary, item.outcome);
      } catch (err) {
        report(err, 'send');
      }
    }
  };
  const end = (op: Operation, summary: string, outcome: Outcome): void => {
    queue.push({ op, summary, outcome });
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };

  const observations = new Set<PoolObservation>();

  const observePool = (pool: ObservablePool, poolOptions: ObservePoolOptions = {}): PoolObservation => {
    const name = poolOptions.name ?? 'sqlite';
    const read = poolOptions.stats ?? ((p: ObservablePool) => p.stats());
    const roleTags = { writer: tags({ pool: name, role: 'writer' }), reader: tags({ pool: name, role: 'reader' }) } as const;
    const send = (): void => {
      let stats: PoolStatsSnapshot;
      try {
        stats = read(pool);
      } catch (err) {
        report(err, 'pool stats');
        return;
      }
      try {
        for (const [role, group] of POOL_ROLES) {
          const g = group(stats);
          const t = roleTags[role];
          client.gauge(stat.connections, g.idle, 1, tags({ pool: name, role, state: 'idle' }));
          client.gauge(stat.connections, g.used, 1, tags({ pool: name, role, state: 'used' }));
          client.gauge(stat.max, g.max, 1, t);
          client.gauge(stat.min, g.min, 1, t);
          client.gauge(stat.pending, g.pending, 1, t);
          if (g.maxWaitMs !== undefined) client.gauge(stat.maxWait, g.maxWaitMs, 1, t);
        }
      } catch (err) {
        report(err, 'send');
      }
    };
    const timer = setInterval(send, intervalMs);
    // Metrics must never keep a process alive.
    timer.unref();
    let unsubscribe: () => void = () => undefined;
    try {
      unsubscribe = subscribePool(
        pool,
        {
          wait: (ms, role) => client.timing(stat.waitTime, ms, 1, roleTags[role]),
          use: (ms, role) => client.timing(stat.useTime, ms, 1, roleTags[role]),
          create: (ms, role) => client.timing(stat.createTime, ms, 1, roleTags[role]),
          timeout: (role) => client.increment(stat.timeouts, 1, 1, roleTags[role]),
        },
        report,
      );
    } catch (err) {
      report(err, 'pool subscribe');
    }
    let stopped = false;
    const observation: PoolObservation = Object.freeze({
      stop: () => {
        if (stopped) return;
        stopped = true;
        clearInterval(timer);
        observations.delete(observation);
        try {
          unsubscribe();
        } catch (err) {
          report(err, 'pool stop');
        }
      },
      [Symbol.dispose]: () => observation.stop(),
    });
    observations.add(observation);
    return observation;
  };

  const close = async (): Promise<void> => {
    for (const observation of [...observations]) observation.stop();
    flush();
    if (!owned || client.close === undefined) return;
    const closing = client;
    await new Promise<void>((resolve) => {
      try {
        closing.close?.((err) => {
          if (err !== undefined && err !== null) report(err, 'close');
          resolve();
        });
      } catch (err) {
        report(err, 'close');
        resolve();
      }
    });
  };

  return Object.freeze({
    ...observe<string>('statsd', { filter: (op) => kinds.has(op.kind), start: (op) => sql.get(op.sql).summary, end }, { report }),
    client,
    observePool,
    close,
  });
}
