import { ErrorCodes } from './errors/codes.ts';
import { RapsqliteError } from './errors/rapsqlite-error.ts';
import { leaseContext, type Connection, type Lease, type RequestInit, type Ticket } from './internal/connection.ts';
import { checkCallOptions, ITERATE_OPTION_KEYS, QUERY_OPTION_KEYS, TRANSACTION_OPTION_KEYS } from './internal/call-options.ts';
import { RemoteCursor } from './internal/cursor.ts';
import { checkParams } from './internal/params.ts';
import { assertMiddleware, compose } from './middleware/compose.ts';
import type { Execute, Middleware } from './middleware/middleware.ts';
import type {
  ConnectionInfo,
  ControlOperation,
  IterateOperation,
  Operation,
  RunManyOperation,
  StatementOperation,
  TransactionInfo,
  TransactionOperation,
} from './middleware/operation.ts';
import type { AuthorizerRules } from './native/authorizer-rules.ts';
import { checkIntegerMode, moduleSpecifier, type ResolvedOptions } from './options.ts';
import { Statement } from './statement.ts';
import {
  TRANSACTION_MODES,
  type IterateOptions,
  type Params,
  type QueryOptions,
  type Row,
  type RunManyResult,
  type RunResult,
  type TransactionOptions,
  type ValuesResult,
} from './types.ts';
import { IntMode, Op, type IntModeCode, type OpCode, type StatementInfo } from './worker/protocol.ts';

const NO_OPTIONS: QueryOptions = Object.freeze({});

/**
 * The operation attribute where the engine records the nanoseconds a statement spent inside SQLite, when the database
 * was opened with `statementTiming: true`. The rest of the call's duration is queueing and the thread hop.
 */
export const SQLITE_TIME_ATTRIBUTE = 'rapsqlite.sqliteTimeNs';
const DEFAULT_CHUNK = 256;
let nextTransactionId = 1;

/** The state of one transaction (or savepoint), found from the `transaction` info its operations carry. */
interface TxState {
  readonly lease: Lease;
  readonly info: TransactionInfo;
  /** False once the callback settled: its `tx` handle then refuses calls (a savepoint's closes before its parent's). */
  active: boolean;
  /** Cursors opened inside the transaction, closed when it ends. */
  readonly cursors: Set<RemoteCursor>;
  /** Why the transaction was cancelled (its signal or deadline), reported to the callback's later calls. */
  abortError?: RapsqliteError;
  /** The rollback still running after a cancelled transaction rejected; the lease is released when it ends. */
  cleanup?: Promise<void>;
}

/** Lets the terminal find a transaction's state from the info object that operations carry (copies of an op keep it). */
const transactions = new WeakMap<TransactionInfo, TxState>();

const CONTROL_KINDS: ReadonlySet<string> = new Set(['begin', 'commit', 'rollback', 'savepoint', 'release', 'rollbackTo']);

function optionKeys(kind: Operation['kind']): ReadonlySet<string> {
  if (kind === 'iterate') return ITERATE_OPTION_KEYS;
  return kind === 'transaction' ? TRANSACTION_OPTION_KEYS : QUERY_OPTION_KEYS;
}

/** What a database and all the handles made from it (`with`, transactions) share. */
export interface Core {
  readonly connection: Connection;
  readonly options: ResolvedOptions;
}

function invalid(message: string): RapsqliteError {
  return new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, message);
}

function closedError(sql: string): RapsqliteError {
  return new RapsqliteError(ErrorCodes.CLOSED, 'The database is closed', { sql });
}

/**
 * The query API shared by a {@link Database}, a {@link Transaction} and other handles such as a pool: code and
 * middleware written against it work on any of them. Every method is asynchronous and takes an optional last
 * argument of per-call {@link QueryOptions}.
 */
