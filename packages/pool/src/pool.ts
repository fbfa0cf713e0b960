import {
  type AuthorizerRules,
  ErrorCodes,
  RapsqliteError,
  Statement,
  TRANSACTION_MODES,
  type Database,
  type FunctionSource,
  type Middleware,
  type OperationKind,
  type Params,
  type Queryable,
  type Row,
  type RunManyResult,
  type RunResult,
  type Transaction,
  type ValuesResult,
} from '@rapsqlite/engine';
import type { CheckpointMode, CheckpointResult, PoolEventMap, PoolEventName } from './events.ts';
import { CHECKPOINT_MODES } from './events.ts';
import type { CallOptions, Lease, PoolCore, Target } from './internal/pool-core.ts';
import type { PoolIterateOptions, PoolQueryOptions, PoolTransactionOptions } from './pool-options.ts';
import type { PoolStats } from './stats.ts';

function invalid(message: string): RapsqliteError {
  return new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, message);
}

function assertMiddleware(value: unknown): asserts value is Middleware {
  const mw = value as Partial<Middleware> | null;
  if (typeof mw !== 'object' || mw === null || typeof mw.name !== 'string' || typeof mw.wrap !== 'function') {
    throw invalid('A middleware is an object with a string `name` and a `wrap(next)` function');
  }
}

/**
 * A pool over one SQLite file in WAL mode: one writer connection and read-only reader connections, each a worker
 * thread, behind the same query API as an engine `Database`. Reads of read-only statements run on readers in
 * parallel; writes, scripts and transactions run on the writer. Create it with {@link createPool}.
 *
 * Middleware runs on the connection that executes each call, so `op.connection.role` says `'writer'` or `'reader'`
 * and `op.connection.id` names the worker.
 */
export class Pool implements Queryable, AsyncDisposable {
  readonly #core: PoolCore;
  #middleware: readonly Middleware[];
  /** Handles with this pool's middleware, one per connection, made on first use. */
  #views = new WeakMap<object, Database>();

  /** @internal Use {@link createPool}. */
  constructor(core: PoolCore, middleware: readonly Middleware[]) {
    for (const mw of middleware) assertMiddleware(mw);
    this.#core = core;
    this.#middleware = Object.freeze([...middleware]);
  }

  /** The path given to `createPool`. */
  get path(): string {
    return this.#core.path;
  }

  /** Always false: a pool writes through its writer. Each reader connection is read-only. */
  get readonly(): boolean {
    return false;
  }

  /** True once {@link close} has been called. */
  get closed(): boolean {
    return this.#core.closing;
  }

  /** The middleware of this handle, outermost first. */
  get middleware(): readonly Middleware[] {
    return this.#middleware;
  }

