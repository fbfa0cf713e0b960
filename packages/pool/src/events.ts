import type { ConnectionRole, OperationKind } from '@rapsqlite/engine';

/** Why a connection was opened. */
export type CreateReason = 'initial' | 'minimum' | 'demand' | 'replace' | 'lifetime';

/** Why a connection was closed. */
export type DestroyReason = 'idle' | 'died' | 'failed' | 'close' | 'lifetime';

/** The `wal_checkpoint` modes the pool runs, as an `as const` tuple. */
export const CHECKPOINT_MODES = ['passive', 'full', 'restart', 'truncate'] as const;

/** A `wal_checkpoint` mode. */
export type CheckpointMode = (typeof CHECKPOINT_MODES)[number];

/**
 * Why a checkpoint ran: the writer was idle after writes (`'idle'`), the WAL was over `walStarvationBytes` (`'size'`),
 * starvation was being resolved (`'starvation'`), or `pool.checkpoint()` was called (`'manual'`).
 */
export type CheckpointReason = 'idle' | 'size' | 'starvation' | 'manual';

/** A call obtained its connection. Emitted once per call, just before it runs. */
export interface AcquireEvent {
  readonly role: ConnectionRole;
  /** The engine connection id, the same as `op.connection.id` in middleware. */
  readonly connectionId: number;
  /** The query method: `'get'`, `'run'`, `'transaction'`… */
  readonly kind: OperationKind;
  /** Milliseconds between the call and the moment it got its connection (0 when none was busy). */
  readonly waitMs: number;
}

/** A call gave its connection back. */
export interface ReleaseEvent {
  readonly role: ConnectionRole;
  readonly connectionId: number;
  readonly kind: OperationKind;
  /** Milliseconds the call held the connection (an `iterate` holds it until the loop ends). */
  readonly useMs: number;
  /** The error code when the call failed, else undefined. */
  readonly error: string | undefined;
}

/** A call found no free connection and joined the queue. */
export interface EnqueueEvent {
  readonly role: ConnectionRole;
  readonly kind: OperationKind;
  /** Calls waiting for this role, this one included. */
  readonly pending: number;
}

/** A queued call gave up: its wait passed `acquireTimeoutMs` (or its own `timeoutMs`). */
export interface TimeoutEvent {
  readonly role: ConnectionRole;
  readonly kind: OperationKind;
  readonly waitMs: number;
  /** Calls still waiting for this role. */
  readonly pending: number;
}

/** A call was refused because `maxQueue` calls were already waiting. */
export interface RejectEvent {
  readonly role: ConnectionRole;
  readonly kind: OperationKind;
  readonly pending: number;
}

/** A connection (worker thread) was opened, or a dead one's worker replaced. */
export interface CreateEvent {
  readonly role: ConnectionRole;
  readonly connectionId: number;
  readonly reason: CreateReason;
  /** Milliseconds to start the worker and open and configure its connection. */
  readonly createMs: number;
}

/** A connection was closed, or its worker died. */
export interface DestroyEvent {
  readonly role: ConnectionRole;
  readonly connectionId: number;
  readonly reason: DestroyReason;
  /** Milliseconds since the connection was created. */
  readonly lifetimeMs: number;
}

/** The outcome of a `PRAGMA wal_checkpoint`. */
export interface CheckpointResult {
  readonly mode: CheckpointMode;
  readonly reason: CheckpointReason;
  /** True when a FULL, RESTART or TRUNCATE checkpoint could not finish (readers or another writer were in the way). */
  readonly busy: boolean;
  /** Frames in the WAL. */
  readonly logFrames: number;
  /** Frames copied back into the database file; fewer than `logFrames` means readers still need the rest. */
  readonly checkpointedFrames: number;
  /** Size of the `-wal` file before and after, in bytes. */
  readonly walBytesBefore: number;
  readonly walBytesAfter: number;
  readonly durationMs: number;
}

/** The WAL grew past `walStarvationBytes` and a checkpoint could not copy it back: readers hold old snapshots. */
export interface StarvationEvent {
  readonly walBytes: number;
  readonly thresholdBytes: number;
  readonly logFrames: number;
  readonly checkpointedFrames: number;
  /** Readers running a call when the starvation was found. */
  readonly busyReaders: number;
  /** How long the longest-busy reader has been busy without a pause, in milliseconds. */
  readonly longestReadMs: number;
}

/** A background task of the pool failed (a checkpoint, a keep-alive, opening a reader). Queries are not affected. */
export interface WarningEvent {
  readonly task: 'checkpoint' | 'keepAlive' | 'create' | 'recover' | 'close' | 'walSize';
  readonly error: unknown;
}

/**
 * A transaction or an `iterate` loop has held its connection longer than `leakDetectionMs`: probably one that is
 * never committed, rolled back, finished or `return`ed. Reported once per lease; the lease keeps its connection.
 */
export interface LeakEvent {
  readonly role: ConnectionRole;
  readonly connectionId: number;
  /** `'transaction'` or `'iterate'`. */
  readonly kind: OperationKind;
  /** The summary of the statement that took the connection (`BEGIN IMMEDIATE`, `SELECT events`). */
  readonly summary: string;
  /** How long it has held the connection, in milliseconds. */
  readonly heldMs: number;
  /** The stack of the call that opened it (the application's frames, the library's removed). */
  readonly stack: string;
}

/**
 * The engine replaced a connection's worker: it died (a crash, `process.exit()` in a user function, memory) — seen
 * by a call that failed with it or, for one that died idle, by the next maintenance tick — or its `maxLifetimeMs`
 * passed. The next request runs on a new SQLite connection with the same settings and functions.
 */
export interface ReplaceEvent {
  readonly role: ConnectionRole;
  /** The connection's id before the replacement. */
  readonly connectionId: number;
  /** The id after it: the same after a death (the engine restarts the worker in place), a new one after a lifetime. */
  readonly newConnectionId: number;
  readonly reason: 'died' | 'lifetime';
  /** How long the replaced worker had lived, in milliseconds. */
  readonly lifetimeMs: number;
}

/** The pool's events and their payloads. Listeners run synchronously; one that throws is reported, never propagated. */
export interface PoolEventMap {
  leak: LeakEvent;
  replace: ReplaceEvent;
  acquire: AcquireEvent;
  release: ReleaseEvent;
  enqueue: EnqueueEvent;
  timeout: TimeoutEvent;
  reject: RejectEvent;
  create: CreateEvent;
  destroy: DestroyEvent;
  checkpoint: CheckpointResult;
  starvation: StarvationEvent;
  warning: WarningEvent;
}

/** The name of a pool event. */
export type PoolEventName = keyof PoolEventMap;
