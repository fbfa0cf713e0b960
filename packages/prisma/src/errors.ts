import { DriverAdapterError, type Error as AdapterError, type MappedError } from '@prisma/driver-adapter-utils';

/** SQLite's primary result codes by name (sqlite3.h). */
const PRIMARY: Readonly<Record<string, number>> = {
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

/** The extended result codes an application meets (sqlite3.h): the primary code plus (n << 8). */
const EXTENDED: Readonly<Record<string, number>> = {
  SQLITE_ERROR_MISSING_COLLSEQ: 257,
  SQLITE_ERROR_RETRY: 513,
  SQLITE_ERROR_SNAPSHOT: 769,
  SQLITE_ABORT_ROLLBACK: 516,
  SQLITE_BUSY_RECOVERY: 261,
  SQLITE_BUSY_SNAPSHOT: 517,
  SQLITE_BUSY_TIMEOUT: 773,
  SQLITE_LOCKED_SHAREDCACHE: 262,
  SQLITE_LOCKED_VTAB: 518,
  SQLITE_READONLY_RECOVERY: 264,
  SQLITE_READONLY_CANTLOCK: 520,
  SQLITE_READONLY_ROLLBACK: 776,
  SQLITE_READONLY_DBMOVED: 1032,
  SQLITE_READONLY_CANTINIT: 1288,
  SQLITE_READONLY_DIRECTORY: 1544,
  SQLITE_CONSTRAINT_CHECK: 275,
  SQLITE_CONSTRAINT_COMMITHOOK: 531,
  SQLITE_CONSTRAINT_FOREIGNKEY: 787,
  SQLITE_CONSTRAINT_FUNCTION: 1043,
  SQLITE_CONSTRAINT_NOTNULL: 1299,
  SQLITE_CONSTRAINT_PRIMARYKEY: 1555,
  SQLITE_CONSTRAINT_TRIGGER: 1811,
  SQLITE_CONSTRAINT_UNIQUE: 2067,
  SQLITE_CONSTRAINT_VTAB: 2323,
  SQLITE_CONSTRAINT_ROWID: 2579,
  SQLITE_CONSTRAINT_PINNED: 2835,
  SQLITE_CONSTRAINT_DATATYPE: 3091,
};

/** The numeric extended code of an SQLite error code name; the primary code when the extended one is not listed. */
export function sqliteExtendedCode(code: string): number | undefined {
  const known = EXTENDED[code] ?? PRIMARY[code];
  if (known !== undefined) return known;
  const primary = /^SQLITE_[A-Z]+/.exec(code)?.[0];
  return primary === undefined ? undefined : PRIMARY[primary];
}

/** `UNIQUE constraint failed: User.email, User.name` → the table and the fields, or an index's name. */
function constraintOf(message: string): { table?: string; constraint?: { fields: string[] } | { index: string } } {
  const detail = message.split('constraint failed: ')[1];
  if (detail === undefined) return {};
  const index = /^index '(.+)'$/.exec(detail);
  if (index?.[1] !== undefined) return { constraint: { index: index[1] } };
  const columns = detail.split(', ');
  const fields = columns.map((column) => column.split('.').pop() ?? column);
  const table = columns[0]?.split('.').slice(0, -1).join('.');
  return table === undefined || table === '' ? { constraint: { fields } } : { table, constraint: { fields } };
}

function mapSqlite(code: string, message: string): MappedError {
  switch (code) {
    case 'SQLITE_CONSTRAINT_UNIQUE':
    case 'SQLITE_CONSTRAINT_PRIMARYKEY':
      return { kind: 'UniqueConstraintViolation', ...constraintOf(message) };
    case 'SQLITE_CONSTRAINT_NOTNULL': {
      const { constraint } = constraintOf(message);
      return constraint === undefined ? { kind: 'NullConstraintViolation' } : { kind: 'NullConstraintViolation', constraint };
    }
    case 'SQLITE_CONSTRAINT_FOREIGNKEY':
    case 'SQLITE_CONSTRAINT_TRIGGER':
      // Prisma emulates some referential actions with triggers; both adapters of Prisma's own map these alike.
      return { kind: 'ForeignKeyConstraintViolation', constraint: { foreignKey: {} } };
    default:
      break;
  }
  if (code.startsWith('SQLITE_BUSY')) return { kind: 'SocketTimeout' };
  if (message.startsWith('no such table: ')) return { kind: 'TableDoesNotExist', table: message.slice('no such table: '.length) };
  if (message.startsWith('no such column: ')) return { kind: 'ColumnNotFound', column: message.slice('no such column: '.length) };
  const named = message.indexOf('has no column named ');
  if (named >= 0) return { kind: 'ColumnNotFound', column: message.slice(named + 'has no column named '.length) };
  return { kind: 'sqlite', extendedCode: sqliteExtendedCode(code) ?? 1, message };
}

/** rapsqlite's own codes that Prisma has a kind for; the others reach the user unchanged. */
function mapRapsqlite(code: string, message: string): MappedError | undefined {
  switch (code) {
    case 'ERR_RAPSQLITE_TIMEOUT':
    case 'ERR_RAPSQLITE_POOL_ACQUIRE_TIMEOUT':
      return { kind: 'SocketTimeout' };
    case 'ERR_RAPSQLITE_POOL_QUEUE_FULL':
      return { kind: 'TooManyConnections', cause: message };
    case 'ERR_RAPSQLITE_CLOSED':
    case 'ERR_RAPSQLITE_WORKER_DIED':
      return { kind: 'ConnectionClosed' };
    case 'ERR_RAPSQLITE_TRANSACTION_CLOSED':
      return { kind: 'TransactionAlreadyClosed', cause: message };
    default:
      return undefined;
  }
}

/**
 * The Prisma error for a rapsqlite failure: a `DriverAdapterError` whose `MappedError` kind Prisma turns into a `P`
 * code (`UniqueConstraintViolation` → P2002, `ForeignKeyConstraintViolation` → P2003, `NullConstraintViolation` →
 * P2011, `TableDoesNotExist` → P2021, `ColumnNotFound` → P2022, `SocketTimeout` → P1008…), carrying the original
 * code and message. Errors without such a kind (a bad parameter, an unknown outcome) are returned unchanged, so the
 * user sees rapsqlite's own coded error.
 */
export function toPrismaError(error: unknown): unknown {
  if (error instanceof DriverAdapterError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = (error as { message?: unknown } | null)?.message;
  if (typeof code !== 'string' || typeof message !== 'string') return error;
  const mapped = code.startsWith('SQLITE_') ? mapSqlite(code, message) : mapRapsqlite(code, message);
  if (mapped === undefined) return error;
  const payload: AdapterError = { ...mapped, originalCode: code, originalMessage: message };
  return new DriverAdapterError(payload);
}
