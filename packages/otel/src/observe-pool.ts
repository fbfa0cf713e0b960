import type {
  Attributes,
  BatchObservableCallback,
  Counter,
  Histogram,
  Meter,
  MeterProvider,
  Observable,
} from '@opentelemetry/api';
import type { ConnectionRole } from '@rapsqlite/engine';
import { createPluginReporter, POOL_EVENTS, type ObservablePool, type PluginErrorHandler, type PluginReporter, type PoolEventName, type PoolEventPayload, type PoolStatsSnapshot } from '@rapsqlite/engine/plugin';
import { MeterSource } from './internal/instruments.ts';

export { POOL_EVENTS };
export type { ObservablePool, PoolEventName, PoolEventPayload, PoolGroupStats, PoolStatsSnapshot } from '@rapsqlite/engine/plugin';

/** Options of {@link observePool}. */
export interface ObservePoolOptions {
  /** `db.client.connection.pool.name`, unique within the application. Default `'sqlite'`. */
  readonly name?: string;
  /** The meter provider to use. Default: the global one, looked up again whenever it changes. */
  readonly meterProvider?: MeterProvider;
  /** Reads the statistics, for a pool whose `stats()` has another shape. Default: `pool.stats()`. */
  readonly stats?: (pool: ObservablePool) => PoolStatsSnapshot;
  /** Receives the instrumentation's own failures; default: one `process.emitWarning`. */
  readonly onError?: PluginErrorHandler;
}

/** The handle {@link observePool} returns: stops the instrumentation. */
export interface PoolObservation extends Disposable {
  /** Removes the event listeners and the observable callbacks. Idempotent. */
  stop(): void;
}

/** Bucket boundaries of the pool's time histograms, in seconds: waits are often microseconds, creations milliseconds. */
export const POOL_TIME_BUCKETS: readonly number[] = Object.freeze([
  0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10,
]);

interface PoolInstruments {
  readonly meter: Meter;
  readonly observables: Observable[];
  readonly callback: BatchObservableCallback;
  readonly timeouts: Counter;
  readonly waitTime: Histogram;
  readonly useTime: Histogram;
  readonly createTime: Histogram;
}

const ROLES = ['writer', 'reader'] as const;

/**
 * Reports a connection pool's `db.client.connection.*` metrics through OpenTelemetry: connection counts by state,
 * the limits and pending requests (read at collection time), timeouts and the create, wait and use times (from the
 * pool's events). Every measurement carries `db.client.connection.pool.name` and `rapsqlite.connection.role`
 * (`writer` or `reader`: rapsqlite's pool keeps one queue per role); sum over the role for the whole pool.
 *
 * @example
 * ```ts
 * const pool = await createPool('app.db', { middleware: [otel()] });
 * const observation = observePool(pool, { name: 'app' });
 * // on shutdown: observation.stop();
 * ```
 */
