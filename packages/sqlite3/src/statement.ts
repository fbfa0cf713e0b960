import type { EventEmitter } from 'node:events';
import type { Database, RunResult } from './database.ts';
import type { Row } from '@rapsqlite/engine';
import { NO_BINDINGS, RangeFailure, bindCall, engineParams, type BindResult, type Bindings } from './internal/bind.ts';
import {
  callNow,
  coreOf,
  type Caller,
  type DatabaseCore,
  type FailOutcome,
  type Interruptible,
  type ResourceType,
  type Slot,
} from './internal/core.ts';
import { argumentError, isInterrupt, sqliteError, toSqlite3Error, type Sqlite3Error } from './internal/errors.ts';
import { expandSql } from './internal/expand.ts';
import { emitSafely, inheritEmitter, invoke, invoke1, invoke2, type AnyFunction } from './internal/invoke.ts';
import { planFor, type SqlPlan } from './internal/sql-plan.ts';

/**
 * Rows moved per message for `each()` (the engine holds at most two chunks in memory): the engine's default. Against
 * 256, the benchmark's `iterate` went from 0.76–1.27× node-sqlite3 to 1.18–1.26× (3 quick runs each, alternating).
 */
const EACH_CHUNK = 1024;
/** Past this many delivered rows, an `each` failing mid-chunk is not re-read row by row (it would take a round trip each). */
const RETRY_ROWS = 10_000;
/** Rows moved per message for a statement's cursor (`get()` without parameters continuing a result). */
const CURSOR_CHUNK = 64;

/** The operations a statement queues; each runs at its turn (call order). */
const OP_BIND = 0;
const OP_GET = 1;
const OP_RUN = 2;
const OP_ALL = 3;
const OP_EACH = 4;
const OP_RESET = 5;
type OpKind = typeof OP_BIND | typeof OP_GET | typeof OP_RUN | typeof OP_ALL | typeof OP_EACH | typeof OP_RESET;
/** The async resource type of each operation's callback, by OpKind. */
const RESOURCE_TYPES: readonly ResourceType[] = [
  'sqlite3.Statement.Bind',
  'sqlite3.Statement.Get',
  'sqlite3.Statement.Run',
  'sqlite3.Statement.All',
  'sqlite3.Statement.Each',
  'sqlite3.Statement.Reset',
];

/** What a settled slot of a statement delivers to its callback (`slot.kind`), read by the statement's slot handler. */
const DELIVER_NOTHING = 0;
const DELIVER_ERROR = 1;
const DELIVER_ROW = 2;
const DELIVER_ROWS = 3;
const DELIVER_RUN = 4;
/** A one-call statement's compile error, to the call's callback as node-sqlite3's errBack gives it: no `this`. */
const DELIVER_PREPARE_ERROR = 5;

/**
 * The SQLITE_ERROR messages SQLite raises while running a statement, not while compiling it: a one-call statement
 * failing so reports to its callback as a statement (`this` the Statement; the row callback of an `each`), as
 * node-sqlite3 does for a failed step. Any other SQLITE_ERROR of a one-call statement is taken for a compile error.
 */
const RUNTIME_ERROR =
  /^SQLITE_ERROR: (?:cannot (?:start a transaction within a transaction|commit - no transaction is active|rollback - no transaction is active|VACUUM from within a transaction|ATTACH database within transaction|DETACH database within transaction|change (?:into|out of) wal mode from within a transaction)|no such savepoint|no such database|database \S+ is already in use|too many attached databases|integer overflow|malformed JSON|bad JSON path|JSON cannot hold BLOB values|json_\w+\(\) needs|not authorized|fts5: |unterminated string|unknown special query|Safety level may not be changed inside a transaction|temporary storage cannot be changed from within a transaction)/;

/** Marks the statements node-sqlite3's Database methods make for one call (`db.run`): no separate prepare round trip. */
export const ONE_SHOT: unique symbol = Symbol('rapsqlite.sqlite3.oneShot');

/** SQLite reads every integer as a 64-bit value; node-sqlite3 returns them as JavaScript numbers, rounding past 2^53. */
function toNumbers(row: Row): Row {
  for (const key in row) {
    const value = row[key];
    if (typeof value === 'bigint') row[key] = Number(value);
  }
  return row;
}

/** The SQLite error node-sqlite3 gives for a statement finalized before the call. */
function finalizedError(): Sqlite3Error {
  return sqliteError('SQLITE_MISUSE', 'Statement is already finalized');
}

const registry = new FinalizationRegistry<DatabaseCore>((core) => {
  // A statement collected without finalize(): SQLite finalizes it then (node-sqlite3's destructor), so close() may work.
  core.liveStatements--;
});

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface Statement extends EventEmitter {
  /** Set after a successful `run()` with a callback: the rowid of the last row inserted through this connection. */
  lastID?: number;
  /** Set after a successful `run()` with a callback: rows changed by the statement (by the last INSERT/UPDATE/DELETE for other statements). */
  changes?: number;
  /** The SQL text the statement was made from. */
  readonly sql: string;
}

