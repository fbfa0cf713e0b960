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
import {
  checkCallOptions,
  ITERATE_OPTION_KEYS,
  QUERY_OPTION_KEYS,
  READ_OPTION_KEYS,
  RUN_OPTION_KEYS,
  TRANSACTION_OPTION_KEYS,
  VALUES_OPTION_KEYS,
} from './call-options.ts';
import type { Core } from './core.ts';
import type { BindParams } from '../toolbox/adapters.ts';
import { insert } from '../toolbox/conveniences.ts';
import { paginate, type Page } from '../toolbox/paginate.ts';
import { decodeRows, encodeCall, type ToolPaginateOptions } from '../toolbox/query-tools.ts';
import type { ShapedMethod, ToolQueryOptions, ToolRunOptions } from '../toolbox/query-types.ts';
import { resolveShape, type RowShapeOptions } from '../toolbox/row-shapes.ts';
import { isSqlQuery, type SqlQuery } from '../toolbox/sql-tag.ts';
import { toolsOf } from './tools.ts';
import { dump, type DumpOptions } from '../toolbox/dump.ts';
import type { ExplainOptions, QueryPlan } from '../toolbox/explain.ts';
import { SchemaInspector } from '../toolbox/schema.ts';
import { LazyIterator } from './lazy-iterator.ts';
import { beginTransaction } from './open-transaction.ts';
import type { OpenTransaction, QueryHandle, Queryable, Transaction } from './queryable.ts';

const NO_OPTIONS: QueryOptions = Object.freeze({});

const OPTION_KEYS: Partial<Record<OperationKind, ReadonlySet<string>>> = {
  run: RUN_OPTION_KEYS,
  runMany: RUN_OPTION_KEYS,
  values: VALUES_OPTION_KEYS,
  get: READ_OPTION_KEYS,
  all: READ_OPTION_KEYS,
  iterate: ITERATE_OPTION_KEYS,
  transaction: TRANSACTION_OPTION_KEYS,
};

function optionKeys(kind: OperationKind): ReadonlySet<string> {
  return OPTION_KEYS[kind] ?? QUERY_OPTION_KEYS;
}

/** A call's SQL, parameters and options: `(sql, params, options)`, or `(query, options)` for a query made by the `sql` tag. */
function callArgs(first: unknown, second: unknown, third: unknown): [sql: string, params: Params | undefined, options: QueryOptions | undefined] {
  if (isSqlQuery(first)) return [first.sql, first.params as Params, second as QueryOptions | undefined];
  return [first as string, second as Params | undefined, third as QueryOptions | undefined];
}


/**
 * The one implementation of {@link Queryable}: builds an operation per call and sends it down the handle's middleware
 * chain, whose end (the terminal) asks the connection provider for a connection.
 */
