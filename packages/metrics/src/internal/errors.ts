/** Codes of SQLite (`SQLITE_BUSY_SNAPSHOT`) and of rapsqlite (`ERR_RAPSQLITE_TIMEOUT`): a closed set. */
const KNOWN_CODE = /^(?:SQLITE_[A-Z0-9_]{1,40}|ERR_RAPSQLITE_[A-Z0-9_]{1,60})$/;

/**
 * The error's code as a label value of bounded cardinality: SQLite's extended code names and rapsqlite's
 * `ERR_RAPSQLITE_*` codes as they are, anything else (an error thrown by other middleware) as `'OTHER'`.
 */
export function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && KNOWN_CODE.test(code)) return code;
  }
  return 'OTHER';
}

/** The error's message (rapsqlite never puts bound values in messages). */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : 'Unknown error';
}
