/** The engine's own codes. */
import { ToolboxErrorCodes } from '../toolbox/codes.ts';
import { QueryToolsErrorCodes } from '../toolbox/codes2.ts';

const CoreErrorCodes = {
  /** The database (or the statement handle) was closed before or while the call was made. */
  CLOSED: 'ERR_RAPSQLITE_CLOSED',
  /** An argument of an API call has the wrong type or value (not a bound parameter). */
  INVALID_ARGUMENT: 'ERR_RAPSQLITE_INVALID_ARGUMENT',
  /** A bound parameter has a type SQLite cannot store (Date, boolean, object, undefined…) or is out of range. */
  PARAMETER_TYPE: 'ERR_RAPSQLITE_PARAMETER_TYPE',
  /** A bound string is not well-formed UTF-16 (it holds a lone surrogate), so SQLite could not store it exactly. */
  PARAMETER_ENCODING: 'ERR_RAPSQLITE_PARAMETER_ENCODING',
  /** The number of positional parameters does not match the statement. */
  PARAMETER_COUNT: 'ERR_RAPSQLITE_PARAMETER_COUNT',
  /** A named parameter of the statement has no value in the parameters object. */
  PARAMETER_MISSING: 'ERR_RAPSQLITE_PARAMETER_MISSING',
  /** The parameters object has a key that the statement does not use. */
  PARAMETER_UNKNOWN: 'ERR_RAPSQLITE_PARAMETER_UNKNOWN',
  /** An integer read from SQLite lies beyond ±(2^53−1) while `integers` is `'number'`. */
  INTEGER_OVERFLOW: 'ERR_RAPSQLITE_INTEGER_OVERFLOW',
  /** `get`, `all`, `values` or `iterate` was used with a statement that returns no rows. */
  NOT_A_QUERY: 'ERR_RAPSQLITE_NOT_A_QUERY',
  /** The worker thread died while the call was in flight; the call did not complete. */
  WORKER_DIED: 'ERR_RAPSQLITE_WORKER_DIED',
  /** The worker thread died after a write or COMMIT was sent and before it answered: it may or may not have committed. */
  OUTCOME_UNKNOWN: 'ERR_RAPSQLITE_OUTCOME_UNKNOWN',
  /** A transaction callback called the database instead of its `tx` handle, which would wait forever. */
  TRANSACTION_DEADLOCK: 'ERR_RAPSQLITE_TRANSACTION_DEADLOCK',
  /** A `tx` handle was used after its transaction callback had returned or thrown. */
  TRANSACTION_CLOSED: 'ERR_RAPSQLITE_TRANSACTION_CLOSED',
  /** A user function or aggregate module could not be loaded in the worker. */
  FUNCTION_LOAD: 'ERR_RAPSQLITE_FUNCTION_LOAD',
  /** A user-defined function or aggregate threw inside SQLite; its message is kept. */
  USER_FUNCTION: 'ERR_RAPSQLITE_USER_FUNCTION',
  /** A middleware broke the chain's contract (for example, it did not return a promise). */
  MIDDLEWARE: 'ERR_RAPSQLITE_MIDDLEWARE',
  /** The call was cancelled through its `AbortSignal` or `db.interrupt()`; the reason is the `cause`. */
  ABORTED: 'ERR_RAPSQLITE_ABORTED',
  /** The call ran past its `timeoutMs` deadline and was stopped. */
  TIMEOUT: 'ERR_RAPSQLITE_TIMEOUT',
  /** The feature needs the native companion (authorizer), which is not built or cannot load here. */
  UNSUPPORTED: 'ERR_RAPSQLITE_UNSUPPORTED',
  /** The Node.js version running is older than rapsqlite supports (22.12): it refuses to start rather than crash. */
  UNSUPPORTED_RUNTIME: 'ERR_RAPSQLITE_UNSUPPORTED_RUNTIME',
  /** An unexpected failure inside rapsqlite; please report it. */
  INTERNAL: 'ERR_RAPSQLITE_INTERNAL',
  /** A pool could not put the file in WAL mode (an in-memory database, a read-only file system). */
  POOL_NOT_WAL: 'ERR_RAPSQLITE_POOL_NOT_WAL',
  /** No pool connection of the needed role became free within `acquireTimeoutMs`. */
  POOL_ACQUIRE_TIMEOUT: 'ERR_RAPSQLITE_POOL_ACQUIRE_TIMEOUT',
  /** A pool's queue already held `maxQueue` waiting calls. */
  POOL_QUEUE_FULL: 'ERR_RAPSQLITE_POOL_QUEUE_FULL',
} as const;

/**
 * The stable codes of rapsqlite's own errors, in one catalogue: the engine's, the pool's and the toolbox's (backup,
 * schema, ATTACH, extensions, encryption, adapters, converters, array parameters, pagination, the `sql` tag). SQLite
 * failures use SQLite's extended result code names (`SQLITE_CONSTRAINT_UNIQUE`) instead. Codes are never reused;
 * `docs/errors.md` explains each one and how to fix it.
 */
export const ErrorCodes = Object.freeze({ ...CoreErrorCodes, ...ToolboxErrorCodes, ...QueryToolsErrorCodes });

/** The union of rapsqlite's own error codes. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];
