import { ErrorCodes, RapsqliteError, hasErrorCode } from '@rapsqlite/engine';
import { CODE_NUMBERS } from '../constants.ts';

/** An error as node-sqlite3 makes them: `Error` with `errno` and `code` (SQLite's primary result code). */
export interface Sqlite3Error extends Error {
  errno: number;
  code: string;
}

/** This package's own error codes (beside SQLite's), listed in docs/migrating-from-sqlite3.md. */
export const Sqlite3ErrorCodes = Object.freeze({
  /**
   * A node-sqlite3 feature rapsqlite cannot provide here: the change event and limits without the engine's native
   * companion, restoring a backup from a file.
   */
  UNSUPPORTED: 'ERR_RAPSQLITE_SQLITE3_UNSUPPORTED',
} as const);

/**
 * Makes an error exactly as node-sqlite3's `EXCEPTION` macro does: message `'<CODE>: <text>'`, then `errno` and
 * `code` set in that order (so `Object.keys(err)` is `['errno', 'code']`).
 */
export function sqliteError(code: string, message: string): Sqlite3Error {
  const text = `${code}: ${message}`;
  const err = new Error(text) as Sqlite3Error;
  // Made in native code, node-sqlite3's errors carry no JavaScript frames; this package's frames would only show its
  // internals. `verbose()` adds the caller's stack, as there.
  err.stack = `Error: ${text}`;
  err.errno = CODE_NUMBERS.get(code) ?? 1;
  err.code = code;
  return err;
}

/**
 * This package's error for a node-sqlite3 feature the engine cannot provide here: a `RapsqliteError` with code
 * `ERR_RAPSQLITE_SQLITE3_UNSUPPORTED`, plus `errno` (`SQLITE_ERROR`) so node-sqlite3-style handlers can read it.
 */
export function unsupportedError(message: string): RapsqliteError & { errno: number } {
  const err = new RapsqliteError(Sqlite3ErrorCodes.UNSUPPORTED, message) as RapsqliteError & { errno: number };
  err.errno = 1;
  return err;
}

/**
 * A `TypeError` with node-sqlite3's message for a bad argument, plus the engine's `ERR_RAPSQLITE_INVALID_ARGUMENT`
 * code: code written for node-sqlite3 (which throws bare TypeErrors) keeps working, and the error is coded.
 */
export function argumentError(message: string): TypeError {
  const err = new TypeError(message) as TypeError & { code: string };
  err.code = ErrorCodes.INVALID_ARGUMENT;
  return err;
}

/** SQLite's primary code for an extended one (`SQLITE_CONSTRAINT_UNIQUE` → `SQLITE_CONSTRAINT`). */
function primaryOf(code: string): string {
  const end = code.indexOf('_', 7);
  return end === -1 ? code : code.slice(0, end);
}

/**
 * Translates an engine error into node-sqlite3's shape. SQLite failures keep SQLite's message and get the primary
 * code (node-sqlite3 never enables extended result codes); the engine's own codes map to what node-sqlite3 reports in
 * the same situation, and the few without an equivalent keep their `ERR_RAPSQLITE_*` code.
 */
export function toSqlite3Error(cause: unknown): Sqlite3Error {
  if (!hasErrorCode(cause)) {
    return sqliteError('SQLITE_ERROR', cause instanceof Error ? cause.message : String(cause));
  }
  const code = cause.code;
  if (code.startsWith('SQLITE_')) return sqliteError(primaryOf(code), cause.message);
  switch (code) {
    case ErrorCodes.ABORTED:
      return sqliteError('SQLITE_INTERRUPT', 'interrupted');
    case ErrorCodes.CLOSED:
      return sqliteError('SQLITE_MISUSE', 'Database handle is closed');
    case ErrorCodes.PARAMETER_COUNT:
    case ErrorCodes.PARAMETER_MISSING:
    case ErrorCodes.PARAMETER_UNKNOWN:
      return sqliteError('SQLITE_RANGE', 'column index out of range');
    case ErrorCodes.PARAMETER_TYPE:
      // A value longer than the length limit (better-sqlite3 reports SQLITE_TOOBIG from sqlite3_bind_* as its own error).
      if (/is too big$/.test(cause.message)) return sqliteError('SQLITE_TOOBIG', 'string or blob too big');
      return sqliteError('SQLITE_MISMATCH', 'datatype mismatch');
    case 'ERR_RAPSQLITE_EXTENSION_DISABLED':
      // SQL's load_extension(): SQLite's own refusal, as node-sqlite3 (which never enables it) reports it.
      return sqliteError('SQLITE_ERROR', 'not authorized');
    case ErrorCodes.INVALID_ARGUMENT:
      // An empty statement: node-sqlite3 steps a NULL handle and reports SQLite's "no error" message.
      return sqliteError('SQLITE_MISUSE', 'not an error');
    default: {
      const err = new Error(`${code}: ${cause.message}`) as Sqlite3Error;
      err.errno = 1;
      err.code = code;
      return err;
    }
  }
}

/** True for the engine error an interrupted call rejects with. */
export function isInterrupt(err: unknown): boolean {
  return hasErrorCode(err, ErrorCodes.ABORTED) || hasErrorCode(err, 'SQLITE_INTERRUPT');
}
