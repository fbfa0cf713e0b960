import { EventEmitter } from 'node:events';
import { ErrorCodes, hasErrorCode, open, type Database as EngineDatabase, type DatabaseOptions, type Unsubscribe } from '@rapsqlite/engine';
import { DEFAULT_MODE } from './constants.ts';
import { Backup } from './backup.ts';
import { attachCore, coreOf, DatabaseCore, type Caller, type FailOutcome } from './internal/core.ts';
import { argumentError, sqliteError, toSqlite3Error, unsupportedError, type Sqlite3Error } from './internal/errors.ts';
import { emitSafely, inheritEmitter, invoke, lastFunction, type AnyFunction } from './internal/invoke.ts';
import { scriptStatements } from './internal/sql-plan.ts';
import { resolveTarget, type OpenTarget } from './internal/target.ts';
import { ONE_SHOT, Statement } from './statement.ts';

const TRACE_EVENTS = new Set(['trace', 'profile', 'change']);

/** The calls of a node-sqlite3 Database that may fail on a closed database: the callback gets the error. */
function callbackFail(db: Database, callback: AnyFunction | undefined): (err: Sqlite3Error, call: Caller) => FailOutcome {
  return (err, call) => {
    if (callback === undefined) return false;
    call(callback, db, [err]);
    return true;
  };
}

function optionalFunction(value: unknown, position: number): AnyFunction | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw argumentError(`Argument ${position} must be a function`);
  return value as AnyFunction;
}

/**
 * The error a feature that needs the engine's native companion reports when the companion is not available (not built
 * on this machine): this package's `ERR_RAPSQLITE_SQLITE3_UNSUPPORTED`, with the engine's error as its cause.
 */
function companionMissing(what: string, cause: unknown): Error {
  const err = unsupportedError(`${what} needs the rapsqlite engine's native companion, which is not available here`);
  Object.defineProperty(err, 'cause', { value: cause, configurable: true, writable: true });
  return err;
}

/** The prefix of the engine's extension-loading error; SQLite's own message follows it. */
const EXTENSION_PREFIX = /^Cannot load extension [^]*?: (?=[^]*$)/;

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface Database extends EventEmitter {
  /** The file name given to the constructor. */
  readonly filename: string;
  /** The open flags given to the constructor (default `OPEN_READWRITE | OPEN_CREATE | OPEN_FULLMUTEX`). */
  readonly mode: number;
}

