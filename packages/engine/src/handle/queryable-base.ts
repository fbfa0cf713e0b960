import { invalidArgument } from '../errors/catalogue.ts';
import type { Execute } from '../middleware/middleware.ts';
import type {
  IterateOperation,
  OperationKind,
  OperationOf,
  OperationResults,
  RunManyOperation,
  StatementOperation,
  TransactionInfo,
  TransactionOperation,
} from '../middleware/operation.ts';
import { Statement } from '../statement.ts';
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
} from '../types.ts';
import { checkCallOptions, ITERATE_OPTION_KEYS, QUERY_OPTION_KEYS, TRANSACTION_OPTION_KEYS } from './call-options.ts';
import type { Core } from './core.ts';
import { dump, type DumpOptions } from '../toolbox/dump.ts';
import type { ExplainOptions, QueryPlan } from '../toolbox/explain.ts';
import { SchemaInspector } from '../toolbox/schema.ts';
import { LazyIterator } from './lazy-iterator.ts';
import { beginTransaction } from './open-transaction.ts';
import type { OpenTransaction, Queryable, Transaction } from './queryable.ts';

const NO_OPTIONS: QueryOptions = Object.freeze({});

function optionKeys(kind: OperationKind): ReadonlySet<string> {
  if (kind === 'iterate') return ITERATE_OPTION_KEYS;
  return kind === 'transaction' ? TRANSACTION_OPTION_KEYS : QUERY_OPTION_KEYS;
}

/**
 * The one implementation of {@link Queryable}: builds an operation per call and sends it down the handle's middleware
 * chain, whose end (the terminal) asks the connection provider for a connection.
 */
export abstract class QueryableBase implements Queryable {
  readonly #core: Core;
  readonly #transaction: TransactionInfo | undefined;

  /** @internal */
  protected constructor(core: Core, transaction: TransactionInfo | undefined) {
    this.#core = core;
    this.#transaction = transaction;
  }

  /** @internal What the handle and every handle made from it share. */
  protected get core(): Core {
    return this.#core;
  }

  /** The chain this handle's calls go down. */
  protected abstract chain(): Execute;