export interface Queryable {
  exec(sql: string, options?: QueryOptions): Promise<void>;
  run(sql: string, params?: Params, options?: QueryOptions): Promise<RunResult>;
  runMany(sql: string, paramsList: readonly Params[], options?: QueryOptions): Promise<RunManyResult>;
  get<R = Row>(sql: string, params?: Params, options?: QueryOptions): Promise<R | undefined>;
  all<R = Row>(sql: string, params?: Params, options?: QueryOptions): Promise<R[]>;
  values<V extends unknown[] = unknown[]>(sql: string, params?: Params, options?: QueryOptions): Promise<ValuesResult<V>>;
  iterate<R = Row>(sql: string, params?: Params, options?: IterateOptions): AsyncIterableIterator<R> & AsyncDisposable;
  prepare<R = Row>(sql: string, options?: QueryOptions): Promise<Statement<R>>;
  transaction<T>(callback: (tx: Transaction) => Promise<T> | T, options?: TransactionOptions): Promise<T>;
}

/** The implementation of {@link Queryable} for a database and its transactions. */
abstract class QueryableBase implements Queryable {
  readonly #core: Core;
  readonly #tx: TxState | undefined;
  readonly #chain: () => Execute;

  /** @internal */
  protected constructor(core: Core, tx: TxState | undefined, chain: () => Execute) {
    this.#core = core;
    this.#tx = tx;
    this.#chain = chain;
  }

  /** @internal */
  protected get core(): Core {
    return this.#core;
  }