/**
 * A prepared statement, node-sqlite3's `Statement`: made by `db.prepare(sql, …)` or `new Statement(db, sql, cb)`,
 * usable at once (its calls wait for the preparation), run with `run`, `get`, `all`, `each` and `map`, rebound with
 * `bind`, restarted with `reset`, released with `finalize`. A `get()` without parameters continues the current
 * result one row at a time, as node-sqlite3's does. Callbacks run with the statement as `this`, in call order.
 *
 * @example
 * ```js
 * const insert = db.prepare('INSERT INTO users (name) VALUES (?)');
 * for (const name of ['Ada', 'Grace']) insert.run(name);
 * insert.finalize((err) => console.log('done'));
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Statement {
  readonly #core: DatabaseCore;
  readonly #plan: SqlPlan;
  /** Made by a Database method for one call: errors of its preparation surface through that call. */
  readonly #oneShot: boolean;
  /**
   * The preparation callback. For a one-call statement, the call's own callback, which its preparation errors go to as
   * node-sqlite3's errBack passes them on: `callback(err)`, without `this`.
   */
  readonly #prepareCallback: AnyFunction | undefined;
  #prepareFailed = false;
  #counted = false;
  #finalize: 'none' | 'pending' | 'done' = 'none';
  /** Callbacks of the calls made after a pending finalize (made on first use). */
  #afterFinalize: Array<AnyFunction | undefined> | undefined;
  #bindings: Bindings = NO_BINDINGS;
  /** Rows already returned from the current result (node-sqlite3's statement position). */
  #consumed = 0;
  /** The last step returned SQLITE_DONE: a parameterless `get()` answers nothing until a reset or a rebind. */
  #done = false;
  #cursor: Cursor | undefined;
  /** The rows left of an INSERT/UPDATE/DELETE … RETURNING that a get() or run() started (see {@link Returning}). */
  #returning: Returning | undefined;

  /**
   * Prepares `sql` on `db` (node-sqlite3's constructor): `callback(err)` runs when the statement is ready or failed;
   * without a callback a failure is emitted as `'error'` on the statement.
   */
  constructor(db: object, sql: string, callback?: (this: Statement, err: Error | null) => void, mode?: typeof ONE_SHOT) {
    const core = coreOf(db);
    if (core === undefined) throw argumentError('Database object expected');
    if (typeof sql !== 'string') throw argumentError('SQL query expected');
    if (callback !== undefined && typeof callback !== 'function') throw argumentError('Callback expected');
    this.#core = core;
    this.#plan = planFor(sql);
    this.#oneShot = mode === ONE_SHOT;
    this.#prepareCallback = callback;
    Object.defineProperty(this, 'sql', { value: sql });
    if (this.#oneShot) return;
    core.schedule({
      run: () => this.#prepare(callback),
      fail: (err, call) => {
        this.#prepareFailed = true;
        this.#finalize = 'done';
        if (callback === undefined) return false;
        call(callback, this, [err]);
        return true;
      },
    });
  }

  /** Binds parameters (node-sqlite3's rules; see the package README) without running the statement. */
  bind(...args: unknown[]): this {
    const callback = trailingFunction(args, args.length);
    const bound = bindCall(this.#plan, args, 0, callback === undefined ? args.length : args.length - 1);
    return this.#op(OP_BIND, callback, bound, undefined);
  }

  /**
   * Runs the statement and calls back with its first row (or with no row). Without parameters it continues the
   * current result: each call returns the next row, then nothing until `reset()`.
   */
  get(...args: unknown[]): this {
    const callback = trailingFunction(args, args.length);
    const bound = bindCall(this.#plan, args, 0, callback === undefined ? args.length : args.length - 1);
    return this.#op(OP_GET, callback, bound, undefined);
  }

  /** Runs the statement; the callback's `this` is the statement, with `lastID` and `changes` set. */
  run(...args: unknown[]): this {
    const callback = trailingFunction(args, args.length);
    const bound = bindCall(this.#plan, args, 0, callback === undefined ? args.length : args.length - 1);
    return this.#op(OP_RUN, callback, bound, undefined);
  }

  /** Runs the statement and calls back with all its rows. */
  all(...args: unknown[]): this {
    const callback = trailingFunction(args, args.length);
    const bound = bindCall(this.#plan, args, 0, callback === undefined ? args.length : args.length - 1);
    return this.#op(OP_ALL, callback, bound, undefined);
  }

  /**
   * Runs the statement, calls `callback(err, row)` for every row in order, then `complete(err, count)`. An error
   * while stepping goes to the row callback (then `complete(null, count)` runs), as in node-sqlite3.
   */
  each(...args: unknown[]): this {
    let end = args.length;
    let complete: AnyFunction | undefined;
    if (end >= 2 && typeof args[end - 1] === 'function' && typeof args[end - 2] === 'function') complete = args[--end] as AnyFunction;
    const callback = trailingFunction(args, end);
    const bound = bindCall(this.#plan, args, 0, callback === undefined ? end : end - 1);
    return this.#op(OP_EACH, callback, bound, complete);
  }

  /** Resets the statement to the start of its result, keeping its bindings. */
  reset(callback?: (this: Statement, err: null) => void): this {
    if (callback !== undefined && typeof callback !== 'function') throw argumentError('Argument 0 must be a function');
    return this.#op(OP_RESET, callback, undefined, undefined);
  }

  /**
   * Releases the statement once its queued calls have called back; later calls fail with `SQLITE_MISUSE`. Returns
   * the Database, as node-sqlite3 does. A Database cannot close while it has unfinalized statements.
   */
  finalize(callback?: (this: Statement) => void): Database {
    if (callback !== undefined && typeof callback !== 'function') throw argumentError('Argument 0 must be a function');
    const core = this.#core;
    if (core.canRunNow()) this.#finalizeTurn(callback);
    else {
      core.schedule({
        run: () => this.#finalizeTurn(callback),
        fail: (err, call) => this.#failQueued(callback, err, call),
      });
    }
    return core.owner as unknown as Database;
  }

  /** finalize() at its turn. */
  #finalizeTurn(callback: AnyFunction | undefined): void {
    if (this.#finalize === 'pending') {
      (this.#afterFinalize ??= []).push(callback);
      return;
    }
    if (this.#finalize === 'done') {
      this.#rejectLate(callback, callNow);
      return;
    }
    if (this.#inflight === 0) {
      // Nothing of this statement is pending: node-sqlite3 finalizes at once, calling back before returning.
      this.#finish();
      if (callback !== undefined) callback.call(this);
      return;
    }
    this.#finalize = 'pending';
    if (callback === undefined) {
      // Nothing to call back (db.run() and its kin end so): finalized when the last pending call has called back.
      this.#finalizeWhenIdle = true;
      return;
    }
    const slot = this.#slot('sqlite3.Statement.Finalize');
    this.#ready(
      slot,
      () => {
        this.#finalizePending();
        invoke(callback, this, []);
      },
      true,
    );
  }

  // ---- scheduling ----

  /**
   * Queues one operation through the database's gate: at once when nothing holds the gate (the common case, which
   * allocates nothing for the queue), else behind what holds it. At its turn (in call order) the operation applies
   * itself to the statement's state and sends its request.
   */
  #op(kind: OpKind, callback: AnyFunction | undefined, bound: BindResult, complete: AnyFunction | undefined): this {
    const core = this.#core;
    if (core.canRunNow()) {
      this.#turn(kind, callback, bound, complete);
      return this;
    }
    core.schedule({
      run: () => this.#turn(kind, callback, bound, complete),
      fail: (err, call) => this.#failQueued(callback, err, call),
    });
    return this;
  }

  /** An operation's turn (call order): refused after finalize, else given the next callback slot and issued. */
  #turn(kind: OpKind, callback: AnyFunction | undefined, bound: BindResult, complete: AnyFunction | undefined): void {
    if (this.#finalize !== 'none') {
      if (this.#finalize === 'done') this.#rejectLate(callback, callNow);
      else (this.#afterFinalize ??= []).push(callback);
      return;
    }
    const slot = this.#slot(RESOURCE_TYPES[kind] as ResourceType);
    switch (kind) {
      case OP_GET:
        return this.#get(slot, bound, callback);
      case OP_RUN:
        return this.#run(slot, bound, callback);
      case OP_ALL:
        return this.#all(slot, bound, callback);
      case OP_EACH:
        return this.#each(slot, bound, callback, complete);
      case OP_BIND:
        return this.#answer(slot, callback, this.#bindNow(bound));
      default:
        this.#restart();
        return this.#answer(slot, callback, undefined);
    }
  }

  /** A call that reached a finalized statement: node-sqlite3 answers at once, or drops it after a failed prepare. */
  #rejectLate(callback: AnyFunction | undefined, call: Caller): void {
    if (this.#prepareFailed) return;
    const err = finalizedError();
    if (callback !== undefined) call(callback, this, [err]);
    else call(this.emit as AnyFunction, this, ['error', err]);
  }

  /**
   * A call that can never run: the database closed. node-sqlite3 fails the statement's preparation (its callback, or
   * an `'error'` on the database) and silently drops the statement's own calls, which wait on it. A one-call
   * statement's first call stands for its preparation.
   */
  #failQueued(_callback: AnyFunction | undefined, err: Sqlite3Error, call: Caller): FailOutcome {
    if (!this.#oneShot || this.#prepareFailed) return undefined;
    this.#prepareFailed = true;
    this.#finalize = 'done';
    if (this.#prepareCallback === undefined) return false;
    call(this.#prepareCallback, undefined, [err]);
    return true;
  }

  #failAll(callbacks: ReadonlyArray<AnyFunction | undefined>, err: Sqlite3Error): void {
    if (callbacks.length === 0) return;
    let called = false;
    for (const callback of callbacks) {
      if (callback !== undefined) {
        invoke(callback, this, [err]);
        called = true;
      }
    }
    if (!called) emitSafely(this, 'error', [err]);
  }

  #slot(type: ResourceType): Slot {
    this.#inflight++;
    return this.#core.slot(type);
  }

  /** This statement's calls whose callbacks have not run yet. */
  #inflight = 0;
  /** finalize() without callback was called while calls were pending. */
  #finalizeWhenIdle = false;

  /** Finalizes a statement whose finalize() waited for its calls, failing the calls made after it. */
  #finalizePending(): void {
    this.#finalizeWhenIdle = false;
    this.#finish();
    const late = this.#afterFinalize;
    if (late === undefined || late.length === 0) return;
    this.#afterFinalize = undefined;
    this.#failAll(late, finalizedError());
  }

  /** Marks a slot ready; after a failed prepare every later callback is dropped, as node-sqlite3 drops the queue. */
  #ready(slot: Slot, fire: () => void, soon = false): void {
    this.#core.ready(
      slot,
      () => {
        this.#inflight--;
        this.#emitObserved(slot);
        if (!this.#prepareFailed) fire();
        if (this.#finalizeWhenIdle && this.#inflight === 0) this.#finalizePending();
      },
      soon,
    );
  }

  /**
   * Marks a slot ready that delivers `slot.kind` (with `slot.value`) to `callback`: the allocation-free form of
   * {@link #ready} for the results of get, run, all and of calls answered without the engine.
   */
  #settle(slot: Slot, callback: AnyFunction | undefined, kind: number, value: unknown, soon = false): void {
    slot.handler = Statement.#deliver;
    slot.owner = this;
    slot.callback = callback;
    slot.kind = kind;
    slot.value = value;
    this.#core.settle(slot, soon);
  }

  /** Delivers a slot settled by {@link #settle}, with {@link #ready}'s bookkeeping. */
  static #deliver(slot: Slot): void {
    const self = slot.owner as Statement;
    self.#inflight--;
    self.#emitObserved(slot);
    const callback = slot.callback;
    if (!self.#prepareFailed) {
      switch (slot.kind) {
        case DELIVER_ROW: {
          const row = slot.value as Row | undefined;
          if (callback !== undefined) {
            if (row === undefined) invoke1(callback, self, null);
            else invoke2(callback, self, null, toNumbers(row));
          }
          break;
        }
        case DELIVER_ROWS:
          if (callback !== undefined) {
            const rows = slot.value as Row[];
            for (let i = 0; i < rows.length; i++) toNumbers(rows[i] as Row);
            invoke2(callback, self, null, rows);
          }
          break;
        case DELIVER_RUN:
          if (callback !== undefined) {
            self.lastID = Number(slot.value as number | bigint);
            self.changes = slot.changes;
            invoke1(callback, self, null);
          }
          break;
        case DELIVER_ERROR:
          self.#deliverError(callback, slot.value as Sqlite3Error);
          break;
        case DELIVER_PREPARE_ERROR:
          invoke1(callback as AnyFunction, undefined, slot.value);
          break;
        default:
          if (callback !== undefined) invoke1(callback, self, null);
      }
    }
    if (self.#finalizeWhenIdle && self.#inflight === 0) self.#finalizePending();
  }

  #prepare(callback: AnyFunction | undefined): void {
    const slot = this.#slot('sqlite3.Statement.Prepare');
    const core = this.#core;
    const succeed = (reader: boolean | undefined, soon: boolean): void => {
      if (reader !== undefined) this.#plan.reader ??= reader;
      // SQLite prepares no statement from text without one (sqlite3_prepare gives NULL): nothing to keep close() from
      // closing.
      if (!this.#plan.empty) {
        this.#counted = true;
        core.liveStatements++;
        registry.register(this, core, this);
      }
      core.ready(
        slot,
        () => {
          this.#inflight--;
          if (callback !== undefined) invoke(callback, this, [null]);
        },
        soon,
      );
    };
    if (this.#plan.empty) {
      succeed(undefined, true);
      return;
    }
    (core.engine as NonNullable<DatabaseCore['engine']>).prepare(this.#plan.sql).then(
      (statement) => succeed(statement.reader, false),
      (cause: unknown) => {
        this.#prepareFailed = true;
        this.#finalize = 'done';
        const err = toSqlite3Error(cause);
        core.ready(slot, () => {
          this.#inflight--;
          this.#deliverError(callback, err);
        });
      },
    );
  }

  // ---- state ----

  /** node-sqlite3's `sqlite3_reset`: back to the start of the result; bindings stay. */
  #restart(): void {
    this.#dropCursor();
    this.#returning = undefined;
    this.#consumed = 0;
    this.#done = false;
  }

  /** Forgets the current cursor; its iterator closes once the steps already queued on it have run. */
  #dropCursor(): void {
    const cursor = this.#cursor;
    if (cursor === undefined) return;
    this.#cursor = undefined;
    cursor.dropped = true;
    if (cursor.steps === 0) closeCursor(this.#core, cursor);
  }

  #finish(): void {
    this.#finalize = 'done';
    this.#dropCursor();
    if (this.#counted) {
      this.#counted = false;
      this.#core.liveStatements--;
      registry.unregister(this);
    }
  }

  /**
   * Applies a call's parameters at its turn, as `Statement::Bind` does: with any, the statement is reset and its
   * bindings cleared first. Returns the SQLITE_RANGE error when one names no slot.
   */
  #bindNow(bound: BindResult): Sqlite3Error | undefined {
    if (bound === undefined) return undefined;
    this.#restart();
    if (bound instanceof RangeFailure) {
      this.#bindings = bound.bindings;
      return sqliteError('SQLITE_RANGE', 'column index out of range');
    }
    this.#bindings = bound;
    return undefined;
  }

  #deliverError(callback: AnyFunction | undefined, err: Sqlite3Error): void {
    if (callback !== undefined) invoke(callback, this, [err]);
    else emitSafely(this, 'error', [err]);
  }

  /** Answers a call without the engine (its result is known at its turn), still in callback order. */
  #answer(slot: Slot, callback: AnyFunction | undefined, err: Sqlite3Error | undefined, soon = true): void {
    this.#settle(slot, callback, err === undefined ? DELIVER_NOTHING : DELIVER_ERROR, err, soon);
  }

  /**
   * Records the `trace` and `profile` events of a statement that ran (or failed while running); they are emitted
   * just before its callback, so they keep the callbacks' order.
   */
  #observe(slot: Slot, bindings: Bindings, started: number, failure: unknown): void {
    const core = this.#core;
    if (!core.trace && !core.profile) return;
    // A statement that failed to compile never started, so SQLite traced nothing for it.
    if (failure !== undefined && (failure as { code?: unknown }).code === 'SQLITE_ERROR') return;
    const elapsed = performance.now() - started;
    const trace = core.trace ? expandSql(this.#plan, bindings) : undefined;
    const profile = core.profile;
    slot.observed = () => {
      if (trace !== undefined) emitSafely(core.owner, 'trace', [trace]);
      if (profile) emitSafely(core.owner, 'profile', [this.#plan.text, elapsed]);
    };
  }

  /** Emits the `trace` and `profile` events recorded for a slot, once. */
  #emitObserved(slot: Slot): void {
    const emit = slot.observed;
    if (emit === undefined) return;
    slot.observed = undefined;
    emit();
  }

  /** The engine database, once open (every call is sent after the open completed). */
  get #engine(): NonNullable<DatabaseCore['engine']> {
    return this.#core.engine as NonNullable<DatabaseCore['engine']>;
  }

  /** Learns whether a statement returns rows (a PRAGMA, a WITH) before running it, holding later calls meanwhile. */
  #withReader(go: () => void): void {
    const plan = this.#plan;
    if (plan.reader !== undefined) {
      go();
      return;
    }
    const core = this.#core;
    core.block();
    this.#engine
      .prepare(plan.sql)
      .then(
        (statement) => {
          plan.reader ??= statement.reader;
        },
        () => {
          // Running it reports the same error.
        },
      )
      .finally(() => {
        go();
        core.unblock();
      });
  }

  // ---- operations: each runs at its turn (call order), changes the statement's state then, and sends its request ----

  #get(slot: Slot, bound: BindResult, callback: AnyFunction | undefined): void {
    const rangeError = this.#bindNow(bound);
    if (rangeError !== undefined) return this.#answer(slot, callback, rangeError);
    const plan = this.#plan;
    if (plan.empty) return this.#answer(slot, callback, sqliteError('SQLITE_MISUSE', 'not an error'));
    if (bound === undefined && this.#done) return this.#answer(slot, callback, undefined);
    if (bound === undefined && this.#returning !== undefined) return this.#returningGet(slot, callback);
    if (bound === undefined && !this.#oneShot && (this.#cursor !== undefined || this.#consumed > 0)) return this.#cursorGet(slot, callback);
    // Whether a row comes back is known later; a following parameterless get() re-reads from the second row, which
    // gives the same answer either way.
    this.#consumed = 1;
    if (plan.reader === undefined) this.#withReader(() => this.#sendGet(slot, callback, this.#bindings));
    else this.#sendGet(slot, callback, this.#bindings);
  }

  #sendGet(slot: Slot, callback: AnyFunction | undefined, bindings: Bindings): void {
    const plan = this.#plan;
    // DML read through get/all/each moves sqlite3_changes(), and nothing here reports by how much.
    if (plan.dml) this.#core.changesUnknown();
    const params = engineParams(plan, bindings);
    const started = this.#core.profile ? performance.now() : 0;
    if (plan.reader === false) {
      this.#engine.run(plan.sql, params).then(
        () => {
          this.#observe(slot, bindings, started, undefined);
          this.#settle(slot, callback, DELIVER_NOTHING, undefined);
        },
        (cause: unknown) => this.#failed(slot, callback, bindings, started, cause),
      );
      return;
    }
    if (plan.dml && !this.#oneShot) {
      // A DML statement with RETURNING makes all its changes at its first step: it must never run again for the rows
      // after the first, so they are read now and kept for the parameterless get() calls that follow.
      const fetched = this.#engine.all<Row>(plan.sql, params);
      this.#keepReturning(fetched);
      fetched.then(
        (rows) => {
          this.#observe(slot, bindings, started, undefined);
          this.#settle(slot, callback, DELIVER_ROW, rows[0]);
        },
        (cause: unknown) => this.#failed(slot, callback, bindings, started, cause),
      );
      return;
    }
    this.#engine.get<Row>(plan.sql, params).then(
      (row) => {
        this.#observe(slot, bindings, started, undefined);
        this.#settle(slot, callback, DELIVER_ROW, row);
      },
      (cause: unknown) => this.#failed(slot, callback, bindings, started, cause),
    );
  }

  /** Keeps the rows of a RETURNING result after the first (its call returns that one) for the parameterless get()s. */
  #keepReturning(fetched: Promise<Row[]>): void {
    const returning: Returning = { rows: undefined, failed: false, ready: Promise.resolve() };
    returning.ready = fetched.then(
      (rows) => {
        returning.rows = rows.slice(1);
      },
      () => {
        returning.failed = true;
      },
    );
    this.#returning = returning;
  }

  /** A parameterless `get()` after a RETURNING statement's first row: the next kept row, in call order. */
  #returningGet(slot: Slot, callback: AnyFunction | undefined): void {
    const returning = this.#returning as Returning;
    this.#consumed++;
    const deliver = (): void => {
      if (returning.failed) {
        // node-sqlite3 steps a statement whose step failed once more, and SQLite runs it anew.
        this.#returning = undefined;
        this.#consumed = 1;
        this.#sendGet(slot, callback, this.#bindings);
        return;
      }
      const row = (returning.rows as Row[]).shift();
      if (row === undefined) this.#done = true;
      this.#settle(slot, callback, DELIVER_ROW, row, true);
    };
    if (returning.rows !== undefined || returning.failed) {
      deliver();
      return;
    }
    // The rows are on their way: later calls wait, as behind a cursor's step.
    const core = this.#core;
    core.block();
    void returning.ready.then(deliver).finally(() => core.unblock());
  }

  #failed(slot: Slot, callback: AnyFunction | undefined, bindings: Bindings, started: number, cause: unknown): void {
    this.#observe(slot, bindings, started, cause);
    const err = toSqlite3Error(cause);
    // A one-call statement is compiled by the request that runs it: a compile error (SQLITE_ERROR: syntax, unknown
    // table or column) is what node-sqlite3 reports through the preparation, i.e. to the same callback, unwrapped.
    if (this.#oneShot && err.code === 'SQLITE_ERROR' && this.#prepareCallback !== undefined && !RUNTIME_ERROR.test(err.message)) {
      this.#settle(slot, this.#prepareCallback, DELIVER_PREPARE_ERROR, err);
      return;
    }
    this.#answer(slot, callback, err, false);
  }

  /** A parameterless `get()` in the middle of a result: the next row, from the statement's cursor. */
  #cursorGet(slot: Slot, callback: AnyFunction | undefined): void {
    const plan = this.#plan;
    if (plan.dml) this.#core.changesUnknown();
    let cursor = this.#cursor;
    if (cursor === undefined) {
      // The cursor runs the statement again and skips the rows earlier calls returned.
      cursor = {
        iterator: undefined,
        params: engineParams(plan, this.#bindings),
        dml: plan.dml,
        skip: this.#consumed,
        finished: false,
        dropped: false,
        steps: 0,
        token: { interrupted: false },
      };
      this.#cursor = cursor;
    }
    this.#consumed++;
    cursor.steps++;
    const current = cursor;
    const step = async (): Promise<void> => {
      let row: Row | undefined;
      let error: Sqlite3Error | undefined;
      try {
        if (!current.finished) {
          if (current.iterator === undefined) {
            current.iterator = this.#engine.iterate<Row>(plan.sql, current.params, { chunkSize: CURSOR_CHUNK });
            this.#core.running.add(current.token);
          }
          for (;;) {
            const next = await current.iterator.next();
            if (current.token.interrupted) throw sqliteError('SQLITE_INTERRUPT', 'interrupted');
            if (next.done === true) {
              current.finished = true;
              break;
            }
            if (current.skip > 0) {
              current.skip--;
              continue;
            }
            row = next.value;
            break;
          }
        }
      } catch (cause) {
        current.finished = true;
        error = isInterrupt(cause) ? sqliteError('SQLITE_INTERRUPT', 'interrupted') : toSqlite3Error(cause);
      }
      if (--current.steps === 0 && (current.dropped || current.finished)) closeCursor(this.#core, current);
      // `true`: a step that needs no request (the result already ended) answers while get() is still running.
      this.#ready(
        slot,
        () => {
          if (error !== undefined) this.#deliverError(callback, error);
          else if (callback !== undefined) invoke(callback, this, row === undefined ? [null] : [null, toNumbers(row)]);
        },
        true,
      );
    };
    // One step at a time, and nothing else issued meanwhile: node-sqlite3 runs it in call order with later calls.
    const core = this.#core;
    core.block();
    void step().finally(() => core.unblock());
  }

  #run(slot: Slot, bound: BindResult, callback: AnyFunction | undefined): void {
    this.#restart();
    const rangeError = this.#bindNow(bound);
    if (rangeError !== undefined) return this.#answer(slot, callback, rangeError);
    const plan = this.#plan;
    if (plan.empty) return this.#answer(slot, callback, sqliteError('SQLITE_MISUSE', 'not an error'));
    const bindings = this.#bindings;
    const params = engineParams(plan, bindings);
    // A SELECT stepped once by run() is left on its first row, as node-sqlite3's is.
    this.#consumed = plan.reader === true ? 1 : 0;
    this.#done = plan.reader !== true;
    const core = this.#core;
    const started = core.profile ? performance.now() : 0;
    if (plan.dml && plan.reader === true && !this.#oneShot) {
      this.#runReturning(slot, callback, bindings, params, started);
      return;
    }
    const engine = this.#engine;
    const ran = engine.run(plan.sql, params);
    const seq = core.nextSeq();
    if (plan.dml) {
      ran.then(
        (result) => {
          core.changesSet(seq, result.changes);
          this.#observe(slot, bindings, started, undefined);
          slot.changes = result.changes;
          this.#settle(slot, callback, DELIVER_RUN, result.lastInsertRowid);
        },
        (cause: unknown) => {
          core.changesUnknown(seq);
          this.#failed(slot, callback, bindings, started, cause);
        },
      );
      return;
    }
    const done = (lastInsertRowid: number | bigint, changes: number): void => {
      this.#observe(slot, bindings, started, undefined);
      slot.changes = changes;
      this.#settle(slot, callback, DELIVER_RUN, lastInsertRowid);
    };
    // Outside INSERT/UPDATE/DELETE node-sqlite3 reports sqlite3_changes(), the count of the last such statement. Known
    // here when the last thing that moved it was a DML run (BEGIN and COMMIT between awaited writes); else asked in the
    // same batch, before anything else can run on the connection.
    const known = core.knownChanges();
    if (known !== undefined) {
      ran.then(
        (result) => done(result.lastInsertRowid, known),
        (cause: unknown) => this.#failed(slot, callback, bindings, started, cause),
      );
      return;
    }
    const stale = engine.get<{ c: number }>('SELECT changes() AS c');
    stale.catch(() => undefined);
    ran.then(
      (result) =>
        stale.then(
          (row) => {
            if (row !== undefined) core.changesSet(seq, row.c);
            done(result.lastInsertRowid, row?.c ?? result.changes);
          },
          () => done(result.lastInsertRowid, result.changes),
        ),
      (cause: unknown) => this.#failed(slot, callback, bindings, started, cause),
    );
  }

  /**
   * run() of an INSERT/UPDATE/DELETE … RETURNING on a prepared statement: node-sqlite3 steps it once, which makes
   * all its changes, and leaves it on its first row. Its rows are read now (then `changes()` and
   * `last_insert_rowid()`, in the same batch) and kept for the parameterless get() calls that follow.
   */
  #runReturning(slot: Slot, callback: AnyFunction | undefined, bindings: Bindings, params: ReturnType<typeof engineParams>, started: number): void {
    const core = this.#core;
    const engine = this.#engine;
    const fetched = engine.all<Row>(this.#plan.sql, params);
    const counts = engine.get<{ c: number; id: number | bigint }>('SELECT changes() AS c, last_insert_rowid() AS id');
    counts.catch(() => undefined);
    const seq = core.nextSeq();
    this.#keepReturning(fetched);
    fetched.then(
      () =>
        counts.then(
          (row) => {
            const changes = row?.c ?? 0;
            core.changesSet(seq, changes);
            this.#observe(slot, bindings, started, undefined);
            slot.changes = changes;
            this.#settle(slot, callback, DELIVER_RUN, row?.id ?? 0);
          },
          (cause: unknown) => this.#failed(slot, callback, bindings, started, cause),
        ),
      (cause: unknown) => {
        core.changesUnknown(seq);
        this.#failed(slot, callback, bindings, started, cause);
      },
    );
  }

  #all(slot: Slot, bound: BindResult, callback: AnyFunction | undefined): void {
    this.#restart();
    const rangeError = this.#bindNow(bound);
    if (rangeError !== undefined) return this.#answer(slot, callback, rangeError);
    const plan = this.#plan;
    if (plan.empty) return this.#answer(slot, callback, sqliteError('SQLITE_MISUSE', 'not an error'));
    this.#done = true;
    if (plan.reader === undefined) this.#withReader(() => this.#sendAll(slot, callback, this.#bindings));
    else this.#sendAll(slot, callback, this.#bindings);
  }

  #sendAll(slot: Slot, callback: AnyFunction | undefined, bindings: Bindings): void {
    const plan = this.#plan;
    if (plan.dml) this.#core.changesUnknown();
    const params = engineParams(plan, bindings);
    const started = this.#core.profile ? performance.now() : 0;
    const done = (rows: Row[]): void => {
      this.#observe(slot, bindings, started, undefined);
      this.#settle(slot, callback, DELIVER_ROWS, rows);
    };
    const failed = (cause: unknown): void => this.#failed(slot, callback, bindings, started, cause);
    if (plan.reader === false) this.#engine.run(plan.sql, params).then(() => done([]), failed);
    else this.#engine.all<Row>(plan.sql, params).then(done, failed);
  }

  #each(slot: Slot, bound: BindResult, callback: AnyFunction | undefined, complete: AnyFunction | undefined): void {
    // An error goes to the row callback, then the completion callback still reports the rows delivered.
    const finish = (error: Sqlite3Error | undefined, count: number, soon = false): void => {
      this.#ready(
        slot,
        () => {
          if (error !== undefined) this.#deliverError(callback, error);
          if (complete !== undefined) invoke(complete, this, [null, count]);
        },
        soon,
      );
    };
    this.#restart();
    const rangeError = this.#bindNow(bound);
    if (rangeError !== undefined) return finish(rangeError, 0, true);
    const plan = this.#plan;
    if (plan.empty) return finish(sqliteError('SQLITE_MISUSE', 'not an error'), 0, true);
    const bindings = this.#bindings;
    const params = engineParams(plan, bindings);
    this.#done = true;
    this.#withReader(() => {
        if (plan.dml) this.#core.changesUnknown();
        const started = this.#core.profile ? performance.now() : 0;
        const engine = this.#engine;
        if (plan.reader === false) {
          engine.run(plan.sql, params).then(
            () => {
              this.#observe(slot, bindings, started, undefined);
              finish(undefined, 0);
            },
            (cause: unknown) => {
              this.#observe(slot, bindings, started, cause);
              finish(toSqlite3Error(cause), 0);
            },
          );
          return;
        }
        // While rows stream, later calls wait (as behind node-sqlite3's each in serialized mode), so no write issued
        // after each() lands between two of its chunks.
        const core = this.#core;
        core.block();
        const cursor = engine.iterate<Row>(plan.sql, params, { chunkSize: EACH_CHUNK });
        const first = cursor.next();
        first.catch(() => undefined);
        const token: Interruptible = { interrupted: false };
        core.running.add(token);
        void (async () => {
          let count = 0;
          let error: Sqlite3Error | undefined;
          let observed = false;
          let current = cursor;
          let pending = first;
          let retried = false;
          for (;;) {
            try {
              let next = await pending;
              if (!observed) {
                this.#observe(slot, bindings, started, undefined);
                observed = true;
                await core.whenHead(slot);
                this.#emitObserved(slot);
              }
              // After a retry, the rows already delivered come again first: skip them.
              let skip = retried ? count : 0;
              while (next.done !== true && !this.#prepareFailed) {
                if (token.interrupted) throw sqliteError('SQLITE_INTERRUPT', 'interrupted');
                if (skip > 0) skip--;
                else {
                  count++;
                  if (callback !== undefined) invoke(callback, this, [null, toNumbers(next.value)]);
                }
                next = await current.next();
              }
              if (next.done !== true) await current.return?.();
              break;
            } catch (cause) {
              await current.return?.();
              const interrupted = token.interrupted || isInterrupt(cause);
              const sqliteFailure = typeof (cause as { code?: unknown }).code === 'string' && (cause as { code: string }).code.startsWith('SQLITE_');
              if (!interrupted && !retried && !plan.dml && sqliteFailure && count <= RETRY_ROWS) {
                // A chunk that fails loses the rows SQLite returned before the error, which node-sqlite3 delivers:
                // read the query again one row at a time, up to the error.
                retried = true;
                current = engine.iterate<Row>(plan.sql, params, { chunkSize: 1 });
                pending = current.next();
                pending.catch(() => undefined);
                continue;
              }
              if (!observed) this.#observe(slot, bindings, started, cause);
              error = interrupted ? sqliteError('SQLITE_INTERRUPT', 'interrupted') : toSqlite3Error(cause);
              break;
            }
          }
          core.running.delete(token);
          finish(error, count);
          core.unblock();
        })();
      });
  }
}

