import type { ConnectionRole, OperationKind } from '@rapsqlite/engine';
import type { WalStats } from '../stats.ts';

/** A call holding a connection now, as {@link ConnectionDiagnosis.calls} lists it. */
export interface HeldCall {
  /** The query method: `'get'`, `'transaction'`, `'iterate'`… */
  readonly kind: OperationKind;
  /** The summary of its statement (`SELECT users`, `BEGIN IMMEDIATE`), never its parameters. */
  readonly summary: string;
  /** Milliseconds since it got the connection. */
  readonly heldMs: number;
  /** It was reported as a leak (held past `leakDetectionMs`). */
  readonly leaked: boolean;
}

/** One connection (one worker thread) at the moment of the snapshot. */
export interface ConnectionDiagnosis {
  readonly role: ConnectionRole;
  /** The engine connection id, as middleware sees it in `op.connection.id`. */
  readonly connectionId: number;
  /**
   * `'idle'`: running nothing; `'busy'`: running calls; `'transaction'`: held by a transaction; `'recovering'`: its
   * worker died and is being replaced.
   */
  readonly state: 'idle' | 'busy' | 'transaction' | 'recovering';
  /** Times its worker was replaced after dying (0 for the first worker). */
  readonly generation: number;
  /** Calls running on it. */
  readonly running: number;
  /** Requests its worker has been sent so far. */
  readonly requests: number;
  /** Milliseconds since the connection was opened. */
  readonly ageMs: number;
  /** Milliseconds since it last became idle (when idle) or busy (when busy). */
  readonly stateMs: number;
  /** Milliseconds until `maxLifetimeMs` retires it; undefined without one. */
  readonly retiresInMs: number | undefined;
  /** The calls holding it now, oldest first. */
  readonly calls: readonly HeldCall[];
}

/** The connections of one role and the calls waiting for them. */
export interface GroupDiagnosis {
  readonly connections: readonly ConnectionDiagnosis[];
  /** Connections being opened. */
  readonly creating: number;
  /** Calls waiting for a connection. */
  readonly pending: number;
  /** How long the oldest waiting call has waited, in milliseconds; 0 when none waits. */
  readonly oldestWaitMs: number;
}

/** What `pool.diagnose()` returns: a snapshot for a health endpoint or a support ticket. */
export interface PoolDiagnosis {
  /** `Date.now()` when it was taken. */
  readonly takenAt: number;
  readonly path: string;
  readonly closing: boolean;
  readonly writer: GroupDiagnosis;
  readonly readers: GroupDiagnosis;
  readonly wal: WalStats;
  /** Leaks reported since the pool was created, and how many of those leases still hold their connection. */
  readonly leaks: { readonly reported: number; readonly open: number };
  /** Workers replaced since the pool was created, after a death or at the end of their lifetime. */
  readonly replacements: number;
}
