/**
 * @rapsqlite/sqlite3: a drop-in replacement for the `sqlite3` package (node-sqlite3 6.0.1) on rapsqlite's engine.
 * The module has node-sqlite3's shape: `Database`, `Statement`, `Backup`, `verbose()`, `cached.Database`, the open
 * flags, result codes, limits and version constants. `require('@rapsqlite/sqlite3')` and the default import both give
 * that module object, so libraries that take "a sqlite3 module" take this one.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Backup as BackupClass } from './backup.ts';
import { LIMITS, OPEN_FLAGS, RESULT_CODES, SQLITE_VERSION } from './constants.ts';
import { Database as DatabaseClass } from './database.ts';
import { requireNew } from './internal/invoke.ts';
import { Statement as StatementClass } from './statement.ts';
import { installVerbose } from './verbose.ts';

export type { RunResult } from './database.ts';
export { Sqlite3ErrorCodes } from './internal/errors.ts';
export type { Sqlite3Error } from './internal/errors.ts';

/** node-sqlite3's `cached`: one Database per resolved file name (not for `''` or `':memory:'`). */
export interface Cached {
  /** Returns the open (or opening) Database for `file`, creating it on first use; the callback runs once it is open. */
  Database: (file: string, mode?: number | ((err: Error | null) => void), callback?: (err: Error | null) => void) => Database;
  /** The cached Database objects, by absolute path. */
  objects: Record<string, Database>;
}

/** The module object: what `require('sqlite3')` returns in node-sqlite3. */
export interface Sqlite3Module {
  Database: typeof Database;
  Statement: typeof Statement;
  Backup: typeof Backup;
  readonly OPEN_READONLY: number;
  readonly OPEN_READWRITE: number;
  readonly OPEN_CREATE: number;
  readonly OPEN_FULLMUTEX: number;
  readonly OPEN_URI: number;
  readonly OPEN_SHAREDCACHE: number;
  readonly OPEN_PRIVATECACHE: number;
  readonly VERSION: string;
  readonly SOURCE_ID: string;
  readonly VERSION_NUMBER: number;
  readonly OK: number;
  readonly ERROR: number;
  readonly INTERNAL: number;
  readonly PERM: number;
  readonly ABORT: number;
  readonly BUSY: number;
  readonly LOCKED: number;
  readonly NOMEM: number;
  readonly READONLY: number;
  readonly INTERRUPT: number;
  readonly IOERR: number;
  readonly CORRUPT: number;
  readonly NOTFOUND: number;
  readonly FULL: number;
  readonly CANTOPEN: number;
  readonly PROTOCOL: number;
  readonly EMPTY: number;
  readonly SCHEMA: number;
  readonly TOOBIG: number;
  readonly CONSTRAINT: number;
  readonly MISMATCH: number;
  readonly MISUSE: number;
  readonly NOLFS: number;
  readonly AUTH: number;
  readonly FORMAT: number;
  readonly RANGE: number;
  readonly NOTADB: number;
  readonly LIMIT_LENGTH: number;
  readonly LIMIT_SQL_LENGTH: number;
  readonly LIMIT_COLUMN: number;
  readonly LIMIT_EXPR_DEPTH: number;
  readonly LIMIT_COMPOUND_SELECT: number;
  readonly LIMIT_VDBE_OP: number;
  readonly LIMIT_FUNCTION_ARG: number;
  readonly LIMIT_ATTACHED: number;
  readonly LIMIT_LIKE_PATTERN_LENGTH: number;
  readonly LIMIT_VARIABLE_NUMBER: number;
  readonly LIMIT_TRIGGER_DEPTH: number;
  readonly LIMIT_WORKER_THREADS: number;
  /** Where this module lives (node-sqlite3: its native binding). */
  path: string;
  cached: Cached;
  /** Turns on long stack traces (once) and returns the module. */
  verbose: () => Sqlite3Module;
}

/** node-sqlite3's `Database`: see the class's documentation in `database.ts`. */
export const Database: typeof DatabaseClass = requireNew(DatabaseClass);
/** node-sqlite3's `Statement`: see the class's documentation in `statement.ts`. */
export const Statement: typeof StatementClass = requireNew(StatementClass);
/** node-sqlite3's `Backup`: see the class's documentation in `backup.ts`. */
export const Backup: typeof BackupClass = requireNew(BackupClass);
/** The instance types, under the names node-sqlite3's typings use. */
export type Database = DatabaseClass;
export type Statement = StatementClass;
export type Backup = BackupClass;