/**
 * What is left of an INSERT/UPDATE/DELETE … RETURNING result: SQLite makes every change at the statement's first step
 * and buffers the RETURNING rows, which node-sqlite3 then steps through; here they arrive in one answer.
 */
interface Returning {
  /** The rows not returned yet, once the answer arrived. */
  rows: Row[] | undefined;
  /** The statement failed: the next parameterless get() runs it again, as stepping it again does in node-sqlite3. */
  failed: boolean;
  /** Settles when the answer arrived (never rejects). */
  ready: Promise<void>;
}

/** A statement's cursor: the result of a parameterless `get()`, read on over several calls. */
interface Cursor {
  iterator: AsyncIterableIterator<Row> | undefined;
  readonly params: ReturnType<typeof engineParams>;
  /** Its statement is DML (RETURNING): closing it finishes the statement, which moves sqlite3_changes(). */
  readonly dml: boolean;
  /** Rows to skip when the cursor opens (returned before by a one-shot get or run). */
  skip: number;
  finished: boolean;
  dropped: boolean;
  /** Steps queued on it and not run yet. */
  steps: number;
  readonly token: Interruptible;
}

function closeCursor(core: DatabaseCore, cursor: Cursor): void {
  if (cursor.dml) core.changesUnknown();
  core.running.delete(cursor.token);
  const iterator = cursor.iterator;
  cursor.iterator = undefined;
  cursor.finished = true;
  void iterator?.return?.();
}


