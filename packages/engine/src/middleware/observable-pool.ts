import type { ConnectionRole } from './operation.ts';
/**
 * One role's connections at one moment: the writer, or the readers. The fields are those of `@rapsqlite/pool`'s
 * `ConnectionGroupStats` that the plugins use, so that pool (or any pool shaped alike) fits as it is.
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
 * The payload of the pool events observability plugins listen to. Each event carries the connection's role and
 * one duration, in milliseconds: `waitMs` on `acquire` and `timeout`, `useMs` on `release`, `createMs` on `create`.
 */
export interface PoolEventPayload {
  readonly role?: ConnectionRole;
  readonly waitMs?: number;
  readonly useMs?: number;
  readonly createMs?: number;
}

/** The pool events observability plugins listen to. */
export const POOL_EVENTS = ['acquire', 'release', 'create', 'timeout'] as const;

/** One of {@link POOL_EVENTS}. */
export type PoolEventName = (typeof POOL_EVENTS)[number];

/**
 * What observability plugins need from a pool: a structural interface, so that they do not depend on
 * `@rapsqlite/pool` (whose `Pool` fits it) and any pool shaped alike works with them. Events: `acquire` when a call obtained a connection (with `waitMs`),
 * `release` when it gave it back (`useMs`), `create` when a connection was opened (`createMs`), `timeout` when a
 * call gave up waiting.
 */
export interface ObservablePool {
  stats(): PoolStatsSnapshot;
  on(event: PoolEventName, listener: (event: PoolEventPayload) => void): unknown;
  off?(event: PoolEventName, listener: (event: PoolEventPayload) => void): unknown;
}
