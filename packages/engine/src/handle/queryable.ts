import type { TransactionInfo } from '../middleware/operation.ts';
import type { Statement } from '../statement.ts';
import type { BindParams } from '../toolbox/adapters.ts';
import type { Page } from '../toolbox/paginate.ts';
import type { ToolPaginateOptions } from '../toolbox/query-tools.ts';
import type { ShapedMethod, ToolQueryOptions, ToolRunOptions } from '../toolbox/query-types.ts';
import type { SqlQuery } from '../toolbox/sql-tag.ts';
import type { IterateOptions, Params, QueryOptions, Row, RunManyResult, RunResult, TransactionOptions, ValuesResult } from '../types.ts';

/**
 * The query API shared by a {@link Database}, a {@link Transaction} and a pool: code and middleware written against
 * it work on any of them. Every method is asynchronous and takes an optional last argument of per-call
 * {@link QueryOptions}.
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

/**
 * The query API of the engine's handles (a {@link Database}, a {@link Transaction}, a pool): {@link Queryable} with the
 * query tools built in. Every query method also takes a query made by the `sql` tag in place of the SQL text and
 * parameters; parameters may hold values the adapters turn into SQLite values (`Date`, `boolean`, `URL`, JSON
 * objects when enabled, your own) and arrays for `IN (?)`; `get`, `all` and `iterate` take row shapes (`rowMode`,
 * `pluck`, `expand`, `map`) and converters, typed so that the result's type follows the options. See docs/queries.md
 * and docs/types.md.
 *
 * @example
 * ```ts
 * const ids = await db.all('SELECT id FROM users WHERE team IN (?)', [['red', 'blue']], { pluck: true }); // unknown[]
 * const users = await db.all(sql`SELECT * FROM users WHERE created_at > ${since}`, { map: User }); // User[]
 * const id = await db.insert('INSERT INTO users (name, joined) VALUES (?, ?)', ['Ada', new Date()]);
 * ```
 */
export interface QueryHandle extends Queryable {
  /** Runs a statement that changes data and reports how many rows changed and the last inserted rowid. */
  run(sql: string, params?: BindParams, options?: ToolRunOptions): Promise<RunResult>;
  run(query: SqlQuery, options?: ToolRunOptions): Promise<RunResult>;
  /** Runs one statement once per parameter set, in one round trip and one transaction. */
  runMany(sql: string, paramsList: readonly BindParams[], options?: ToolRunOptions): Promise<RunManyResult>;
  /** The first row, or undefined: shaped by `rowMode`/`pluck`/`expand`/`map`, values converted by `converters`. */
  readonly get: ShapedMethod<'get'>;
  /** Every row, shaped and converted as for `get`. */
  readonly all: ShapedMethod<'all'>;
  /** Streams the rows in chunks, shaped and converted as for `get`. */
  readonly iterate: ShapedMethod<'iterate'>;
  /** Rows as arrays in column order with the columns' metadata; `converters` apply to the cells. */
  values<V extends unknown[] = unknown[]>(sql: string, params?: BindParams, options?: ToolQueryOptions): Promise<ValuesResult<V>>;
  values<V extends unknown[] = unknown[]>(query: SqlQuery, options?: ToolQueryOptions): Promise<ValuesResult<V>>;
  /**
   * Runs an INSERT (or REPLACE) and resolves with the new row's rowid (a bigint beyond 2^53 or in the `'bigint'`
   * mode), or undefined when it inserted nothing. Upserts with `DO UPDATE` and other statements are refused.
   */
  insert(sql: string, params?: BindParams, options?: ToolRunOptions): Promise<number | bigint | undefined>;
  insert(query: SqlQuery, options?: ToolRunOptions): Promise<number | bigint | undefined>;
  /** The first column of the first row (converted), or undefined when there is no row. Steps the statement once. */
  scalar<T = unknown>(sql: string, params?: BindParams, options?: ToolQueryOptions): Promise<T | undefined>;
  scalar<T = unknown>(query: SqlQuery, options?: ToolQueryOptions): Promise<T | undefined>;
  /** Whether the query returns at least one row. Steps the statement once. */
  exists(sql: string, params?: BindParams, options?: ToolRunOptions): Promise<boolean>;
  exists(query: SqlQuery, options?: ToolRunOptions): Promise<boolean>;
  /**
   * One page of an ordered query by keyset (`orderBy`: unique, NOT NULL result columns), with opaque `next` and
   * `previous` tokens to pass as `after`/`before`. No OFFSET: every page costs one index range scan.
   */
  paginate<R = Row>(query: string | SqlQuery, options: ToolPaginateOptions): Promise<Page<R>>;
  transaction<T>(callback: (tx: Transaction) => Promise<T> | T, options?: TransactionOptions): Promise<T>;
}

/**
 * A transaction in progress, as its callback receives it: the same query methods as the database, bound to the
 * transaction's hold on its connection. It is valid only until its callback settles; calls after that fail with
 * `ERR_RAPSQLITE_TRANSACTION_CLOSED`. Its middleware is the handle's as of the transaction's start.
 */
export interface Transaction extends QueryHandle {
  /** This transaction's identity: id, depth (0 for the outermost, more for savepoints) and mode. */
  readonly info: TransactionInfo;
  /** True until the callback settles. */
  readonly active: boolean;
  /** Begins a savepoint that the caller ends with `commit()` or `rollback()`. */
  begin(options?: TransactionOptions): Promise<OpenTransaction>;
}

/**
 * A transaction begun with `begin()` and ended by {@link commit} or {@link rollback} rather than by a callback
 * returning: the shape ORMs and frameworks drive (a driver's begin/commit, a per-request transaction). It holds its
 * connection exactly as `transaction()` does — no other call runs inside it — until it is committed or rolled back,
 * or its `timeoutMs`/`signal` ends it. `begin()` on it opens a savepoint.
 *
 * @example
 * ```ts
 * const tx = await db.begin();
 * try {
 *   await tx.run('UPDATE accounts SET balance = balance - ? WHERE id = ?', [amount, from]);
 *   await tx.run('UPDATE accounts SET balance = balance + ? WHERE id = ?', [amount, to]);
 *   await tx.commit();
 * } catch (err) {
 *   await tx.rollback();
 *   throw err;
 * }
 * ```
 */
export interface OpenTransaction extends Transaction {
  /** Commits (or releases the savepoint). Rejects with the COMMIT's error, or the deadline's if it passed first. */
  commit(): Promise<void>;
  /** Rolls back. Idempotent, and safe after a failed `commit()` or an expired deadline. */
  rollback(): Promise<void>;
  /**
   * Runs `fn` in the transaction's async context, as its callback would: a call on the database from in there that
   * would wait for this transaction fails at once with `ERR_RAPSQLITE_TRANSACTION_DEADLOCK` instead of waiting.
   */
  within<R>(fn: () => R): R;
}
