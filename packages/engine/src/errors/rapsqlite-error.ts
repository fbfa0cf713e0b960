/** Extra information carried by a {@link RapsqliteError}. */
export interface RapsqliteErrorOptions {
  /** The underlying error, for example the driver's. */
  readonly cause?: unknown;
  /** The SQL text of the failing statement. Bound values are never included. */
  readonly sql?: string | undefined;
}

/**
 * The one error class of rapsqlite. Every error has a stable string `code`: SQLite's extended result code name
 * for SQLite failures (`SQLITE_CONSTRAINT_UNIQUE`), `ERR_RAPSQLITE_*` for the library's own. Match on `code`,
 * not on `instanceof`: two copies of the package in one application would break `instanceof`.
 *
 * @example
 * ```ts
 * try { await db.run('INSERT INTO users (email) VALUES (?)', [email]); }
 * catch (err) { if (err.code === 'SQLITE_CONSTRAINT_UNIQUE') return conflict(); throw err; }
 * ```
 */
export class RapsqliteError extends Error {
  /** The stable error code. */
  readonly code: string;
  /** The SQL text of the failing statement, when there was one. Never contains bound values. */
  readonly sql: string | undefined;

  constructor(code: string, message: string, options: RapsqliteErrorOptions = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.name = code.startsWith('SQLITE_') ? 'SqliteError' : 'RapsqliteError';
    this.code = code;
    this.sql = options.sql;
  }

  /**
   * SQLite's primary result code for SQLite failures (`SQLITE_BUSY` for `SQLITE_BUSY_SNAPSHOT`), else undefined.
   * SQLite's primary names never contain an underscore after the prefix, so the first segment is the primary code.
   */
  get primaryCode(): string | undefined {
    if (!this.code.startsWith('SQLITE_')) return undefined;
    const end = this.code.indexOf('_', 7);
    return end === -1 ? this.code : this.code.slice(0, end);
  }
}

/** True when `value` is an error with a string `code`, from rapsqlite or not (works across package copies). */
export function hasErrorCode(value: unknown, code?: string): value is Error & { code: string } {
  if (typeof value !== 'object' || value === null) return false;
  const actual = (value as { code?: unknown }).code;
  return typeof actual === 'string' && (code === undefined || actual === code);
}