/**
 * node-sqlite3's `Database`, on a rapsqlite engine database: one independent connection (its own worker thread) per
 * object. Usable at once: calls made before the open completes wait for it. Emits `'open'`, `'close'`, `'error'`,
 * and `'trace'`/`'profile'`/`'change'` while they have listeners.
 *
 * @example
 * ```js
 * import sqlite3 from '@rapsqlite/sqlite3';
 *
 * const db = new sqlite3.Database('app.db');
 * db.serialize(() => {
 *   db.run('CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT)');
 *   db.run('INSERT INTO users (name) VALUES (?)', 'Ada', function (err) {
 *     if (err) throw err;
 *     console.log('inserted', this.lastID);
 *   });
 *   db.all('SELECT * FROM users', (err, rows) => console.log(rows));
 * });
 * db.close();
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Database {
  /**
   * Opens `filename` (a path, `':memory:'`, `''` for a temporary database, or with `OPEN_URI` a `file:` URI) with
   * `mode` flags; `callback(err)` runs when it is open or failed (without a callback a failure is emitted as
   * `'error'`).
   */
  constructor(filename: string, mode?: number | ((this: Database, err: Error | null) => void), callback?: (this: Database, err: Error | null) => void) {
    if (typeof filename !== 'string') throw argumentError('String expected');
    let flags = DEFAULT_MODE;
    let done: AnyFunction | undefined;
    if (typeof mode === 'number' && (mode | 0) === mode) {
      flags = mode;
      if (typeof callback === 'function') done = callback;
    } else if (typeof mode === 'function') {
      done = mode;
    }
    Object.defineProperty(this, 'filename', { value: filename });
    Object.defineProperty(this, 'mode', { value: flags });
    const core = new DatabaseCore(this as unknown as EventEmitter);
    attachCore(this, core);
    void this.#open(core, filename, flags, done);
  }

  async #open(core: DatabaseCore, filename: string, flags: number, callback: AnyFunction | undefined): Promise<void> {
    // An opening node-sqlite3 Database keeps Node running until it opened (its open is libuv work); the engine's
    // worker does not, so a timer holds the process until then.
    const keepAlive = setInterval(() => undefined, 1 << 30);
    let target: OpenTarget | undefined;
    try {
      target = await resolveTarget(filename, flags);
      const options: DatabaseOptions = {
        readonly: target.readonly,
        // node-sqlite3's connection settings: a 1 s busy timeout, foreign keys off.
        busyTimeoutMs: 1000,
        foreignKeys: false,
        integers: 'auto',
        pragmas: target.queryOnly ? ['query_only = ON'] : [],
        ...(target.journalMode === undefined ? {} : { journalMode: target.journalMode }),
      };
      core.engine = await open(target.path, options);
      this.#release = target.release;
    } catch (cause) {
      const code = (cause as { code?: unknown } | undefined)?.code;
      const made = typeof (cause as { errno?: unknown } | undefined)?.errno === 'number';
      const err = made
        ? (cause as Sqlite3Error)
        : typeof code === 'string' && code.startsWith('SQLITE_')
          ? toSqlite3Error(cause)
          : sqliteError('SQLITE_CANTOPEN', 'unable to open database file');
      if (err.code === 'SQLITE_NOTADB' && target !== undefined) {
        // SQLite opens a file that is not a database without complaint and fails every statement on it: the engine,
        // which reads the schema while it opens, refused it, so a stand-in fails every call the same way.
        core.engine = notADatabase(err);
        this.#release = target.release;
      } else {
        clearInterval(keepAlive);
        await target?.release().catch(() => undefined);
        core.abandon();
        if (callback !== undefined) invoke(callback, this, [err]);
        else emitSafely(this as unknown as EventEmitter, 'error', [err]);
        return;
      }
    }
    clearInterval(keepAlive);
    core.state = 'open';
    core.inOpenCallback = true;
    try {
      if (callback !== undefined) invoke(callback, this, [null]);
    } finally {
      core.inOpenCallback = false;
    }
    emitSafely(this as unknown as EventEmitter, 'open', []);
    core.unblock();
  }

  #release: () => Promise<void> = async () => undefined;
  /** The engine subscription of the `'change'` event, while it has listeners. */
  #changes: Promise<Unsubscribe | undefined> | undefined;

  /**
   * Switches SQLite's update hook on or off at the call's turn. node-sqlite3 reports changes from its own thread as
   * they happen, in no fixed order with the callbacks; here every change of a call is emitted before that call's
   * callback. Without the companion the database emits `'error'` (`ERR_RAPSQLITE_SQLITE3_UNSUPPORTED`).
   */
  #watchChanges(core: DatabaseCore, on: boolean): void {
    if (!on) {
      const subscription = this.#changes;
      this.#changes = undefined;
      void subscription?.then((stop) => stop?.());
      return;
    }
    if (this.#changes !== undefined || core.state !== 'open') return;
    this.#changes = (core.engine as EngineDatabase)
      .onChange((change) => {
        emitSafely(this as unknown as EventEmitter, 'change', [change.type, change.database, change.table, Number(change.rowid)]);
      })
      .catch((cause: unknown) => {
        this.#changes = undefined;
        if (core.state !== 'open') return undefined;
        const err = hasErrorCode(cause, ErrorCodes.UNSUPPORTED) ? companionMissing("The 'change' event", cause) : toSqlite3Error(cause);
        emitSafely(this as unknown as EventEmitter, 'error', [err]);
        return undefined;
      });
  }

  /** True once the database is open and until it closes. */
  get open(): boolean {
    const state = coreOf(this)?.state;
    return state === 'open' || state === 'closing';
  }

  /**
   * Closes the database once every queued call has called back. Fails with `SQLITE_BUSY` while prepared statements
   * are not finalized (or a backup is not finished), as SQLite does; the database then stays open.
   */
  close(callback?: (this: Database, err: Error | null) => void): this {
    const done = optionalFunction(callback, 0);
    const core = this.#core;
    // From the open callback with nothing pending, node-sqlite3 begins closing at once (interrupt() then refuses),
    // though the calls queued during the open still run first.
    if (core.inOpenCallback && core.pending === 0) core.state = 'closing';
    core.schedule({
      run: () => {
        core.block();
        // Closing starts now when nothing is pending (interrupt() then refuses), else once the pending calls finished.
        if (core.pending === 0) core.state = 'closing';
        void core.drained().then(() => this.#close(core, done));
      },
      fail: callbackFail(this, done),
    });
    return this;
  }

  async #close(core: DatabaseCore, callback: AnyFunction | undefined): Promise<void> {
    if (core.liveStatements > 0 || core.liveBackups > 0) {
      core.state = 'open';
      const err = sqliteError('SQLITE_BUSY', 'unable to close due to unfinalized statements or unfinished backups');
      if (callback !== undefined) invoke(callback, this, [err]);
      else emitSafely(this as unknown as EventEmitter, 'error', [err]);
      core.unblock();
      return;
    }
    core.state = 'closing';
    // Closing the engine database ends its change subscription.
    this.#changes = undefined;
    let failure: Sqlite3Error | undefined;
    try {
      await core.engine?.close();
    } catch (cause) {
      failure = toSqlite3Error(cause);
    }
    await this.#release().catch(() => undefined);
    core.state = 'closed';
    core.trace = false;
    core.profile = false;
    if (callback !== undefined) invoke(callback, this, [failure ?? null]);
    else if (failure !== undefined) emitSafely(this as unknown as EventEmitter, 'error', [failure]);
    emitSafely(this as unknown as EventEmitter, 'close', []);
    core.rejectDeferred(sqliteError('SQLITE_MISUSE', 'Database handle is closed'), invoke);
  }

  get #core(): DatabaseCore {
    return coreOf(this) as DatabaseCore;
  }

  /** Runs a script of statements (no parameters); stops at the first failing statement. */
  exec(sql: string, callback?: (this: Database, err: Error | null) => void): this {
    if (typeof sql !== 'string') throw argumentError('Argument 0 must be a string');
    const done = optionalFunction(callback, 1);
    const core = this.#core;
    core.schedule({
      run: () => {
        const slot = core.slot('sqlite3.Database.Exec');
        // A script may hold any statement: sqlite3_changes() is SQLite's to tell after it.
        core.changesUnknown();
        const started = core.trace || core.profile ? performance.now() : 0;
        (core.engine as EngineDatabase).exec(sql).then(
          () => {
            const elapsed = started === 0 ? 0 : performance.now() - started;
            core.ready(slot, () => {
              this.#observeScript(core, sql, elapsed);
              if (done !== undefined) invoke(done, this, [null]);
            });
          },
          (cause: unknown) => {
            const err = toSqlite3Error(cause);
            core.ready(slot, () => {
              if (done !== undefined) invoke(done, this, [err]);
              else emitSafely(this as unknown as EventEmitter, 'error', [err]);
            });
          },
        );
      },
      fail: callbackFail(this, done),
    });
    return this;
  }

  #observeScript(core: DatabaseCore, sql: string, elapsed: number): void {
    if (!core.trace && !core.profile) return;
    const statements = scriptStatements(sql);
    const share = elapsed / Math.max(1, statements.length);
    for (const text of statements) {
      if (core.trace) emitSafely(this as unknown as EventEmitter, 'trace', [text]);
      if (core.profile) emitSafely(this as unknown as EventEmitter, 'profile', [text, share]);
    }
  }

  /** Calls back once every call made before it has called back; calls made after it wait for it. */
  wait(callback?: (this: Database, err: null) => void): this {
    const done = optionalFunction(callback, 0);
    this.#core.exclusive(() => {
      if (done !== undefined) invoke(done, this, [null]);
    }, callbackFail(this, done));
    return this;
  }

  /**
   * Loads an SQLite extension (a shared library; SQLite adds the platform's suffix when the file has none) into the
   * connection, alone: after the calls made before it have called back, and before those made after it run. Fails as
   * node-sqlite3 does, with `SQLITE_ERROR` and SQLite's message. It is loaded again if the engine ever replaces its
   * worker. SQL's `load_extension()` stays refused.
   */
  loadExtension(filename: string, callback?: (this: Database, err: Error | null) => void): this {
    if (typeof filename !== 'string') throw argumentError('Argument 0 must be a string');
    const done = optionalFunction(callback, 1);
    const core = this.#core;
    core.exclusiveAsync(async () => {
      let err: Error | null = null;
      // An extension's entry point may run SQL of its own.
      core.changesUnknown();
      try {
        await (core.engine as EngineDatabase).loadExtension(filename);
      } catch (cause) {
        err = hasErrorCode(cause, 'ERR_RAPSQLITE_EXTENSION_LOAD')
          ? sqliteError('SQLITE_ERROR', cause.message.replace(EXTENSION_PREFIX, ''))
          : toSqlite3Error(cause);
      }
      if (done !== undefined) invoke(done, this, [err]);
      else if (err !== null) emitSafely(this as unknown as EventEmitter, 'error', [err]);
    }, callbackFail(this, done));
    return this;
  }

  /**
   * Runs `callback` in serialized mode (every call waits for the previous one), or switches to it for good without a
   * callback. Calls always run in call order here (see the migration guide), so the mode changes no outcome.
   */
  serialize(callback?: (this: Database) => void): this {
    return this.#mode(true, optionalFunction(callback, 0));
  }

  /** Runs `callback` in parallel mode, or switches to it without a callback (see {@link serialize}). */
  parallelize(callback?: (this: Database) => void): this {
    return this.#mode(false, optionalFunction(callback, 0));
  }

  #mode(serialized: boolean, callback: AnyFunction | undefined): this {
    const core = this.#core;
    const before = core.serialized;
    core.serialized = serialized;
    if (callback !== undefined) {
      // As in node-sqlite3, a throw leaves the mode switched and reaches the caller.
      callback.call(this);
      core.serialized = before;
    }
    return this;
  }

  /**
   * Sets `'busyTimeout'` (milliseconds) or an SQLite limit (`'limit', id, value`, with the `LIMIT_*` constants), or
   * switches the `'trace'`, `'profile'` and `'change'` events on or off (the listener methods do it), at the call's
   * turn. As in node-sqlite3 a limit id SQLite does not know, or a negative value, changes nothing. Limits and the `'change'` event
   * need the engine's native companion: without it the database emits `'error'` (`ERR_RAPSQLITE_SQLITE3_UNSUPPORTED`).
   */
  configure(option: string, value?: unknown, ...rest: unknown[]): this {
    // node-sqlite3's REQUIRE_ARGUMENTS message, typo included.
    if (arguments.length < 2) throw argumentError('Expected 2arguments');
    const core = this.#core;
    switch (option) {
      case 'trace':
      case 'profile': {
        const on = Boolean(value);
        core.schedule({
          run: () => {
            core[option] = on;
          },
          fail: () => false,
        });
        return this;
      }
      case 'busyTimeout': {
        if (typeof value !== 'number') throw argumentError('Value must be an integer');
        const ms = value | 0;
        core.schedule({
          run: () => {
            core.begin();
            void (core.engine as EngineDatabase)
              .exec(`PRAGMA busy_timeout = ${ms}`)
              .catch(() => undefined)
              .finally(() => core.end());
          },
          fail: () => false,
        });
        return this;
      }
      case 'limit':
        if (arguments.length < 3) throw argumentError('Expected 3arguments');
        if (typeof value !== 'number') throw argumentError('limit id must be an integer');
        if (typeof rest[0] !== 'number') throw argumentError('limit value must be an integer');
        this.#limit(core, value | 0, rest[0] | 0);
        return this;
      case 'change': {
        // On or off as asked (node-sqlite3 toggles at each call, so its second listener switches the hook off).
        const on = Boolean(value);
        core.schedule({
          run: () => {
            core.changeListening = on;
            this.#watchChanges(core, on);
          },
          fail: () => false,
        });
        return this;
      }
      default:
        throw argumentError(`${String(option)} is not a valid configuration option`);
    }
  }

  #limit(core: DatabaseCore, id: number, value: number): void {
    core.schedule({
      run: () => {
        // sqlite3_limit changes nothing for a negative value (or an unknown id, which the engine refuses).
        if (value < 0) return;
        core.begin();
        void (core.engine as EngineDatabase)
          .limit(id, value)
          .catch((cause: unknown) => {
            if (hasErrorCode(cause, ErrorCodes.INVALID_ARGUMENT)) return;
            const err = hasErrorCode(cause, ErrorCodes.UNSUPPORTED) ? companionMissing("configure('limit')", cause) : toSqlite3Error(cause);
            emitSafely(this as unknown as EventEmitter, 'error', [err]);
          })
          .finally(() => core.end());
      },
      fail: () => false,
    });
  }

  /**
   * Stops the statement running now (it fails with `SQLITE_INTERRUPT`), and any `each()` or open statement result
   * between two of its chunks. Throws when the database is not open or is closing.
   */
  interrupt(): this {
    const core = this.#core;
    if (core.state === 'closing') throw new Error('Database is closing');
    if (core.state !== 'open') throw new Error('Database is not open');
    (core.engine as EngineDatabase).interrupt();
    // Without the native companion the engine may stop a read by replacing its worker (a new connection).
    core.changesUnknown();
    for (const running of core.running) running.interrupted = true;
    return this;
  }
}

