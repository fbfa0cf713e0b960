/**
 * The catalogue of rapsqlite's errors: one factory per situation, shared by the engine and every package, so that a
 * situation has one code and one wording everywhere. Codes are listed in `codes.ts` and explained in
 * docs/errors.md. Plugins import these from `@rapsqlite/engine/plugin`.
 */
import { ErrorCodes } from './codes.ts';
import { RapsqliteError } from './rapsqlite-error.ts';

/** A bad argument or option of an API call (never a bound parameter): `ERR_RAPSQLITE_INVALID_ARGUMENT`. */
export function invalidArgument(message: string, sql?: string): RapsqliteError {
  return new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, message, sql === undefined ? {} : { sql });
}

/** A call on a closed handle: `ERR_RAPSQLITE_CLOSED`. `what` names it ("database", "pool", "cursor"). */
export function closedError(what = 'database', sql?: string): RapsqliteError {
  return new RapsqliteError(ErrorCodes.CLOSED, `The ${what} is closed`, sql === undefined ? {} : { sql });
}

/** A call cancelled through its signal or an interrupt: `ERR_RAPSQLITE_ABORTED`, the reason as `cause`. */
export function abortedError(reason: unknown, sql?: string): RapsqliteError {
  return new RapsqliteError(ErrorCodes.ABORTED, 'The call was cancelled', { sql, cause: reason });
}

/** A call past its deadline: `ERR_RAPSQLITE_TIMEOUT`. */
export function timeoutError(timeoutMs: number, sql?: string): RapsqliteError {
  return new RapsqliteError(ErrorCodes.TIMEOUT, `The call did not finish within ${timeoutMs} ms`, { sql });
}

/** A call from inside a transaction's callback that would wait for that transaction: `ERR_RAPSQLITE_TRANSACTION_DEADLOCK`. */
export function deadlockError(sql: string, handle = 'database'): RapsqliteError {
  return new RapsqliteError(
    ErrorCodes.TRANSACTION_DEADLOCK,
    `Called the ${handle} from inside its own transaction callback; use the \`tx\` argument instead (the call would wait for the transaction forever)`,
    { sql },
  );
}

/** A `tx` handle used after its callback settled: `ERR_RAPSQLITE_TRANSACTION_CLOSED`. */
export function transactionClosedError(sql: string): RapsqliteError {
  return new RapsqliteError(ErrorCodes.TRANSACTION_CLOSED, 'The transaction has ended; this tx handle can no longer be used', { sql });
}

/** A feature that needs the native companion (or another optional piece) that is not available: `ERR_RAPSQLITE_UNSUPPORTED`. */
export function unsupportedError(message: string): RapsqliteError {
  return new RapsqliteError(ErrorCodes.UNSUPPORTED, message);
}
