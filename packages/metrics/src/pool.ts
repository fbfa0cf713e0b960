import type { ConnectionRole } from '@rapsqlite/engine';

/**
 * One role's connections at one moment: the writer, or the readers. The fields are those of `@rapsqlite/pool`'s
 * `ConnectionGroupStats` that the exporters use, so that pool (or any pool shaped alike) fits as it is.
 */
export interface PoolGroupStats {
  /** Open connections running no call. */
  readonly idle: number;
  /** Connections running a call (or holding a transaction). */
  readonly used: number;
  /** Calls waiting for a connection of this role. */
  readonly pending: number;
  /** Connections kept open even when idle. */
  readonly min: number;
  /** The most connections of this role. */
  readonly max: number;
  /** How long the oldest waiting call has waited, in milliseconds (pgbouncer's `maxwait`). */
  readonly maxWaitMs?: number;
}

/** A pool's state at one moment, as {@link ObservablePool.stats} returns it. */
export interface PoolStatsSnapshot {
  readonly writer: PoolGroupStats;
  readonly readers: PoolGroupStats;
}

/**
 * The payload of the pool events the exporters listen to. Each event carries the connection's role and one
 * duration, in milliseconds: `waitMs` on `acquire` and `timeout`, `useMs` on `release`, `createMs` on `create`.
 */
export interface PoolEventPayload {
  readonly role?: ConnectionRole;
  readonly waitMs?: number;
  readonly useMs?: number;
  readonly createMs?: number;
}

/** The pool events the exporters listen to. */
export const POOL_EVENTS = ['acquire', 'release', 'create', 'timeout'] as const;

/** One of {@link POOL_EVENTS}. */
export type PoolEventName = (typeof POOL_EVENTS)[number];

/**
 * What the exporters need from a pool: a structural interface, so this package does not depend on
 * `@rapsqlite/pool` (whose `Pool` fits it). Events: `acquire` when a call obtained a connection (with `waitMs`),
 * `release` when it gave it back (`useMs`), `create` when a connection was opened (`createMs`), `timeout` when a
 * call gave up waiting.
 */
export interface ObservablePool {
  stats(): PoolStatsSnapshot;
  on(event: PoolEventName, listener: (event: PoolEventPayload) => void): unknown;
  off?(event: PoolEventName, listener: (event: PoolEventPayload) => void): unknown;
}

/** Options of the exporters' `observePool`. */
export interface ObservePoolOptions {
  /** The pool's name, the `pool` label or tag, unique within the application. Default `'sqlite'`. */
  readonly name?: string;
  /** Reads the statistics, for a pool whose `stats()` has another shape. Default: `pool.stats()`. */
  readonly stats?: (pool: ObservablePool) => PoolStatsSnapshot;
}

/** The handle the exporters' `observePool` returns: stops observing the pool. */
export interface PoolObservation extends Disposable {
  /** Removes the event listeners and stops reading the statistics. Idempotent. */
  stop(): void;
}

/** The two roles, with the statistics group of each. */
export const POOL_ROLES = [
  ['writer', (s: PoolStatsSnapshot) => s.writer],
  ['reader', (s: PoolStatsSnapshot) => s.readers],
] as const;

/** Listeners for the pool's timed events, in milliseconds. */
export interface PoolEventHandlers {
  wait(ms: number, role: ConnectionRole): void;
  use(ms: number, role: ConnectionRole): void;
  create(ms: number, role: ConnectionRole): void;
  timeout(role: ConnectionRole): void;
}

/** Subscribes `handlers` to the pool's events, each guarded so a failure is reported rather than thrown into the pool. */
export function subscribePool(
  pool: ObservablePool,
  handlers: PoolEventHandlers,
  report: (error: unknown, phase: string) => void,
): () => void {
  const roleOf = (event: PoolEventPayload | undefined): ConnectionRole => (event?.role === 'reader' ? 'reader' : 'writer');
  const timed =
    (phase: 'wait' | 'use' | 'create', pick: (event: PoolEventPayload) => number | undefined) =>
    (event: PoolEventPayload): void => {
      try {
        const ms = pick(event);
        if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) handlers[phase](ms, roleOf(event));
      } catch (err) {
        report(err, `pool ${phase}`);
      }
    };
  const listeners: Record<PoolEventName, (event: PoolEventPayload) => void> = {
    acquire: timed('wait', (e) => e.waitMs),
    release: timed('use', (e) => e.useMs),
    create: timed('create', (e) => e.createMs),
    timeout: (event) => {
      try {
        handlers.timeout(roleOf(event));
      } catch (err) {
        report(err, 'pool timeout');
      }
    },
  };
  for (const event of POOL_EVENTS) pool.on(event, listeners[event]);
  return () => {
    for (const event of POOL_EVENTS) pool.off?.(event, listeners[event]);
  };
}