  /** A statement operation: one literal, so every call site builds objects of one shape. */
  #op<K extends StatementOperation['kind'] | 'iterate'>(
    kind: K,
    sql: string,
    params: Params | undefined,
    options: QueryOptions | undefined,
  ): K extends 'iterate' ? IterateOperation : StatementOperation<Exclude<K, 'iterate'>> {
    return {
      kind,
      sql,
      params,
      options: options ?? NO_OPTIONS,
      transaction: this.#tx?.info,
      connection: this.#core.connection.info,
      attributes: {},
    } as never;
  }

  /** The fields every operation has, for the kinds that add their own (`exec`, `runMany`, `transaction`). */
  #base<K extends 'exec' | 'runMany' | 'transaction'>(kind: K, sql: string, options: QueryOptions | undefined) {
    return { kind, sql, options: options ?? NO_OPTIONS, transaction: this.#tx?.info, connection: this.#core.connection.info, attributes: {} };
  }

  #call(op: Operation): Promise<unknown> {
    if (typeof op.sql !== 'string') return Promise.reject(invalid('SQL must be a string'));
    try {
      if (op.options !== NO_OPTIONS) checkCallOptions(op.options, optionKeys(op.kind), op.kind);
      return this.#chain()(op);
    } catch (err) {
      // A middleware that throws synchronously still yields a rejected promise, never a throw from an async API.
      return Promise.reject(err);
    }
  }

  /**
   * Runs a script of one or more statements, separated by semicolons, without parameters (schema set-up,
   * migrations). Use {@link run} for a statement with parameters.
   */
  exec(sql: string, options?: QueryOptions): Promise<void> {
    return this.#call(this.#base('exec', sql, options)) as Promise<void>;
  }

  /** Runs a statement that changes data and reports how many rows changed and the last inserted rowid. */
  run(sql: string, params?: Params, options?: QueryOptions): Promise<RunResult> {
    return this.#call(this.#op('run', sql, params, options)) as Promise<RunResult>;
  }

  /**
   * Runs one statement once per parameter set, in one round trip and one transaction (a savepoint inside an open
   * transaction): all sets apply or none. A failure's error has `index`, the failing set's position.
   *
   * @example
   * ```ts
   * await db.runMany('INSERT INTO users (name) VALUES (?)', names.map((n) => [n]));
   * ```
   */
  runMany(sql: string, paramsList: readonly Params[], options?: QueryOptions): Promise<RunManyResult> {
    if (!Array.isArray(paramsList)) return Promise.reject(invalid('runMany takes an array of parameter sets'));
    const op: RunManyOperation = { ...this.#base('runMany', sql, options), paramsList };
    return this.#call(op) as Promise<RunManyResult>;
  }

  /** Runs a query and resolves with its first row, or undefined when it returns none. */
  get<R = Row>(sql: string, params?: Params, options?: QueryOptions): Promise<R | undefined> {
    return this.#call(this.#op('get', sql, params, options)) as Promise<R | undefined>;
  }

  /** Runs a query and resolves with all its rows. Large results move in chunks so no thread stalls on one message. */
  all<R = Row>(sql: string, params?: Params, options?: QueryOptions): Promise<R[]> {
    return this.#call(this.#op('all', sql, params, options)) as Promise<R[]>;
  }

  /** Runs a query and resolves with its rows as arrays in column order, and the columns' metadata. */
  values<V extends unknown[] = unknown[]>(sql: string, params?: Params, options?: QueryOptions): Promise<ValuesResult<V>> {
    return this.#call(this.#op('values', sql, params, options)) as Promise<ValuesResult<V>>;
  }

  /**
   * Streams a query's rows in chunks, with backpressure: the worker never runs more than one chunk ahead of the
   * consumer. Leaving the loop early (`break`, `return`, a throw) finalizes the statement in the worker at once.
   * The middleware chain sees the operation when iteration starts; its result is the row iterator.
   *
   * @example
   * ```ts
   * for await (const row of db.iterate<Event>('SELECT * FROM events ORDER BY id')) process(row);
   * ```
   */
  iterate<R = Row>(sql: string, params?: Params, options?: IterateOptions): AsyncIterableIterator<R> & AsyncDisposable {
    const op = this.#op('iterate', sql, params, options);
    return new LazyIterator<R>(() => this.#call(op) as Promise<AsyncIterableIterator<R>>);
  }

  /**
   * Prepares a statement once and returns a handle to run it many times. The SQL is compiled now (errors surface
   * here); the worker keeps the compiled statement in its cache.
   */
  async prepare<R = Row>(sql: string, options?: QueryOptions): Promise<Statement<R>> {
    const info = (await this.#call(this.#op('prepare', sql, undefined, options))) as StatementInfo;
    return new Statement<R>(this, sql, info);
  }

  /**
   * Runs `callback` in a transaction that holds the connection: no other call runs inside it. Resolving commits;
   * throwing rolls back and rethrows. Inside, use the `tx` argument, whose `transaction()` nests as a SAVEPOINT.
   * The default mode is `'immediate'`, so a write transaction never fails with `SQLITE_BUSY_SNAPSHOT` half-way.
   *
   * @example
   * ```ts
   * const id = await db.transaction(async (tx) => {
   *   const { lastInsertRowid } = await tx.run('INSERT INTO orders (user) VALUES (?)', [userId]);
   *   await tx.runMany('INSERT INTO lines (order_id, sku) VALUES (?, ?)', skus.map((s) => [lastInsertRowid, s]));
   *   return lastInsertRowid;
   * });
   * ```
   */
  transaction<T>(callback: (tx: Transaction) => Promise<T> | T, options?: TransactionOptions): Promise<T> {
    if (typeof callback !== 'function') return Promise.reject(invalid('transaction() takes a callback'));
    const parent = this.#tx;
    const mode = options?.mode ?? parent?.info.mode ?? 'immediate';
    if (!TRANSACTION_MODES.includes(mode)) return Promise.reject(invalid(`Unknown transaction mode "${String(mode)}"`));
    const depth = parent === undefined ? 0 : parent.info.depth + 1;
    const sql = depth === 0 ? `BEGIN ${mode.toUpperCase()}` : `SAVEPOINT rapsqlite_${depth}`;
    const op: TransactionOperation = {
      ...this.#base('transaction', sql, options),
      mode,
      depth,
      callback: callback as (tx: never) => Promise<unknown>,
    };
    return this.#call(op) as Promise<T>;
  }
}

/**
 * A transaction in progress: the same query methods as the database, bound to the transaction's hold on the
 * connection. It is valid only until its callback settles; calls after that fail with
 * `ERR_RAPSQLITE_TRANSACTION_CLOSED`.
 */
export class Transaction extends QueryableBase {
  readonly #state: TxState;

  /** @internal */
  constructor(core: Core, state: TxState, chain: () => Execute) {
    super(core, state, chain);
    this.#state = state;
  }

  /** This transaction's identity: id, depth (0 for the outermost, more for savepoints) and mode. */
  get info(): TransactionInfo {
    return this.#state.info;
  }

  /** True until the callback settles. */
  get active(): boolean {
    return this.#state.active && this.#state.lease.active;
  }
}

/**
 * The end of every chain: sends an operation to the worker under the connection's lease rules, or runs a whole
 * transaction. `chain` is the handle's composed chain, through which a transaction's own statements travel.
 */
function terminal(core: Core, op: Operation, chain: () => Execute): Promise<unknown> {
  try {
    const tx = op.transaction === undefined ? undefined : transactions.get(op.transaction);
    if (op.transaction !== undefined && tx === undefined) {
      throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, 'The operation names a transaction this database did not start', { sql: op.sql });
    }
    if (op.kind === 'transaction') return runTransaction(core, op, tx, chain);
    if (op.kind === 'iterate') return openCursor(core, op, tx);
    const mode = integerMode(core, op.options);
    let code: number;
    let params: unknown;
    switch (op.kind) {
      case 'run':
      case 'get':
      case 'all':
      case 'values':
      case 'prepare':
        checkParams(op.params, op.sql);
        code = Op[op.kind];
        params = op.params;
        break;
      case 'runMany':
        for (const set of op.paramsList) checkParams(set, op.sql);
        code = Op.runMany;
        params = op.paramsList;
        break;
      case 'exec':
        code = Op.exec;
        break;
      default:
        // BEGIN, COMMIT, ROLLBACK and the savepoint statements.
        code = Op.run;
        break;
    }
    const framing = CONTROL_KINDS.has(op.kind);
    const request: RequestInit = { op: code as OpCode, sql: op.sql, params, mode };
    if (!core.options.statementTiming) return cancellable(core, tx, framing, request, op.options);
    const ticket: Ticket = { id: 0, cancelled: undefined, sqliteNs: 0 };
    return cancellable(core, tx, framing, { ...request, ticket }, op.options).finally(() => {
      op.attributes[SQLITE_TIME_ATTRIBUTE] = ticket.sqliteNs;
    });
  } catch (err) {
    return Promise.reject(err);
  }
}

/** Sends a request: at once inside its transaction, else when no transaction holds the connection. */
function send(core: Core, tx: TxState | undefined, framing: boolean, request: RequestInit): Promise<unknown> {
  const connection = core.connection;
  if (tx !== undefined) {
    const error = txError(core, tx, request.sql, framing);
    return error === undefined ? connection.request({ ...request, inTx: true }) : Promise.reject(error);
  }
  if (connection.closing) return Promise.reject(closedError(request.sql));
  const wait = connection.whenFree(request.sql);
  if (wait === undefined) return connection.request(request);
  // A call cancelled while it waited for a transaction to end is never sent.
  const ticket = request.ticket;
  return wait.then(() => (ticket?.cancelled === undefined ? connection.request(request) : Promise.reject(ticket.cancelled)));
}

function abortedError(reason: unknown, sql: string): RapsqliteError {
  return new RapsqliteError(ErrorCodes.ABORTED, 'The call was cancelled', { sql, cause: reason });
}

function timeoutError(timeoutMs: number, sql: string): RapsqliteError {
  return new RapsqliteError(ErrorCodes.TIMEOUT, `The call did not finish within ${timeoutMs} ms`, { sql });
}

/**
 * Sends a request that an `AbortSignal` or a deadline may cancel: before it starts it never runs; while it runs it
 * is interrupted (see `Connection.abort` for what happens without the native companion).
 */
function cancellable(core: Core, tx: TxState | undefined, framing: boolean, request: RequestInit, options: QueryOptions): Promise<unknown> {
  const signal = options.signal;
  const timeoutMs = options.timeoutMs ?? (framing ? undefined : core.options.timeoutMs);
  if (signal === undefined && timeoutMs === undefined) return send(core, tx, framing, request);
  const sql = request.sql;
  if (signal?.aborted === true) return Promise.reject(abortedError(signal.reason, sql));
  const ticket: Ticket = request.ticket ?? { id: 0, cancelled: undefined };
  const sent = send(core, tx, framing, request.ticket === undefined ? { ...request, ticket } : request);
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (): boolean => {
      if (settled) return false;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (timer !== undefined) clearTimeout(timer);
      return true;
    };
    const cancel = (error: RapsqliteError): void => {
      if (ticket.id === 0) {
        ticket.cancelled = error;
        if (finish()) reject(error);
        return;
      }
      core.connection.abort(ticket.id, error);
    };
    const onAbort = (): void => cancel(abortedError(signal?.reason, sql));
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => cancel(timeoutError(timeoutMs, sql)), timeoutMs);
    sent.then(
      (value) => finish() && resolve(value),
      (error: unknown) => finish() && reject(error),
    );
  });
}

