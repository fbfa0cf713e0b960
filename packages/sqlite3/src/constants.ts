import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The `sqlite3_open_v2` flags node-sqlite3 exports, with SQLite's values. */
export const OPEN_FLAGS = Object.freeze({
  OPEN_READONLY: 0x00000001,
  OPEN_READWRITE: 0x00000002,
  OPEN_CREATE: 0x00000004,
  OPEN_FULLMUTEX: 0x00010000,
  OPEN_URI: 0x00000040,
  OPEN_SHAREDCACHE: 0x00020000,
  OPEN_PRIVATECACHE: 0x00040000,
});

/** SQLite's primary result codes that node-sqlite3 exports as constants (`sqlite3.CONSTRAINT === 19`). */
export const RESULT_CODES = Object.freeze({
  OK: 0,
  ERROR: 1,
  INTERNAL: 2,
  PERM: 3,
  ABORT: 4,
  BUSY: 5,
  LOCKED: 6,
  NOMEM: 7,
  READONLY: 8,
  INTERRUPT: 9,
  IOERR: 10,
  CORRUPT: 11,
  NOTFOUND: 12,
  FULL: 13,
  CANTOPEN: 14,
  PROTOCOL: 15,
  EMPTY: 16,
  SCHEMA: 17,
  TOOBIG: 18,
  CONSTRAINT: 19,
  MISMATCH: 20,
  MISUSE: 21,
  NOLFS: 22,
  AUTH: 23,
  FORMAT: 24,
  RANGE: 25,
  NOTADB: 26,
});

/** The `sqlite3_limit` categories node-sqlite3 exports, for `configure('limit', id, value)`. */
export const LIMITS = Object.freeze({
  LIMIT_LENGTH: 0,
  LIMIT_SQL_LENGTH: 1,
  LIMIT_COLUMN: 2,
  LIMIT_EXPR_DEPTH: 3,
  LIMIT_COMPOUND_SELECT: 4,
  LIMIT_VDBE_OP: 5,
  LIMIT_FUNCTION_ARG: 6,
  LIMIT_ATTACHED: 7,
  LIMIT_LIKE_PATTERN_LENGTH: 8,
  LIMIT_VARIABLE_NUMBER: 9,
  LIMIT_TRIGGER_DEPTH: 10,
  LIMIT_WORKER_THREADS: 11,
});

/** node-sqlite3's default open mode: read-write, create, full mutex (65542). */
export const DEFAULT_MODE = OPEN_FLAGS.OPEN_READWRITE | OPEN_FLAGS.OPEN_CREATE | OPEN_FLAGS.OPEN_FULLMUTEX;

/** The version of the SQLite library that runs the queries (the one compiled into the engine's better-sqlite3). */
export interface SqliteVersion {
  readonly version: string;
  readonly sourceId: string;
  readonly number: number;
}

/**
 * Reads the SQLite version from the header that better-sqlite3 builds its SQLite from (the engine's driver ships it),
 * synchronously, without loading a native module on this thread: node-sqlite3 exposes these as plain constants at
 * `require` time, so they cannot wait for a worker.
 */
function readSqliteVersion(): SqliteVersion {
  try {
    const engineRequire = createRequire(createRequire(import.meta.url).resolve('@rapsqlite/engine'));
    const header = join(dirname(engineRequire.resolve('better-sqlite3/package.json')), 'deps', 'sqlite3', 'sqlite3.h');
    const text = readFileSync(header, 'latin1');
    const version = /#define SQLITE_VERSION\s+"([^"]+)"/.exec(text)?.[1];
    const sourceId = /#define SQLITE_SOURCE_ID\s+"([^"]+)"/.exec(text)?.[1];
    const number = /#define SQLITE_VERSION_NUMBER\s+(\d+)/.exec(text)?.[1];
    if (version !== undefined && sourceId !== undefined && number !== undefined) return { version, sourceId, number: Number(number) };
  } catch {
    // Fall through: a packaging without the header still works, with the version unknown.
  }
  return { version: '0.0.0', sourceId: '', number: 0 };
}

/** The SQLite version, read once. */
export const SQLITE_VERSION: SqliteVersion = Object.freeze(readSqliteVersion());

/** Primary result code names by number, as `sqlite_code_string` gives them (`19` → `'SQLITE_CONSTRAINT'`). */
export const CODE_NAMES: ReadonlyMap<number, string> = new Map<number, string>([
  ...Object.entries(RESULT_CODES).map(([name, value]): [number, string] => [value, `SQLITE_${name}`]),
  [27, 'SQLITE_NOTICE'],
  [28, 'SQLITE_WARNING'],
  [100, 'SQLITE_ROW'],
  [101, 'SQLITE_DONE'],
]);

/** Primary result code numbers by name (`'SQLITE_CONSTRAINT'` → `19`). */
export const CODE_NUMBERS: ReadonlyMap<string, number> = new Map([...CODE_NAMES].map(([n, name]) => [name, n]));