export function observePool(pool: ObservablePool, options: ObservePoolOptions = {}): PoolObservation {
  const settings = Object.freeze({ ...options });
  const name = settings.name ?? 'sqlite';
  const report: PluginReporter = createPluginReporter('otel.pool', settings.onError);
  const source = new MeterSource(settings.meterProvider);
  const attributes = (role: ConnectionRole, state?: 'idle' | 'used'): Attributes => {
    const value: Attributes = { 'db.client.connection.pool.name': name, 'rapsqlite.connection.role': role };
    if (state !== undefined) value['db.client.connection.state'] = state;
    return Object.freeze(value);
  };
  const byRole = {
    writer: { base: attributes('writer'), idle: attributes('writer', 'idle'), used: attributes('writer', 'used') },
    reader: { base: attributes('reader'), idle: attributes('reader', 'idle'), used: attributes('reader', 'used') },
  } as const;
  const readStats = settings.stats ?? ((p: ObservablePool) => p.stats());
  let instruments: PoolInstruments | undefined;
  let stopped = false;

  const make = (meter: Meter): PoolInstruments => {
    const count = meter.createObservableUpDownCounter('db.client.connection.count', {
      description: 'The number of connections that are currently in state described by the state attribute.',
      unit: '{connection}',
    });
    const idleMin = meter.createObservableUpDownCounter('db.client.connection.idle.min', {
      description: 'The minimum number of idle open connections allowed.',
      unit: '{connection}',
    });
    const max = meter.createObservableUpDownCounter('db.client.connection.max', {
      description: 'The maximum number of open connections allowed.',
      unit: '{connection}',
    });
    const pending = meter.createObservableUpDownCounter('db.client.connection.pending_requests', {
      description: 'The number of current pending requests for an open connection.',
      unit: '{request}',
    });
    const maxWait = meter.createObservableGauge('rapsqlite.connection.max_wait', {
      description: 'How long the oldest pending request has waited for a connection (pgbouncer maxwait).',
      unit: 's',
    });
    const observables: Observable[] = [count, idleMin, max, pending, maxWait];
    const callback: BatchObservableCallback = (result) => {
      if (stopped) return;
      let stats: PoolStatsSnapshot;
      try {
        stats = readStats(pool);
      } catch (err) {
        report(err, 'stats');
        return;
      }
      for (const role of ROLES) {
        const group = role === 'writer' ? stats.writer : stats.readers;
        const labels = byRole[role];
        result.observe(count, group.idle, labels.idle);
        result.observe(count, group.used, labels.used);
        result.observe(idleMin, group.min, labels.base);
        result.observe(max, group.max, labels.base);
        result.observe(pending, group.pending, labels.base);
        if (group.maxWaitMs !== undefined) result.observe(maxWait, group.maxWaitMs / 1000, labels.base);
      }
    };
    meter.addBatchObservableCallback(callback, observables);
    const time = (metric: string, description: string): Histogram =>
      meter.createHistogram(metric, { description, unit: 's', advice: { explicitBucketBoundaries: [...POOL_TIME_BUCKETS] } });
    return {
      meter,
      observables,
      callback,
      timeouts: meter.createCounter('db.client.connection.timeouts', {
        description: 'The number of connection timeouts that have occurred trying to obtain a connection from the pool.',
        unit: '{timeout}',
      }),
      waitTime: time('db.client.connection.wait_time', 'The time it took to obtain an open connection from the pool.'),
      useTime: time('db.client.connection.use_time', 'The time between borrowing a connection and returning it to the pool.'),
      createTime: time('db.client.connection.create_time', 'The time it took to create a new connection.'),
    };
  };

  /** The instruments for the current meter, made again (and the old callback removed) when the provider changed. */
  const current = (): PoolInstruments => {
    const { meter, changed } = source.current();
    if (!changed && instruments !== undefined) return instruments;
    if (instruments !== undefined) instruments.meter.removeBatchObservableCallback(instruments.callback, instruments.observables);
    instruments = make(meter);
    return instruments;
  };

  const seconds = (ms: number | undefined): number | undefined =>
    typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? ms / 1000 : undefined;
  const listener =
    (phase: PoolEventName, record: (i: PoolInstruments, event: PoolEventPayload, labels: Attributes) => void) =>
    (event: PoolEventPayload): void => {
      if (stopped) return;
      try {
        const labels = byRole[event.role === 'reader' ? 'reader' : 'writer'].base;
        record(current(), event, labels);
      } catch (err) {
        report(err, phase);
      }
    };
  const listeners: Record<PoolEventName, (event: PoolEventPayload) => void> = {
    acquire: listener('acquire', (i, e, labels) => {
      const s = seconds(e.waitMs);
      if (s !== undefined) i.waitTime.record(s, labels);
    }),
    release: listener('release', (i, e, labels) => {
      const s = seconds(e.useMs);
      if (s !== undefined) i.useTime.record(s, labels);
    }),
    create: listener('create', (i, e, labels) => {
      const s = seconds(e.createMs);
      if (s !== undefined) i.createTime.record(s, labels);
    }),
    timeout: listener('timeout', (i, _e, labels) => i.timeouts.add(1, labels)),
  };

  try {
    current();
    for (const event of POOL_EVENTS) pool.on(event, listeners[event]);
  } catch (err) {
    report(err, 'observe');
  }

  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    try {
      for (const event of POOL_EVENTS) pool.off?.(event, listeners[event]);
      if (instruments !== undefined) instruments.meter.removeBatchObservableCallback(instruments.callback, instruments.observables);
    } catch (err) {
      report(err, 'stop');
    }
  };
  return Object.freeze({ stop, [Symbol.dispose]: stop });
}
