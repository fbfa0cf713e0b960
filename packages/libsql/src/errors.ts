import { ErrorCodes, RapsqliteError } from '@rapsqlite/engine';

/** The codes of `@rapsqlite/libsql`'s own errors; SQLite failures keep SQLite's extended code names. */
export const LibsqlErrorCodes = {
  /**
   * The libSQL client failed without an SQLite code: the URL, the network, the server (`sqld`, Turso) or the client
   * itself. The client's own code is in `libsqlCode`, its error in `cause`.
   */
  CLIENT: 'ERR_RAPSQLITE_LIBSQL_CLIENT',
  /** Syncing the embedded replica before a read failed; the read did not run. */
  SYNC: 'ERR_RAPSQLITE_LIBSQL_SYNC',
} as const;

/** One of {@link LibsqlErrorCodes}. */
export type LibsqlErrorCode = (typeof LibsqlErrorCodes)[keyof typeof LibsqlErrorCodes];

interface ClientError {
  readonly code?: unknown;
  readonly extendedCode?: unknown;
  readonly rawCode?: unknown;
  readonly message?: unknown;
}

/**
 * The handle's error for a failure of the libSQL client: SQLite's extended code name when there is one, else
 * `ERR_RAPSQLITE_LIBSQL_CLIENT` — or, for a write whose request may have reached the server, the engine's
 * `ERR_RAPSQLITE_OUTCOME_UNKNOWN`.
 */
export function fromClientError(error: unknown, sql: string, mayHaveWritten: boolean): RapsqliteError {
  if (error instanceof RapsqliteError) return error;
  const e = (error ?? {}) as ClientError;
  const code = typeof e.extendedCode === 'string' ? e.extendedCode : typeof e.code === 'string' ? e.code : undefined;
  const raw = typeof e.message === 'string' ? e.message : String(error);
  // The client prefixes SQLite's message with its code ("SQLITE_CONSTRAINT: UNIQUE constraint failed: …").
  const message = raw.replace(/^SQLITE_[A-Z_]+: /, '');
  if (code !== undefined && code.startsWith('SQLITE_')) {
    const out = new RapsqliteError(code, message, { sql, cause: error });
    if (typeof e.rawCode === 'number') Object.defineProperty(out, 'errno', { value: e.rawCode, enumerable: true });
    return out;
  }
  if (mayHaveWritten) {
    return new RapsqliteError(ErrorCodes.OUTCOME_UNKNOWN, 'The libSQL client failed after the write was sent: it may or may not have been committed', { sql, cause: error });
  }
  const out = new RapsqliteError(LibsqlErrorCodes.CLIENT, `The libSQL client failed: ${message}`, { sql, cause: error });
  Object.defineProperty(out, 'libsqlCode', { value: code, enumerable: true });
  return out;
}