  #op<K extends StatementOperation['kind'] | 'iterate'>(kind: K, sql: string, params: Params | undefined, options: QueryOptions | undefined) {
    // One literal, so every call site builds objects of one shape.
    return {
      kind,
      sql,
      params,
      options: options ?? NO_OPTIONS,
      transaction: this.#transaction,
      connection: undefined,
      attributes: {},
    } as unknown as K extends 'iterate' ? IterateOperation : OperationOf<K>;
  }

  /** The fields every operation has, for the kinds that add their own (`exec`, `runMany`, `transaction`). */
  #base<K extends 'exec' | 'runMany' | 'transaction'>(kind: K, sql: string, options: QueryOptions | undefined) {
    return { kind, sql, options: options ?? NO_OPTIONS, transaction: this.#transaction, connection: undefined, attributes: {} };
  }

  #call<K extends OperationKind>(op: OperationOf<K>): Promise<OperationResults[K]> {
    if (typeof op.sql !== 'string') return Promise.reject(invalidArgument('SQL must be a string'));
    // SQLite reads UTF-8: a lone surrogate would become U+FFFD and a different statement would run.
    if (!op.sql.isWellFormed()) return Promise.reject(invalidArgument('The SQL text is not well-formed UTF-16 (it holds a lone surrogate)'));
    try {
      if (op.options !== NO_OPTIONS) checkCallOptions(op.options, optionKeys(op.kind), op.kind);
      return this.chain()(op);
    } catch (err) {
      // A middleware that throws synchronously still yields a rejected promise, never a throw from an async API.
      return Promise.reject(err);
    }
  }

  /**
   * Runs a script of one or more statements, separated by semicolons, without parameters (schema set-up,
   * migrations). Use {@link run} for a statement with parameters.
   */
  async exec(sql: string, options?: QueryOptions): Promise<void> {
    await this.#call<'exec'>(this.#base('exec', sql, options));
  }

  /** Runs a statement that changes data and reports how many rows changed and the last inserted rowid. */
  run(sql: string, params?: Params, options?: QueryOptions): Promise<RunResult> {
    return this.#call<'run'>(this.#op('run', sql, params, options));
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
    if (!Array.isArray(paramsList)) return Promise.reject(invalidArgument('runMany takes an array of parameter sets'));
    const op: RunManyOperation = { ...this.#base('runMany', sql, options), paramsList };
    return this.#call<'runMany'>(op);
  }

  /** Runs a query and resolves with its first row, or undefined when it returns none. */
  get<R = Row>(sql: string, params?: Params, options?: QueryOptions): Promise<R | undefined> {
    return this.#call<'get'>(this.#op('get', sql, params, options)) as Promise<R | undefined>;
  }

  /** Runs a query and resolves with all its rows. Large results move in chunks so no thread stalls on one message. */
  all<R = Row>(sql: string, params?: Params, options?: QueryOptions): Promise<R[]> {
    return this.#call<'all'>(this.#op('all', sql, params, options)) as Promise<R[]>;
  }

  /** Runs a query and resolves with its rows as arrays in column order, and the columns' metadata. */
  values<V extends unknown[] = unknown[]>(sql: string, params?: Params, options?: QueryOptions): Promise<ValuesResult<V>> {
    return this.#call<'values'>(this.#op('values', sql, params, options)) as Promise<ValuesResult<V>>;
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
    return new LazyIterator<R>(() => this.#call<'iterate'>(op) as Promise<AsyncIterableIterator<R>>);
  }

  /**
   * Prepares a statement once and returns a handle to run it many times. The SQL is compiled now (errors surface
   * here); the worker keeps the compiled statement in its cache.
   */
  async prepare<R = Row>(sql: string, options?: QueryOptions): Promise<Statement<R>> {
    const info = await this.#call<'prepare'>(this.#op('prepare', sql, undefined, options));
    this.#core.provider.learn?.(sql, info.readonly);
    return new Statement<R>(this, sql, info);
  }

  /**
   * Runs `callback` in a transaction that holds its connection: no other call runs inside it. Resolving commits;
   * throwing rolls back and rethrows. Inside, use the `tx` argument, whose `transaction()` nests as a SAVEPOINT.
   * The default mode is `'immediate'`, so a write transaction never fails with `SQLITE_BUSY_SNAPSHOT` half-way.
   * `{ readonly: true }` asks for a read-only transaction (`BEGIN DEFERRED`); a pool runs it on a reader, where it
   * sees one snapshot while the writer goes on committing.
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
    if (typeof callback !== 'function') return Promise.reject(invalidArgument('transaction() takes a callback'));
    const parent = this.#transaction;
    const readonly = options?.readonly === true;
    const mode = options?.mode ?? parent?.mode ?? (readonly ? 'deferred' : 'immediate');
    if (!TRANSACTION_MODES.includes(mode)) return Promise.reject(invalidArgument(`Unknown transaction mode "${String(mode)}"`));
    if (readonly && mode !== 'deferred') {
      return Promise.reject(invalidArgument("A read-only transaction begins with BEGIN DEFERRED: use mode 'deferred' or none"));
    }
    const depth = parent === undefined ? 0 : parent.depth + 1;
    const sql = depth === 0 ? `BEGIN ${mode.toUpperCase()}` : `SAVEPOINT rapsqlite_${depth}`;
    const op: TransactionOperation = {
      ...this.#base('transaction', sql, options),
      mode,
      depth,
      readonly,
      callback: callback as (tx: never) => Promise<unknown>,
    };
    return this.#call<'transaction'>(op) as Promise<T>;
  }

  /**
   * Streams the database as SQL text, in chunks, with flat memory: what the sqlite3 shell's `.dump` writes (schema in
   * dependency order, every value exact, views, triggers, indexes, FTS5 tables), from one snapshot. `restore()` (or
   * `exec`) rebuilds it. See docs/backup-and-dump.md.
   *
   * @example
   * ```ts
   * await pipeline(db.dump(), createWriteStream('app.sql'));
   * ```
   */
  dump(options?: DumpOptions): AsyncIterableIterator<string> & AsyncDisposable {
    return dump(this, options);
  }

  /** The schema, introspected: tables, columns, indexes, foreign keys, views, triggers, virtual tables, across attached schemas. */
  get schema(): SchemaInspector {
    return new SchemaInspector(this);
  }

  /**
   * The query plan of a statement as a tree, with findings (full scans, temporary b-trees, automatic indexes…) and
   * `CREATE INDEX` proposals verified against a schema-only in-memory copy. The statement itself never runs. See
   * docs/query-plans.md.
   */
  async explain(sql: string, params?: Params, options?: ExplainOptions): Promise<QueryPlan> {
    // Loaded on first use: it opens a schema-only copy with open(), which this module must not import at load.
    const { explain } = await import('../toolbox/explain.ts');
    return explain(this, sql, params, options);
  }

  /**
   * Begins a transaction that the caller ends with `commit()` or `rollback()` (inside a transaction: a savepoint).
   * It holds its connection as {@link transaction} does, with the same options; resolves once BEGIN has run.
   */
  begin(options?: TransactionOptions): Promise<OpenTransaction> {
    return beginTransaction(this, options);
  }
}

