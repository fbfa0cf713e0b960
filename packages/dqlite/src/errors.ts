import { RapsqliteError } from '@rapsqlite/engine';

/**
 * The codes of `@rapsqlite/dqlite`'s own errors. SQLite failures reported by the server keep SQLite's extended code
 * names (`SQLITE_CONSTRAINT_UNIQUE`), and the engine's codes (`ERR_RAPSQLITE_OUTCOME_UNKNOWN`,
 * `ERR_RAPSQLITE_UNSUPPORTED`, …) keep their meaning. docs/scaling-out.md lists them with what to do.
 */
export const DqliteErrorCodes = {
  /** No node of the cluster named itself leader within `leaderTimeoutMs` (every node down, or no quorum). */
  NO_LEADER: 'ERR_RAPSQLITE_DQLITE_NO_LEADER',
  /**
   * The connection to the leader was lost (or the node stopped leading) while a call that cannot have committed
   * anything was running: a statement of a transaction (which is rolled back) or an open cursor. Safe to run again.
   */
  LEADER_LOST: 'ERR_RAPSQLITE_DQLITE_LEADER_LOST',
  /** The server sent something this client does not understand, or refused the handshake. */
  PROTOCOL: 'ERR_RAPSQLITE_DQLITE_PROTOCOL',
} as const;

/** One of {@link DqliteErrorCodes}. */
export type DqliteErrorCode = (typeof DqliteErrorCodes)[keyof typeof DqliteErrorCodes];

/** dqlite's own failure codes for a request it could not read. */
const DQLITE_PROTO = 1001;
const DQLITE_PARSE = 1005;

/** SQLite's primary result codes by number. */
const PRIMARY: Readonly<Record<number, string>> = {
  1: 'SQLITE_ERROR',
  2: 'SQLITE_INTERNAL',
  3: 'SQLITE_PERM',
  4: 'SQLITE_ABORT',
  5: 'SQLITE_BUSY',
  6: 'SQLITE_LOCKED',
  7: 'SQLITE_NOMEM',
  8: 'SQLITE_READONLY',
  9: 'SQLITE_INTERRUPT',
  10: 'SQLITE_IOERR',
  11: 'SQLITE_CORRUPT',
  12: 'SQLITE_NOTFOUND',
  13: 'SQLITE_FULL',
  14: 'SQLITE_CANTOPEN',
  15: 'SQLITE_PROTOCOL',
  16: 'SQLITE_EMPTY',
  17: 'SQLITE_SCHEMA',
  18: 'SQLITE_TOOBIG',
  19: 'SQLITE_CONSTRAINT',
  20: 'SQLITE_MISMATCH',
  21: 'SQLITE_MISUSE',
  22: 'SQLITE_NOLFS',
  23: 'SQLITE_AUTH',
  24: 'SQLITE_FORMAT',
  25: 'SQLITE_RANGE',
  26: 'SQLITE_NOTADB',
  27: 'SQLITE_NOTICE',
  28: 'SQLITE_WARNING',
};

/** SQLite's extended result codes by number, with dqlite's own two (`SQLITE_IOERR | 40 << 8` and `| 41 << 8`). */
const EXTENDED: Readonly<Record<number, string>> = {
  257: 'SQLITE_ERROR_MISSING_COLLSEQ',
  513: 'SQLITE_ERROR_RETRY',
  769: 'SQLITE_ERROR_SNAPSHOT',
  261: 'SQLITE_BUSY_RECOVERY',
  517: 'SQLITE_BUSY_SNAPSHOT',
  773: 'SQLITE_BUSY_TIMEOUT',
  262: 'SQLITE_LOCKED_SHAREDCACHE',
  518: 'SQLITE_LOCKED_VTAB',
  264: 'SQLITE_READONLY_RECOVERY',
  520: 'SQLITE_READONLY_CANTLOCK',
  776: 'SQLITE_READONLY_ROLLBACK',
  1032: 'SQLITE_READONLY_DBMOVED',
  1288: 'SQLITE_READONLY_CANTINIT',
  1544: 'SQLITE_READONLY_DIRECTORY',
  516: 'SQLITE_ABORT_ROLLBACK',
  267: 'SQLITE_CORRUPT_VTAB',
  523: 'SQLITE_CORRUPT_SEQUENCE',
  779: 'SQLITE_CORRUPT_INDEX',
  275: 'SQLITE_CONSTRAINT_CHECK',
  531: 'SQLITE_CONSTRAINT_COMMITHOOK',
  787: 'SQLITE_CONSTRAINT_FOREIGNKEY',
  1043: 'SQLITE_CONSTRAINT_FUNCTION',
  1299: 'SQLITE_CONSTRAINT_NOTNULL',
  1555: 'SQLITE_CONSTRAINT_PRIMARYKEY',
  1811: 'SQLITE_CONSTRAINT_TRIGGER',
  2067: 'SQLITE_CONSTRAINT_UNIQUE',
  2323: 'SQLITE_CONSTRAINT_VTAB',
  2579: 'SQLITE_CONSTRAINT_ROWID',
  2835: 'SQLITE_CONSTRAINT_PINNED',
  3091: 'SQLITE_CONSTRAINT_DATATYPE',
  266: 'SQLITE_IOERR_READ',
  522: 'SQLITE_IOERR_SHORT_READ',
  778: 'SQLITE_IOERR_WRITE',
  1034: 'SQLITE_IOERR_FSYNC',
  3338: 'SQLITE_IOERR_NOMEM',
  10250: 'SQLITE_IOERR_NOT_LEADER',
  10506: 'SQLITE_IOERR_LEADERSHIP_LOST',
  270: 'SQLITE_CANTOPEN_NOTEMPDIR',
  279: 'SQLITE_AUTH_USER',
  283: 'SQLITE_NOTICE_RECOVER_WAL',
  539: 'SQLITE_NOTICE_RECOVER_ROLLBACK',
  284: 'SQLITE_WARNING_AUTOINDEX',
};

/** The name of an SQLite result code as the server sends it: the extended name when known, else the primary one. */
export function sqliteCodeName(code: number): string {
  return EXTENDED[code] ?? PRIMARY[code & 0xff] ?? `SQLITE_UNKNOWN_${code}`;
}

/** The error for a failure response: SQLite's code name, the server's message, the statement. */
export function serverError(code: number, message: string, sql: string | undefined): RapsqliteError {
  const error =
    code === DQLITE_PROTO || code === DQLITE_PARSE
      ? new RapsqliteError(
          DqliteErrorCodes.PROTOCOL,
          `The dqlite server could not read the request (dqlite error ${code}); a server whose protocol predates 32-bit parameter counts takes at most 255 parameters per statement`,
          { sql },
        )
      : new RapsqliteError(sqliteCodeName(code), message, { sql });
  Object.defineProperty(error, 'errno', { value: code, enumerable: true });
  return error;
}

/** The error for calls that waited for a leader longer than `leaderTimeoutMs`. */
export function noLeaderError(timeoutMs: number, cause: unknown): RapsqliteError {
  return new RapsqliteError(DqliteErrorCodes.NO_LEADER, `No dqlite node named itself leader within ${timeoutMs} ms`, { cause });
}

/** The error for a call of a transaction or a cursor whose connection to the leader was lost. */
export function leaderLostError(sql: string | undefined, cause: unknown): RapsqliteError {
  return new RapsqliteError(
    DqliteErrorCodes.LEADER_LOST,
    'The connection to the dqlite leader was lost during the call; nothing of it was committed (a transaction is rolled back)',
    { sql, cause },
  );
}