function txError(core: Core, tx: TxState, sql: string, framing: boolean): RapsqliteError | undefined {
  if (tx.lease.generation !== core.connection.generation) {
    return new RapsqliteError(ErrorCodes.WORKER_DIED, 'The worker died during the transaction; SQLite rolled it back', { sql });
  }
  // BEGIN/COMMIT/ROLLBACK run around the callback, so they only need the lease, not a live callback.
  if (!framing && tx.abortError !== undefined) return tx.abortError;
  if (framing ? !tx.lease.active : !tx.active) {
    return new RapsqliteError(ErrorCodes.TRANSACTION_CLOSED, 'The transaction has ended; this tx handle can no longer be used', { sql });
  }
  return undefined;
}

function integerMode(core: Core, options: QueryOptions): IntModeCode {
  const mode = options.integers === undefined ? core.options.integers : checkIntegerMode(options.integers);
  return IntMode[mode];
}

async function openCursor(core: Core, op: IterateOperation, tx: TxState | undefined): Promise<AsyncIterableIterator<Row>> {
  checkParams(op.params, op.sql);
  const mode = integerMode(core, op.options);
  const chunkSize = op.options.chunkSize ?? DEFAULT_CHUNK;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw invalid('chunkSize must be a positive integer');
  const first = (await cancellable(core, tx, false, { op: Op.iterOpen, sql: op.sql, params: op.params, mode, extra: chunkSize }, op.options)) as {
    cursor: number;
    rows: Row[];
    done: boolean;
  };
  const fetch = (id: number) => cancellable(core, tx, false, { op: Op.iterNext, sql: op.sql, mode, extra: id }, op.options) as Promise<{ rows: Row[]; done: boolean }>;
  let cursor: RemoteCursor | undefined = undefined;
  // The constructor calls onClose at once for a result that fits in its first chunk, before `cursor` is assigned.
  cursor = new RemoteCursor(core.connection, first.cursor, first, fetch, () => {
    if (cursor !== undefined) tx?.cursors.delete(cursor);
  });
  if (tx !== undefined && !first.done) tx.cursors.add(cursor);
  return cursor;
}