/** node-sqlite3's `Bind<T>`: a function as the last argument (before `end`) is the callback; parameters come before it. */
function trailingFunction(args: readonly unknown[], end: number): AnyFunction | undefined {
  const last = end > 0 ? args[end - 1] : undefined;
  return typeof last === 'function' ? (last as AnyFunction) : undefined;
}

inheritEmitter(Statement);

/**
 * Calls back with an object keyed by the first column: the second column's value when the result has two columns,
 * the whole row otherwise (node-sqlite3's `map`).
 */
function map(this: Statement, ...args: unknown[]): Statement {
  const callback = args.pop() as AnyFunction;
  // As node-sqlite3's: the callback is called bare (`this` undefined), with the error alone on failure.
  args.push(function (err: Error | null, rows: Row[]) {
    if (err) return callback(err);
    const result: Record<string, unknown> = {};
    if (rows.length > 0) {
      const keys = Object.keys(rows[0] as Row);
      const key = keys[0] as string;
      if (keys.length > 2) {
        for (const row of rows) result[row[key] as string] = row;
      } else {
        const value = keys[1] as string;
        for (const row of rows) result[row[key] as string] = row[value];
      }
    }
    return callback(err, result);
  });
  return this.all(...args);
}

// Assigned, not declared in the class: enumerable like node-sqlite3's JavaScript-defined methods.
(Statement.prototype as unknown as { map: typeof map }).map = map;

type RowCallback<T> = (this: RunResult, err: Error | null, row: T) => void;

// The call forms node-sqlite3's own typings declare, so code type-checked against `sqlite3` checks against this package.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface Statement {
  bind(callback?: (err: Error | null) => void): this;
  run(callback?: (this: RunResult, err: Error | null) => void): this;
  run(params: unknown, callback?: (this: RunResult, err: Error | null) => void): this;
  get<T = Record<string, unknown>>(callback?: (err: Error | null, row?: T) => void): this;
  get<T = Record<string, unknown>>(params: unknown, callback?: (this: RunResult, err: Error | null, row?: T) => void): this;
  all<T = Record<string, unknown>>(callback?: (err: Error | null, rows: T[]) => void): this;
  all<T = Record<string, unknown>>(params: unknown, callback?: (this: RunResult, err: Error | null, rows: T[]) => void): this;
  each<T = Record<string, unknown>>(callback?: (err: Error | null, row: T) => void, complete?: (err: Error | null, count: number) => void): this;
  each<T = Record<string, unknown>>(params: unknown, callback?: RowCallback<T>, complete?: (err: Error | null, count: number) => void): this;
  /** See {@link map}. */
  map(...args: unknown[]): this;
}