export abstract class QueryableBase implements QueryHandle {
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
  run(sql: string, params?: BindParams, options?: ToolRunOptions): Promise<RunResult>;
  run(query: SqlQuery, options?: ToolRunOptions): Promise<RunResult>;
  run(first: string | SqlQuery, second?: unknown, third?: unknown): Promise<RunResult> {
    const [sql, params, options] = callArgs(first, second, third);
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
  runMany(sql: string, paramsList: readonly BindParams[], options?: ToolRunOptions): Promise<RunManyResult> {
    if (!Array.isArray(paramsList)) return Promise.reject(invalidArgument('runMany takes an array of parameter sets'));
    const op: RunManyOperation = { ...this.#base('runMany', sql, options), paramsList: paramsList as readonly Params[] };
    return this.#call<'runMany'>(op);
  }

  /**
   * Runs a query and resolves with its first row, or undefined when it returns none. Options shape the row
   * (`rowMode`, `pluck`, `expand`, `map`) and convert its values (`converters`); see docs/queries.md.
   *
   * @example
   * ```ts
   * const user = await db.get<User>('SELECT * FROM users WHERE id = ?', [id]);
   * const name = await db.get('SELECT name FROM users WHERE id = ?', [id], { pluck: true });
   * ```
   */
  declare readonly get: ShapedMethod<'get'>;

  /** Runs a query and resolves with all its rows (shaped and converted as for `get`). Large results move in chunks. */
  declare readonly all: ShapedMethod<'all'>;

  /** Runs a query and resolves with its rows as arrays in column order, and the columns' metadata. */
  values<V extends unknown[] = unknown[]>(sql: string, params?: BindParams, options?: ToolQueryOptions): Promise<ValuesResult<V>>;
  values<V extends unknown[] = unknown[]>(query: SqlQuery, options?: ToolQueryOptions): Promise<ValuesResult<V>>;
  values<V extends unknown[] = unknown[]>(first: string | SqlQuery, second?: unknown, third?: unknown): Promise<ValuesResult<V>> {
    const [sql, params, options] = callArgs(first, second, third);
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
  declare readonly iterate: ShapedMethod<'iterate'>;

  static {
    // get, all and iterate are typed by their overloads (ShapedMethod), implemented once here on the prototype.
    const define = (name: string, value: (this: QueryableBase, first: unknown, second?: unknown, third?: unknown) => unknown): void => {
      Object.defineProperty(QueryableBase.prototype, name, { value, writable: true, configurable: true, enumerable: false });
    };
    define('get', function (first, second, third) {
      const [sql, params, options] = callArgs(first, second, third);
      return this.#call<'get'>(this.#op('get', sql, params, options));
    });
    define('all', function (first, second, third) {
      const [sql, params, options] = callArgs(first, second, third);
      return this.#call<'all'>(this.#op('all', sql, params, options));
    });
    define('iterate', function (first, second, third) {
      const [sql, params, options] = callArgs(first, second, third);
      const op = this.#op('iterate', sql, params, options as IterateOptions | undefined);
      return new LazyIterator<Row>(() => this.#call<'iterate'>(op) as Promise<AsyncIterableIterator<Row>>);
    });
  }

  /**
   * Runs an INSERT (or REPLACE) and resolves with the new row's rowid: a number, or a bigint beyond ±(2^53−1) or in
   * the `'bigint'` integer mode; undefined when the statement inserted nothing (`INSERT OR IGNORE`). An upsert with
   * `DO UPDATE` and any statement that is not an INSERT are refused (`ERR_RAPSQLITE_INVALID_ARGUMENT`).
   *
   * @example
   * ```ts
   * const id = await db.insert('INSERT INTO users (name) VALUES (?)', ['Ada']);
   * ```
   */
  insert(sql: string, params?: BindParams, options?: ToolRunOptions): Promise<number | bigint | undefined>;
  insert(query: SqlQuery, options?: ToolRunOptions): Promise<number | bigint | undefined>;
  insert(first: string | SqlQuery, second?: unknown, third?: unknown): Promise<number | bigint | undefined> {
    const [sql, params, options] = callArgs(first, second, third);
    return insert(this, sql, params, options);
  }

  /**
   * Runs a query and resolves with the first column of its first row (converted by `converters`), or undefined when
   * it returns no row (NULL is `null`). The statement is stepped once.
   *
   * @example
   * ```ts
   * const count = await db.scalar<number>('SELECT count(*) FROM users WHERE active = ?', [true]);
   * ```
   */
  scalar<T = unknown>(sql: string, params?: BindParams, options?: ToolQueryOptions): Promise<T | undefined>;
  scalar<T = unknown>(query: SqlQuery, options?: ToolQueryOptions): Promise<T | undefined>;
  scalar<T = unknown>(first: string | SqlQuery, second?: unknown, third?: unknown): Promise<T | undefined> {
    const [sql, params, options] = callArgs(first, second, third);
    if (options !== undefined) {
      try {
        checkCallOptions(options, VALUES_OPTION_KEYS, 'scalar');
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return this.#call<'get'>(this.#op('get', sql, params, { ...options, pluck: true } as QueryOptions)) as Promise<T | undefined>;
  }

  /**
   * Resolves true when the query returns at least one row. The statement is stepped once.
   *
   * @example
   * ```ts
   * if (await db.exists('SELECT 1 FROM users WHERE email = ?', [email])) return conflict();
   * ```
   */
  exists(sql: string, params?: BindParams, options?: ToolRunOptions): Promise<boolean>;
  exists(query: SqlQuery, options?: ToolRunOptions): Promise<boolean>;
  async exists(first: string | SqlQuery, second?: unknown, third?: unknown): Promise<boolean> {
    const [sql, params, options] = callArgs(first, second, third);
    checkCallOptions(options, RUN_OPTION_KEYS, 'exists');
    // No converters: only whether a row came back matters.
    return (await this.#call<'get'>(this.#op('get', sql, params, { ...options, converters: false, rowMode: 'object' } as QueryOptions))) !== undefined;
  }

  /**
   * One page of an ordered query by keyset, with cursor tokens instead of OFFSET: `orderBy` names result columns that
   * are together unique and NOT NULL; pass `next` as `after` (or `previous` as `before`) for the next page. Tokens
   * are opaque, URL-safe and tamper-evident (give a `secret` to make them unforgeable); a bad one is
   * `ERR_RAPSQLITE_PAGINATION_CURSOR`. Row shapes and converters apply to the page's rows. See docs/queries.md.
   *
   * @example
   * ```ts
   * const first = await db.paginate<Post>('SELECT * FROM posts WHERE author = ?', { params: [id], orderBy: ['created_at', 'id'], limit: 20 });
   * const second = await db.paginate<Post>('SELECT * FROM posts WHERE author = ?', { params: [id], orderBy: ['created_at', 'id'], limit: 20, after: first.next });
   * ```
   */
  async paginate<R = Row>(query: string | SqlQuery, options: ToolPaginateOptions): Promise<Page<R>> {
    if (typeof options !== 'object' || options === null) throw invalidArgument('paginate() needs options with orderBy');
    const { rowMode, pluck, expand, map, converters, adapters, params: given, ...pageOptions } = options;
    const shapeOptions = { rowMode, pluck, expand, map, converters } as RowShapeOptions & { readonly converters?: NonNullable<ToolQueryOptions['converters']> };
    const tools = toolsOf(this.core);
    // Checked before the query runs: a bad shape or converter option fails without reading anything.
    resolveShape(shapeOptions, tools.rowMode);
    checkCallOptions({ ...(converters === undefined ? {} : { converters }), ...(adapters === undefined ? {} : { adapters }) }, VALUES_OPTION_KEYS, 'paginate');
    const tagged = isSqlQuery(query);
    if (tagged && given !== undefined) throw invalidArgument('A query made by the sql tag carries its parameters: do not give params');
    if (!tagged && typeof query !== 'string') throw invalidArgument('paginate() takes SQL text or a query made by the sql tag');
    const text = tagged ? query.sql : query;
    const call = encodeCall(tools, text, tagged ? query.params : given, adapters === undefined ? undefined : { adapters });
    const integers = pageOptions.integers ?? this.core.settings.integers;
    // The page's queries read raw values (the keys go into the tokens as stored); the tools shape the rows after.
    const raw: Queryable = {
      values: (sql: string, params?: Params, opts?: QueryOptions) => this.values(sql, params, { ...opts, converters: false }),
    } as Queryable;
    return paginate<R>(raw, call.sql, { ...pageOptions, ...(call.params === undefined ? {} : { params: call.params as Params }) }, (columns, rows) =>
      decodeRows(tools, columns, rows.map((r) => r.slice()), shapeOptions, integers) as R[],
    );
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