  #view(lease: Lease): Database {
    const slot = lease.slot;
    if (this.#middleware.length === 0) return slot.raw;
    let view = this.#views.get(slot);
    if (view === undefined) {
      view = slot.raw.with(...this.#middleware);
      this.#views.set(slot, view);
    }
    return view;
  }

  async #call<T>(
    kind: OperationKind,
    sql: string,
    target: Target,
    options: CallOptions | undefined,
    invoke: (db: Database, options: CallOptions | undefined, lease: Lease) => Promise<T>,
  ): Promise<T> {
    const lease = await this.#core.acquire(kind, sql, target, options);
    let error: unknown;
    try {
      return await invoke(this.#view(lease), lease.options, lease);
    } catch (err) {
      error = err ?? new Error('undefined was thrown');
      throw err;
    } finally {
      this.#core.release(lease, error);
    }
  }

  /** Runs a script of one or more statements on the writer (schema set-up, migrations). */
  exec(sql: string, options?: PoolQueryOptions): Promise<void> {
    return this.#call('exec', sql, 'write', options, (db, o) => db.exec(sql, o));
  }

  /** Runs a statement on the writer and reports how many rows changed and the last inserted rowid. */
  run(sql: string, params?: Params, options?: PoolQueryOptions): Promise<RunResult> {
    return this.#call('run', sql, 'write', options, (db, o) => db.run(sql, params, o));
  }

  /** Runs one statement once per parameter set, on the writer, in one round trip and one transaction. */
  runMany(sql: string, paramsList: readonly Params[], options?: PoolQueryOptions): Promise<RunManyResult> {
    return this.#call('runMany', sql, 'write', options, (db, o) => db.runMany(sql, paramsList, o));
  }

  /** Runs a query and resolves with its first row: on a reader when the statement is read-only, else on the writer. */
  get<R = Row>(sql: string, params?: Params, options?: PoolQueryOptions): Promise<R | undefined> {
    return this.#call('get', sql, 'read', options, (db, o) => db.get<R>(sql, params, o));
  }

  /** Runs a query and resolves with all its rows: on a reader when the statement is read-only, else on the writer. */
  all<R = Row>(sql: string, params?: Params, options?: PoolQueryOptions): Promise<R[]> {
    return this.#call('all', sql, 'read', options, (db, o) => db.all<R>(sql, params, o));
  }

  /** Runs a query and resolves with array rows and the columns' metadata, routed like {@link all}. */
  values<V extends unknown[] = unknown[]>(sql: string, params?: Params, options?: PoolQueryOptions): Promise<ValuesResult<V>> {
    return this.#call('values', sql, 'read', options, (db, o) => db.values<V>(sql, params, o));
  }

  /**
   * Streams a query's rows, routed like {@link all}. The iterator holds its connection (and, on a reader, its
   * snapshot of the database) until the loop ends: finish or `break` promptly.
   */
  iterate<R = Row>(sql: string, params?: Params, options?: PoolIterateOptions): AsyncIterableIterator<R> & AsyncDisposable {
    return new PoolIterator<R>(this.#core, async () => {
      const lease = await this.#core.acquire('iterate', sql, 'read', options);
      this.#core.holdCursor(lease, true);
      return { lease, inner: this.#view(lease).iterate<R>(sql, params, lease.options) };
    });
  }

  /**
   * Prepares a statement and returns a handle bound to the pool: each run is routed again (a read-only statement to a
   * reader, others to the writer), and the routing is learned here, so the first run pays nothing for it.
   */
  async prepare<R = Row>(sql: string, options?: PoolQueryOptions): Promise<Statement<R>> {
    const prepared = await this.#call('prepare', sql, 'read', options, (db, o) => db.prepare<R>(sql, o));
    this.#core.routes.set(sql, prepared.readonly);
    return new Statement<R>(this, sql, { reader: prepared.reader, readonly: prepared.readonly, columns: prepared.columns });
  }

  /**
   * Runs `callback` in a transaction. A write transaction (the default, `BEGIN IMMEDIATE`) holds the writer for the
   * whole callback, across its `await`s. With `{ readonly: true }` it runs on a reader with `BEGIN DEFERRED` and
   * sees one consistent snapshot while the writer goes on committing. Inside, use the `tx` argument.
   *
   * @example
   * ```ts
   * const report = await pool.transaction(async (tx) => ({
   *   orders: await tx.all('SELECT * FROM orders WHERE day = ?', [day]),
   *   total: await tx.get('SELECT sum(amount) AS total FROM orders WHERE day = ?', [day]),
   * }), { readonly: true });
   * ```
   */
  async transaction<T>(callback: (tx: Transaction) => Promise<T> | T, options?: PoolTransactionOptions): Promise<T> {
    if (typeof callback !== 'function') throw invalid('transaction() takes a callback');
    const readonly = options?.readonly === true;
    const mode = options?.mode ?? (readonly ? 'deferred' : 'immediate');
    if (!TRANSACTION_MODES.includes(mode)) throw invalid(`Unknown transaction mode "${String(mode)}"`);
    if (readonly && mode !== 'deferred') throw invalid("A read-only transaction runs on a reader with BEGIN DEFERRED: use mode 'deferred' or none");
    const core = this.#core;
    return this.#call('transaction', `BEGIN ${mode.toUpperCase()}`, readonly ? 'readTx' : 'writeTx', options, (db, o, lease) => {
      const slot = lease.slot;
      // A fresh scope per run of the callback: a retry middleware may run the whole transaction again.
      const wrapped = async (tx: Transaction): Promise<T> => {
        const { result, end } = core.runInScope(slot, () => callback(tx));
        try {
          return await result;
        } finally {
          end();
        }
      };
      return db.transaction(wrapped, readonly && options?.mode === undefined ? { ...o, mode: 'deferred' } : o);
    });
  }

  /** Adds middleware to this handle (innermost so far), on every connection. Handles made earlier with {@link with} keep theirs. */
  use(...middleware: Middleware[]): this {
    for (const mw of middleware) assertMiddleware(mw);
    this.#middleware = Object.freeze([...this.#middleware, ...middleware]);
    this.#views = new WeakMap();
    return this;
  }

  /** Returns a handle on the same connections with more middleware, leaving this one unchanged. Closing either closes the pool. */
  with(...middleware: Middleware[]): Pool {
    return new Pool(this.#core, [...this.#middleware, ...middleware]);
  }

  /**
   * Registers a user-defined function on the writer and every reader, and on every reader opened later or replaced
   * after its worker died. See the engine's `Database.function`.
   */
  function(name: string, source: FunctionSource): Promise<void> {
    return this.#core.register('function', name, source);
  }

  /** Registers a user-defined aggregate on every connection, present and future. See the engine's `Database.aggregate`. */
  aggregate(name: string, source: FunctionSource): Promise<void> {
    return this.#core.register('aggregate', name, source);
  }

  /**
   * Stops the statement each connection runs now (the writer's and every reader's): those calls reject with
   * `ERR_RAPSQLITE_ABORTED`; queued calls still run. Returns false when nothing was running or the engine's native
   * companion is not available. To cancel one call, pass it a `signal` instead.
   */
  interrupt(): boolean {
    return this.#core.interrupt();
  }

  /**
   * Installs (or, with `null`, removes) an authorizer on every connection, present and future: statements that need
   * a denied action or table fail when prepared, with `SQLITE_AUTH`. Needs the engine's native companion.
   */
  authorizer(rules: AuthorizerRules | null): Promise<void> {
    return this.#core.setAuthorizer(rules);
  }

  /**
   * Runs `PRAGMA wal_checkpoint(mode)` on the writer after the writes queued before it, and reports the outcome.
   * The pool already checkpoints by itself (see `checkpointIntervalMs` and `walStarvationBytes`); this is for
   * tests, backups and shutdown scripts.
   */
  checkpoint(mode: CheckpointMode | Uppercase<CheckpointMode> = 'passive'): Promise<CheckpointResult> {
    // SQLite spells the modes in capitals (PRAGMA wal_checkpoint(TRUNCATE)): either case is accepted.
    const lower = typeof mode === 'string' ? (mode.toLowerCase() as CheckpointMode) : mode;
    if (!CHECKPOINT_MODES.includes(lower)) return Promise.reject(invalid(`Unknown checkpoint mode "${String(mode)}"`));
    return this.#core.checkpoint(lower);
  }

  /** A snapshot of the connections, the queues and the WAL, for metrics. */
  stats(): PoolStats {
    return this.#core.stats();
  }

  /** Listens to a pool event; see {@link PoolEventMap} for the payloads. Shared by every handle of the pool. */
  on<E extends PoolEventName>(event: E, listener: (payload: PoolEventMap[E]) => void): this {
    this.#core.on(event, listener);
    return this;
  }

  /** Listens to the next occurrence of a pool event only. */
  once<E extends PoolEventName>(event: E, listener: (payload: PoolEventMap[E]) => void): this {
    this.#core.once(event, listener);
    return this;
  }

  /** Removes a listener added with {@link on} or {@link once}. */
  off<E extends PoolEventName>(event: E, listener: (payload: PoolEventMap[E]) => void): this {
    this.#core.off(event, listener);
    return this;
  }

  /** Lets queued and running calls finish, then closes every connection and stops every worker. Idempotent. */
  close(): Promise<void> {
    return this.#core.close();
  }

  /** Closes the pool at the end of an `await using` block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Routes and opens the cursor on the first `next()`, holds the connection until the loop ends, then gives it back. */
class PoolIterator<R> implements AsyncIterableIterator<R>, AsyncDisposable {
  readonly #core: PoolCore;
  readonly #open: () => Promise<{ lease: Lease; inner: AsyncIterableIterator<R> & AsyncDisposable }>;
  #state: Promise<{ lease: Lease; inner: AsyncIterableIterator<R> & AsyncDisposable }> | undefined;
  #done = false;
  #released = false;

  constructor(core: PoolCore, open: () => Promise<{ lease: Lease; inner: AsyncIterableIterator<R> & AsyncDisposable }>) {
    this.#core = core;
    this.#open = open;
  }

  async next(): Promise<IteratorResult<R, undefined>> {
    if (this.#done) return { done: true, value: undefined };
    this.#state ??= this.#open();
    let state: { lease: Lease; inner: AsyncIterableIterator<R> };
    try {
      state = await this.#state;
    } catch (err) {
      this.#done = true;
      throw err;
    }
    try {
      const result = await state.inner.next();
      if (result.done === true) this.#finish(state.lease, undefined);
      return result as IteratorResult<R, undefined>;
    } catch (err) {
      this.#finish(state.lease, err ?? new Error('undefined was thrown'));
      throw err;
    }
  }

  async return(): Promise<IteratorReturnResult<undefined>> {
    this.#done = true;
    if (this.#state !== undefined) {
      const state = await this.#state.catch(() => undefined);
      if (state !== undefined) {
        let error: unknown;
        try {
          await state.inner.return?.();
        } catch (err) {
          error = err;
        }
        this.#finish(state.lease, error);
      }
    }
    return { done: true, value: undefined };
  }

  #finish(lease: Lease, error: unknown): void {
    this.#done = true;
    if (this.#released) return;
    this.#released = true;
    this.#core.holdCursor(lease, false);
    this.#core.release(lease, error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }
}