const sqlite3 = { Database, Statement, Backup } as unknown as Sqlite3Module;

function constant(name: string, value: number | string): void {
  Object.defineProperty(sqlite3, name, { value, writable: false, enumerable: true, configurable: true });
}

for (const [name, value] of Object.entries(OPEN_FLAGS)) constant(name, value);
constant('VERSION', SQLITE_VERSION.version);
constant('SOURCE_ID', SQLITE_VERSION.sourceId);
constant('VERSION_NUMBER', SQLITE_VERSION.number);
for (const [name, value] of Object.entries(RESULT_CODES)) constant(name, value);
for (const [name, value] of Object.entries(LIMITS)) constant(name, value);

sqlite3.path = fileURLToPath(import.meta.url);

const objects: Record<string, Database> = {};

sqlite3.cached = {
  // A function, not a method: `new sqlite3.cached.Database(file)` must work, and returns the cached object.
  Database: function (file: string, a?: number | ((err: Error | null) => void), b?: (err: Error | null) => void): Database {
    if (file === '' || file === ':memory:') return new Database(file, a, b);
    const key = resolve(file);
    const existing = objects[key];
    if (existing === undefined) {
      const db = new Database(key, a, b);
      objects[key] = db;
      return db;
    }
    const callback = typeof a === 'number' ? b : a;
    if (typeof callback === 'function') {
      const call = (): void => callback.call(existing, null);
      if (existing.open) process.nextTick(call);
      else existing.once('open', call);
    }
    return existing;
  },
  objects,
};

/**
 * Turns on long stack traces: errors passed to callbacks then show the call that failed (`--> in Database#run(…)`)
 * and where it was made. Returns the module, as node-sqlite3's `verbose()` does.
 *
 * @example
 * ```js
 * import sqlite3 from '@rapsqlite/sqlite3';
 * const { Database } = sqlite3.verbose();
 * ```
 */
export function verbose(): Sqlite3Module {
  installVerbose(DatabaseClass, StatementClass);
  return sqlite3;
}

sqlite3.verbose = verbose;

/**
 * node-sqlite3's constants (`OPEN_*` flags, result codes, `LIMIT_*` ids, the SQLite version), its `path` and `cached`, as
 * named exports: `import { OPEN_READONLY } from '@rapsqlite/sqlite3'`.
 */
export const {
  OPEN_READONLY,
  OPEN_READWRITE,
  OPEN_CREATE,
  OPEN_FULLMUTEX,
  OPEN_URI,
  OPEN_SHAREDCACHE,
  OPEN_PRIVATECACHE,
  VERSION,
  SOURCE_ID,
  VERSION_NUMBER,
  OK,
  ERROR,
  INTERNAL,
  PERM,
  ABORT,
  BUSY,
  LOCKED,
  NOMEM,
  READONLY,
  INTERRUPT,
  IOERR,
  CORRUPT,
  NOTFOUND,
  FULL,
  CANTOPEN,
  PROTOCOL,
  EMPTY,
  SCHEMA,
  TOOBIG,
  CONSTRAINT,
  MISMATCH,
  MISUSE,
  NOLFS,
  AUTH,
  FORMAT,
  RANGE,
  NOTADB,
  LIMIT_LENGTH,
  LIMIT_SQL_LENGTH,
  LIMIT_COLUMN,
  LIMIT_EXPR_DEPTH,
  LIMIT_COMPOUND_SELECT,
  LIMIT_VDBE_OP,
  LIMIT_FUNCTION_ARG,
  LIMIT_ATTACHED,
  LIMIT_LIKE_PATTERN_LENGTH,
  LIMIT_VARIABLE_NUMBER,
  LIMIT_TRIGGER_DEPTH,
  LIMIT_WORKER_THREADS,
  path,
  cached,
} = sqlite3;

/** The module object, as `require('sqlite3')` returns it: `import sqlite3 from '@rapsqlite/sqlite3'`. */
export default sqlite3;
// `require('@rapsqlite/sqlite3')` (Node's require of an ES module) returns this object, not the namespace, exactly
// like `require('sqlite3')`: a mutable object whose `verbose()` returns itself.
export { sqlite3 as 'module.exports' };