async function runTransaction(core: Core, op: TransactionOperation, parent: TxState | undefined, chain: () => Execute): Promise<unknown> {
  const connection = core.connection;
  if (parent === undefined) {
    if (connection.closing) throw closedError(op.sql);
    const lease = await connection.acquire();
    const state = newState(lease, op, 0);
    try {
      return await leaseContext.run(lease, () => frame(core, op, state, chain));
    } finally {
      if (state.cleanup === undefined) connection.release(lease);
      else void state.cleanup.finally(() => connection.release(lease));
    }
  }
  const error = txError(core, parent, op.sql, false);
  if (error !== undefined) throw error;
  return frame(core, op, newState(parent.lease, op, op.depth), chain);
}

function newState(lease: Lease, op: TransactionOperation, depth: number): TxState {
  const state: TxState = { lease, info: Object.freeze({ id: nextTransactionId++, depth, mode: op.mode }), active: true, cursors: new Set() };
  transactions.set(state.info, state);
  return state;
}

/** Runs BEGIN (or SAVEPOINT), the callback, then COMMIT (or RELEASE), rolling back when the callback or the commit fails. */
async function frame(core: Core, op: TransactionOperation, state: TxState, chain: () => Execute): Promise<unknown> {
  const nested = op.depth > 0;
  const name = `rapsqlite_${op.depth}`;
  const control = (kind: ControlOperation['kind'], sql: string): Promise<unknown> =>
    chain()({ kind, sql, options: NO_OPTIONS, transaction: state.info, connection: op.connection, attributes: {} });
  const rollback = async (): Promise<void> => {
    // After the worker died there is nothing to roll back: SQLite discarded the uncommitted transaction.
    if (state.lease.generation !== core.connection.generation) return;
    try {
      if (nested) {
        await control('rollbackTo', `ROLLBACK TO ${name}`);
        await control('release', `RELEASE ${name}`);
      } else {
        await control('rollback', 'ROLLBACK');
      }
    } catch {
      // The original error matters more; SQLite may already have rolled back by itself (SQLITE_FULL, SQLITE_IOERR…).
    }
  };
  await control(nested ? 'savepoint' : 'begin', op.sql);
  let result: unknown;
  const deadline = transactionDeadline(core, op, state);
  try {
    const body = Promise.resolve().then(() => (op.callback as (tx: Transaction) => unknown)(new Transaction(core, state, chain)));
    if (deadline === undefined) {
      result = await body;
    } else {
      // The callback may be stuck on something else entirely: the deadline rolls back without waiting for it.
      body.catch(() => undefined);
      result = await Promise.race([body, deadline.expired]);
    }
  } catch (err) {
    deadline?.clear();
    const cleanup = end(state).then(rollback);
    if (err !== state.abortError) {
      await cleanup;
      throw err;
    }
    // Past its deadline the transaction rejects now. Without the companion its running statement cannot be stopped,
    // so the ROLLBACK waits behind it; the connection stays held until then, so nobody sees the half-done work.
    state.cleanup = cleanup;
    throw err;
  }
  deadline?.clear();
  await end(state);
  try {
    await control(nested ? 'release' : 'commit', nested ? `RELEASE ${name}` : 'COMMIT');
  } catch (err) {
    // A failed COMMIT (SQLITE_BUSY, a deferred foreign key) leaves the transaction open: close it. An unknown outcome
    // (the worker died) has nothing left to close.
    if (!(err instanceof RapsqliteError && err.code === ErrorCodes.OUTCOME_UNKNOWN)) await rollback();
    throw err;
  }
  return result;
}