inheritEmitter(Database);
// As on node-sqlite3's native class: `open` is a fixed accessor and the constructor declares no parameters.
Object.defineProperty(Database.prototype, 'open', { configurable: false });
Object.defineProperty(Database, 'length', { value: 0 });

/** The engine database of a file that is not a database: every statement fails with `err`; closing succeeds. */
function notADatabase(err: Sqlite3Error): EngineDatabase {
  // Shaped as the engine's errors are (the code, SQLite's own message), so each caller converts it as it would those.
  const message = err.message.slice(err.code.length + 2);
  const fail = (): Promise<never> => Promise.reject(Object.assign(new Error(message), { code: err.code }));
  const rows = {
    next: fail,
    return: async () => ({ done: true, value: undefined }),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  const stub = {
    prepare: fail,
    run: fail,
    get: fail,
    all: fail,
    values: fail,
    exec: fail,
    loadExtension: fail,
    iterate: () => rows,
    limit: async () => undefined,
    onChange: async () => () => undefined,
    interrupt: () => undefined,
    close: async () => undefined,
  };
  return stub as unknown as EngineDatabase;
}

/**
 * node-sqlite3's normalizeMethod: `(sql, ...params, callback?)` runs through a one-call Statement whose
 * preparation error reaches the callback (a one-call statement gives it as node-sqlite3's errBack does; the others
 * get that errBack).
 */
function normalizeMethod(fn: (this: Database, statement: Statement, params: unknown[]) => unknown, oneShot: boolean) {
  return function (this: Database, sql: string, ...params: unknown[]): unknown {
    const callback = lastFunction(params);
    let prepared = callback;
    if (!oneShot && callback !== undefined) {
      prepared = function (err: Error | null): void {
        if (err) callback(err);
      };
    }
    const statement = new Statement(this, sql, prepared, oneShot ? ONE_SHOT : undefined);
    return fn.call(this, statement, params);
  };
}

const prototype = Database.prototype as unknown as Record<string, unknown>;

// Assigned rather than declared in the class, so they are enumerable, as node-sqlite3's JavaScript methods are.
prototype['prepare'] = normalizeMethod(function (statement, params) {
  return params.length > 0 ? statement.bind(...params) : statement;
}, false);
prototype['run'] = normalizeMethod(function (statement, params) {
  statement.run(...params).finalize();
  return this;
}, true);
prototype['get'] = normalizeMethod(function (statement, params) {
  statement.get(...params).finalize();
  return this;
}, true);
prototype['all'] = normalizeMethod(function (statement, params) {
  statement.all(...params).finalize();
  return this;
}, true);
// each() keeps a real prepare: node-sqlite3 reports a prepare error to the completion callback, a step error to the
// row callback, and only a separate prepare tells them apart.
prototype['each'] = normalizeMethod(function (statement, params) {
  statement.each(...params).finalize();
  return this;
}, false);
prototype['map'] = normalizeMethod(function (statement, params) {
  statement.map(...params).finalize();
  return this;
}, true);
prototype['backup'] = function (this: Database, ...args: unknown[]): Backup {
  let backup: Backup;
  if (args.length <= 2) {
    // By default the main database is written out to the main database of the named file.
    backup = new Backup(this, args[0] as string, 'main', 'main', true, args[1] as AnyFunction | undefined);
  } else {
    backup = new Backup(this, args[0] as string, args[1] as string, args[2] as string, args[3] as boolean, args[4] as AnyFunction | undefined);
  }
  // As node-sqlite3: SQLITE_BUSY and SQLITE_LOCKED are retried, not fatal.
  backup.retryErrors = [5, 6];
  return backup;
};

const emitter = EventEmitter.prototype;

prototype['addListener'] = prototype['on'] = function (this: Database, type: string | symbol, ...rest: unknown[]): unknown {
  const value = (emitter.addListener as AnyFunction).call(this, type, ...rest);
  if (typeof type === 'string' && TRACE_EVENTS.has(type)) this.configure(type, true);
  return value;
};

prototype['removeListener'] = function (this: Database, type: string | symbol, ...rest: unknown[]): unknown {
  const value = (emitter.removeListener as AnyFunction).call(this, type, ...rest);
  if (typeof type === 'string' && TRACE_EVENTS.has(type) && this.listenerCount(type) === 0) this.configure(type, false);
  return value;
};

prototype['removeAllListeners'] = function (this: Database, type?: string | symbol): unknown {
  const value = (emitter.removeAllListeners as AnyFunction).apply(this, type === undefined ? [] : [type]);
  if (typeof type === 'string' && TRACE_EVENTS.has(type)) this.configure(type, false);
  return value;
};

/** The `this` of a `run()` callback: the statement, with the outcome of the run (as node-sqlite3's typings name it). */
export interface RunResult extends Statement {
  lastID: number;
  changes: number;
}

/** A callback taking only an error. */
type ErrorCallback<This> = (this: This, err: Error | null) => void;

// The call forms node-sqlite3's own typings declare, so code type-checked against `sqlite3` checks against this
// package: `(sql, callback)`, `(sql, params, callback)`, `(sql, ...params)`.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface Database {
  /** Prepares a statement, binding `params` when given; the callback runs once it is ready (or failed). */
  prepare(sql: string, callback?: ErrorCallback<Statement>): Statement;
  prepare(sql: string, params: unknown, callback?: ErrorCallback<Statement>): Statement;
  prepare(sql: string, ...params: unknown[]): Statement;
  /** Runs a statement; the callback's `this` is the Statement, with `lastID` and `changes`. */
  run(sql: string, callback?: ErrorCallback<RunResult>): this;
  run(sql: string, params: unknown, callback?: ErrorCallback<RunResult>): this;
  run(sql: string, ...params: unknown[]): this;
  /** Runs a query and calls back with its first row (or none). */
  get<T = Record<string, unknown>>(sql: string, callback?: (this: Statement, err: Error | null, row: T) => void): this;
  get<T = Record<string, unknown>>(sql: string, params: unknown, callback?: (this: Statement, err: Error | null, row: T) => void): this;
  get(sql: string, ...params: unknown[]): this;
  /** Runs a query and calls back with all its rows. */
  all<T = Record<string, unknown>>(sql: string, callback?: (this: Statement, err: Error | null, rows: T[]) => void): this;
  all<T = Record<string, unknown>>(sql: string, params: unknown, callback?: (this: Statement, err: Error | null, rows: T[]) => void): this;
  all(sql: string, ...params: unknown[]): this;
  /** Runs a query, calls the row callback for each row in order, then the completion callback with the count. */
  each<T = Record<string, unknown>>(
    sql: string,
    callback?: (this: Statement, err: Error | null, row: T) => void,
    complete?: (err: Error | null, count: number) => void,
  ): this;
  each<T = Record<string, unknown>>(
    sql: string,
    params: unknown,
    callback?: (this: Statement, err: Error | null, row: T) => void,
    complete?: (err: Error | null, count: number) => void,
  ): this;
  each(sql: string, ...params: unknown[]): this;
  /** Runs a query and calls back with an object keyed by its first column. */
  map<T = unknown>(sql: string, callback?: (this: Statement, err: Error | null, map: Record<string, T>) => void): this;
  map(sql: string, ...params: unknown[]): this;
  /** Starts a backup to (or, with `filenameIsDest` false, from) a file; see {@link Backup}. */
  backup(filename: string, callback?: (err: Error | null) => void): Backup;
  backup(filename: string, destName: string, sourceName: string, filenameIsDest: boolean, callback?: (err: Error | null) => void): Backup;
  on(event: 'trace', listener: (sql: string) => void): this;
  on(event: 'profile', listener: (sql: string, time: number) => void): this;
  on(event: 'change', listener: (type: string, database: string, table: string, rowid: number) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'open' | 'close', listener: () => void): this;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- EventEmitter's own listener type
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}
