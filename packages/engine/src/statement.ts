import type { ColumnInfo, IterateOptions, Params, QueryOptions, Row, RunManyResult, RunResult, ValuesResult } from './types.ts';
import type { StatementInfo } from './worker/protocol.ts';

export type { StatementInfo };

/** What a statement runs on: any handle with the query methods (a database, a transaction, a pool). */
export interface StatementOwner {
  run(sql: string, params?: Params, options?: QueryOptions): Promise<RunResult>;
  runMany(sql: string, paramsList: readonly Params[], options?: QueryOptions): Promise<RunManyResult>;
  get<R = Row>(sql: string, params?: Params, options?: QueryOptions): Promise<R | undefined>;
  all<R = Row>(sql: string, params?: Params, options?: QueryOptions): Promise<R[]>;
  values<V extends unknown[] = unknown[]>(sql: string, params?: Params, options?: QueryOptions): Promise<ValuesResult<V>>;
  iterate<R = Row>(sql: string, params?: Params, options?: IterateOptions): AsyncIterableIterator<R> & AsyncDisposable;
}

/**
 * A prepared statement: SQL compiled once in the worker (and kept in its statement cache), run many times with
 * different parameters. Made by `db.prepare(sql)` or `tx.prepare(sql)`; it runs on the handle that prepared it.
 *
 * @example
 * ```ts
 * const byId = await db.prepare<User>('SELECT * FROM users WHERE id = ?');
 * const alice = await byId.get([1]);
 * ```
 */
export class Statement<R = Record<string, unknown>> {
  /** The SQL text. */
  readonly sql: string;
  /** True when the statement returns rows. */
  readonly reader: boolean;
  /** True when the statement cannot change the database. */
  readonly readonly: boolean;
  /** The result columns of a reader (empty otherwise). */
  readonly columns: readonly ColumnInfo[];
  readonly #owner: StatementOwner;

  /**
   * Binds SQL that was prepared (and described by `info`) to a handle that runs it. Applications use `prepare()`;
   * other handles implementing {@link Queryable} (a pool) use this to return statements of their own.
   */
  constructor(owner: StatementOwner, sql: string, info: StatementInfo) {
    this.#owner = owner;
    this.sql = sql;
    this.reader = info.reader;
    this.readonly = info.readonly;
    this.columns = Object.freeze(info.columns);
  }

  /** Runs the statement; see `Database.run`. */
  run(params?: Params, options?: QueryOptions): Promise<RunResult> {
    return this.#owner.run(this.sql, params, options);
  }

  /** Runs the statement once per parameter set in one transaction; see `Database.runMany`. */
  runMany(paramsList: readonly Params[], options?: QueryOptions): Promise<RunManyResult> {
    return this.#owner.runMany(this.sql, paramsList, options);
  }

  /** Resolves with the first row or undefined; see `Database.get`. */
  get(params?: Params, options?: QueryOptions): Promise<R | undefined> {
    return this.#owner.get<R>(this.sql, params, options);
  }

  /** Resolves with all rows; see `Database.all`. */
  all(params?: Params, options?: QueryOptions): Promise<R[]> {
    return this.#owner.all<R>(this.sql, params, options);
  }

  /** Resolves with array rows and column metadata; see `Database.values`. */
  values<V extends unknown[] = unknown[]>(params?: Params, options?: QueryOptions): Promise<ValuesResult<V>> {
    return this.#owner.values<V>(this.sql, params, options);
  }

  /** Streams the rows; see `Database.iterate`. */
  iterate(params?: Params, options?: IterateOptions): AsyncIterableIterator<R> & AsyncDisposable {
    return this.#owner.iterate<R>(this.sql, params, options);
  }
}