/** Arms a transaction's `signal` and `timeoutMs`: on expiry its running statement is interrupted and it is ended. */
function transactionDeadline(core: Core, op: TransactionOperation, state: TxState): { expired: Promise<never>; clear: () => void } | undefined {
  const { signal, timeoutMs } = op.options;
  if (signal === undefined && timeoutMs === undefined) return undefined;
  let fail!: (error: RapsqliteError) => void;
  const expired = new Promise<never>((_, reject) => (fail = reject));
  expired.catch(() => undefined);
  const expire = (error: RapsqliteError): void => {
    clear();
    state.abortError = error;
    state.active = false;
    core.connection.interruptRunning(error);
    fail(error);
  };
  const onAbort = (): void => expire(abortedError(signal?.reason, op.sql));
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => expire(timeoutError(timeoutMs, op.sql)), timeoutMs);
  const clear = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  };
  if (signal?.aborted === true) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  return { expired, clear };
}

async function end(state: TxState): Promise<void> {
  state.active = false;
  for (const cursor of state.cursors) await cursor.return();
}

/** Where to find a user function or aggregate: a module the worker imports, and the export to use. */
export interface FunctionSource {
  /** An absolute path, a `file:` URL (string or URL) or a package name. Relative paths are ambiguous and refused. */
  readonly module: string | URL;
  /** The export's name. Default `'default'`. */
  readonly export?: string;
  /**
   * The function returns the same result for the same arguments: SQLite may evaluate it once per statement for
   * constant arguments. To use it in an index, a generated column, a view or a trigger, also set `innocuous`:
   * rapsqlite opens connections with `trusted_schema = OFF`, under which SQLite refuses functions in the schema that
   * are not marked innocuous.
   */
  readonly deterministic?: boolean;
  /**
   * The function has no side effects and may run from the schema (indexes, generated columns, CHECK constraints,
   * views, triggers) with `trusted_schema = OFF`. Scalar functions only; needs the native companion
   * (`ERR_RAPSQLITE_UNSUPPORTED` without it). Each call then costs one nested statement (a few microseconds). See
   * docs/security.md.
   */
  readonly innocuous?: boolean;
  /** The function takes any number of arguments. */
  readonly varargs?: boolean;
  /**
   * Integer arguments arrive as bigints (exact beyond 2^53) instead of numbers. Default false: numbers, as most
   * JavaScript code expects; integers beyond ±(2^53−1) are then rounded.
   */
  readonly bigintArguments?: boolean;
  /** The function may not be called from views, triggers or schema structures (recommended for side effects). */
  readonly directOnly?: boolean;
}

