import { RapsqliteError } from '@rapsqlite/engine';

/**
 * The stable codes of the pool's own errors. The pool also passes on the engine's codes (`ERR_RAPSQLITE_CLOSED`,
 * `ERR_RAPSQLITE_WORKER_DIED`…) and SQLite's. Match on `code`, never on `instanceof` or the message.
 */
export const PoolErrorCodes = {
  /** The file could not be put in WAL mode (an in-memory database, or a file system without shared memory). */
  NOT_WAL: 'ERR_RAPSQLITE_POOL_NOT_WAL',
  /** A call waited longer than `acquireTimeoutMs` for a free connection. */
  ACQUIRE_TIMEOUT: 'ERR_RAPSQLITE_POOL_ACQUIRE_TIMEOUT',
  /** A call found `maxQueue` calls already waiting for a connection. */
  QUEUE_FULL: 'ERR_RAPSQLITE_POOL_QUEUE_FULL',
} as const;

/** The union of the pool's own error codes. */
export type PoolErrorCode = (typeof PoolErrorCodes)[keyof typeof PoolErrorCodes];

/** Builds a pool error with the engine's error class, so one `code` check covers the engine and the pool. */
export function poolError(code: PoolErrorCode, message: string, sql?: string): RapsqliteError {
  return new RapsqliteError(code, message, sql === undefined ? {} : { sql });
}
