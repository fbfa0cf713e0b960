import type { CheckpointResult } from './events.ts';

/** A snapshot of one role's connections (the writer, or the readers) and of the calls waiting for them. */
export interface ConnectionGroupStats {
  /** Open connections. */
  readonly total: number;
  /** Connections running no call. */
  readonly idle: number;
  /** Connections running at least one call. */
  readonly used: number;
  /** Connections being opened now. */
  readonly creating: number;
  /** Calls running (or sent and unanswered) on these connections. */
  readonly running: number;
  /** Calls waiting in the queue for a connection. */
  readonly pending: number;
  /** How long the oldest waiting call has waited, in milliseconds (pgbouncer's `maxwait`); 0 when none waits. */
  readonly maxWaitMs: number;
  readonly min: number;
  readonly max: number;
  /** Connections opened since the pool was created, replacements of dead workers included. */
  readonly created: number;
  /** Connections closed or dead since the pool was created. */
  readonly destroyed: number;
  /** Calls that gave up waiting (`ERR_RAPSQLITE_POOL_ACQUIRE_TIMEOUT` or their own deadline). */
  readonly timeouts: number;
  /** Calls refused because the queue was full (`ERR_RAPSQLITE_POOL_QUEUE_FULL`). */
  readonly rejected: number;
  /** Calls that obtained a connection. */
  readonly acquired: number;
  /** Requests the open connections of this role have sent their workers (the pool's own housekeeping included). */
  readonly requests: number;
}

/** The state of the write-ahead log. */
export interface WalStats {
  /** Size of the `-wal` file in bytes, as of the last maintenance tick or checkpoint. */
  readonly bytes: number;
  /** Checkpoints run by the pool (idle, starvation and manual). */
  readonly checkpoints: number;
  /** The last checkpoint's outcome, if any ran. */
  readonly lastCheckpoint: CheckpointResult | undefined;
  /** True while checkpoint starvation lasts (see the `starvation` event). */
  readonly starved: boolean;
  /** How many times starvation began. */
  readonly starvations: number;
}

/** A snapshot of the pool, for metrics. */
export interface PoolStats {
  readonly writer: ConnectionGroupStats;
  readonly readers: ConnectionGroupStats;
  readonly wal: WalStats;
  /** SQL strings whose routing preparing them taught the pool (a read-only statement its text alone did not show). */
  readonly routing: { readonly cached: number };
  /** Background tasks that failed (see the `warning` event). */
  readonly warnings: number;
}