/**
 * A database: one worker thread that owns one better-sqlite3 connection, behind promises. Create it with
 * {@link open}. The caller's thread never runs SQLite, so a slow query never stalls the event loop.
 */
export class Database extends QueryableBase implements AsyncDisposable {
  #middleware: readonly Middleware[];
  #chain: Execute;
  readonly #terminal: Execute;

  /** @internal Use {@link open}. */
  constructor(core: Core, middleware: readonly Middleware[]) {
    super(core, undefined, () => this.#chain);
    for (const mw of middleware) assertMiddleware(mw);
    const chain = () => this.#chain;
    this.#terminal = (op) => terminal(core, op, chain);
    this.#middleware = middleware;
    this.#chain = compose(middleware, this.#terminal);
  }

  /** Which connection this database is: its role (`'writer'`, or `'reader'` when opened read-only), id and path. */
  get connection(): ConnectionInfo {
    return this.core.connection.info;
  }

  /** The path given to `open`, or `':memory:'`. */
  get path(): string {
    return this.core.connection.info.path;
  }

  /** True when opened read-only. */
  get readonly(): boolean {
    return this.core.options.readonly;
  }

  /** True once {@link close} has been called. */
  get closed(): boolean {
    return this.core.connection.closing;
  }

  /** The middleware of this handle, outermost first. */
  get middleware(): readonly Middleware[] {
    return this.#middleware;
  }

  /** Adds middleware to this handle (innermost so far). Handles made earlier with {@link with} are not affected. */
  use(...middleware: Middleware[]): this {
    for (const mw of middleware) assertMiddleware(mw);
    this.#middleware = Object.freeze([...this.#middleware, ...middleware]);
    this.#chain = compose(this.#middleware, this.#terminal);
    return this;
  }

  /**
   * Returns a new handle on the same connection with more middleware, leaving this one unchanged: a way to scope a
   * plugin to one part of an application. Closing either handle closes the shared connection.
   */
  with(...middleware: Middleware[]): Database {
    return new Database(this.core, Object.freeze([...this.#middleware, ...middleware]));
  }

  /**
   * Registers a user-defined scalar function. Closures cannot cross threads, so the function is named by module and
   * export and imported inside the worker; it is registered again on every replacement worker.
   *
   * @example
   * ```ts
   * // slugify.js: export function slugify(text) { return text.toLowerCase().replace(/\W+/g, '-'); }
   * await db.function('slugify', { module: new URL('./slugify.js', import.meta.url), export: 'slugify', deterministic: true });
   * ```
   */
  function(name: string, source: FunctionSource): Promise<void> {
    return this.#register('function', name, source);
  }

  /**
   * Registers a user-defined aggregate (or window function, when the export has `inverse`). The export is an object
   * `{ start?, step, inverse?, result? }` as better-sqlite3's `aggregate()` takes it.
   */
  aggregate(name: string, source: FunctionSource): Promise<void> {
    return this.#register('aggregate', name, source);
  }

  async #register(kind: 'function' | 'aggregate', name: string, source: FunctionSource): Promise<void> {
    if (typeof name !== 'string' || name === '') throw invalid('A function needs a name');
    if (source?.innocuous === true && (kind === 'aggregate' || source.directOnly === true)) {
      throw invalid(kind === 'aggregate' ? 'Only scalar functions can be innocuous' : 'A function cannot be both innocuous and directOnly');
    }
    const spec = {
      kind,
      name,
      module: moduleSpecifier((source as FunctionSource | undefined)?.module),
      export: source.export ?? 'default',
      ...(source.deterministic === undefined ? {} : { deterministic: source.deterministic }),
      ...(source.varargs === undefined ? {} : { varargs: source.varargs }),
      ...(source.directOnly === undefined ? {} : { directOnly: source.directOnly }),
      ...(source.innocuous === undefined ? {} : { innocuous: source.innocuous }),
      bigintArguments: source.bigintArguments ?? false,
    };
    const connection = this.core.connection;
    if (connection.closing) throw new RapsqliteError(ErrorCodes.CLOSED, 'The database is closed');
    await connection.request({ op: Op.register, sql: '', extra: spec });
    connection.addFunction(spec);
  }

  /**
   * Stops whatever statement the connection runs now: its call rejects with `ERR_RAPSQLITE_ABORTED`. Calls queued
   * behind it still run. Returns false when nothing was running or the native companion is not available.
   */
  interrupt(): boolean {
    return this.core.connection.interruptRunning(new RapsqliteError(ErrorCodes.ABORTED, 'Interrupted by db.interrupt()'));
  }

  /**
   * Installs (or, with `null`, removes) an authorizer on the connection: statements that need a denied action or
   * table fail when prepared, with `SQLITE_AUTH`. Needs the native companion (`ERR_RAPSQLITE_UNSUPPORTED` without it).
   * The rules are replayed on a replacement worker.
   */
  async authorizer(rules: AuthorizerRules | null): Promise<void> {
    const connection = this.core.connection;
    if (connection.closing) throw new RapsqliteError(ErrorCodes.CLOSED, 'The database is closed');
    await connection.request({ op: Op.authorize, sql: '', extra: rules });
    connection.setAuthorizer(rules);
  }

  /**
   * Lets queued and running calls finish, then closes the connection and stops the worker. Calls made after
   * `close()` reject with `ERR_RAPSQLITE_CLOSED`. Idempotent.
   */
  close(): Promise<void> {
    return this.core.connection.close();
  }

  /** Closes the database at the end of an `await using` block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** A chunked iterator that runs the chain (and opens the cursor) on the first `next()`, so `iterate()` is synchronous. */
class LazyIterator<R> implements AsyncIterableIterator<R>, AsyncDisposable {
  readonly #open: () => Promise<AsyncIterableIterator<R>>;
  #inner: Promise<AsyncIterableIterator<R>> | undefined;
  #done = false;

  constructor(open: () => Promise<AsyncIterableIterator<R>>) {
    this.#open = open;
  }

  async next(): Promise<IteratorResult<R, undefined>> {
    if (this.#done) return { done: true, value: undefined };
    this.#inner ??= this.#open();
    const inner = await this.#inner;
    return inner.next() as Promise<IteratorResult<R, undefined>>;
  }

  async return(): Promise<IteratorReturnResult<undefined>> {
    this.#done = true;
    if (this.#inner !== undefined) {
      const inner = await this.#inner.catch(() => undefined);
      await inner?.return?.();
    }
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }
}
