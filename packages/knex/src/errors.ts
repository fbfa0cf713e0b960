import { RapsqliteError } from '@rapsqlite/engine';

const PRIMARY_NUMBERS: Readonly<Record<string, number>> = {
  SQLITE_ERROR: 1,
  SQLITE_INTERNAL: 2,
  SQLITE_PERM: 3,
  SQLITE_ABORT: 4,
  SQLITE_BUSY: 5,
  SQLITE_LOCKED: 6,
  SQLITE_NOMEM: 7,
  SQLITE_READONLY: 8,
  SQLITE_INTERRUPT: 9,
  SQLITE_IOERR: 10,
  SQLITE_CORRUPT: 11,
  SQLITE_NOTFOUND: 12,
  SQLITE_FULL: 13,
  SQLITE_CANTOPEN: 14,
  SQLITE_PROTOCOL: 15,
  SQLITE_EMPTY: 16,
  SQLITE_SCHEMA: 17,
  SQLITE_TOOBIG: 18,
  SQLITE_CONSTRAINT: 19,
  SQLITE_MISMATCH: 20,
  SQLITE_MISUSE: 21,
  SQLITE_NOLFS: 22,
  SQLITE_AUTH: 23,
  SQLITE_FORMAT: 24,
  SQLITE_RANGE: 25,
  SQLITE_NOTADB: 26,
};

/**
 * An SQLite error in node-sqlite3's shape, for libraries that only recognise that shape (db-errors, and through it
 * Objection's `UniqueViolationError`, `NotNullViolationError`, `ForeignKeyViolationError`, `CheckViolationError`):
 * `code` is the primary code (`SQLITE_CONSTRAINT`), `errno` its number, the message starts with the code, and the
 * extended code stays in `extendedCode`. Other errors are returned unchanged.
 */
export function toNodeSqlite3Error(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return error;
  const primary = /^SQLITE_[A-Z]+/.exec(code)?.[0] ?? code;
  const sql = (error as { sql?: unknown }).sql;
  const shaped = new RapsqliteError(primary, `${primary}: ${error.message}`, { sql: typeof sql === 'string' ? sql : undefined, cause: error }) as RapsqliteError & {
    errno: number;
    extendedCode: string;
  };
  shaped.errno = PRIMARY_NUMBERS[primary] ?? 1;
  shaped.extendedCode = code;
  return shaped;
}
