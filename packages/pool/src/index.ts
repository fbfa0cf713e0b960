/**
 * @rapsqlite/pool: one writer and parallel read-only readers over one SQLite file in WAL mode, behind the engine's
 * query API, with sizing, health checks, WAL checkpoint management, statistics and events.
 */
export { createPool } from './create-pool.ts';
export { Pool } from './pool.ts';
export { PoolErrorCodes } from './errors.ts';
export type { PoolErrorCode } from './errors.ts';
export type { PoolConnectionOptions, PoolIterateOptions, PoolOptions, PoolQueryOptions, PoolTransactionOptions } from './pool-options.ts';
export { CHECKPOINT_MODES } from './events.ts';
export type {
  AcquireEvent,
  CheckpointMode,
  CheckpointReason,
  CheckpointResult,
  CreateEvent,
  CreateReason,
  DestroyEvent,
  DestroyReason,
  EnqueueEvent,
  LeakEvent,
  PoolEventMap,
  PoolEventName,
  RejectEvent,
  ReleaseEvent,
  ReplaceEvent,
  StarvationEvent,
  TimeoutEvent,
  WarningEvent,
} from './events.ts';
export type { ConnectionGroupStats, PoolStats, WalStats } from './stats.ts';
export type { ConnectionDiagnosis, GroupDiagnosis, HeldCall, PoolDiagnosis } from './diagnostics/diagnosis.ts';
