import * as orm from 'drizzle-orm';
import { entityKind, fillPlaceholders, NoopLogger, type Logger, type Query, type RelationalSchemaConfig, type TablesRelationalConfig } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { NoopCache, type Cache } from 'drizzle-orm/cache/core';
import type { WithCacheConfig } from 'drizzle-orm/cache/core/types';
import {
  SQLitePreparedQuery,
  SQLiteSession,
  SQLiteTransaction,
  type PreparedQueryConfig as PreparedQueryConfigBase,
  type SelectedFieldsOrdered,
  type SQLiteAsyncDialect,
  type SQLiteExecuteMethod,
  type SQLiteTransactionConfig,
} from 'drizzle-orm/sqlite-core';
import type { IntegerMode, IterateOptions, Params, QueryOptions, Queryable, RunResult } from '@rapsqlite/engine';

/** Drizzle's row mapper: exported by drizzle-orm at run time, though not in its declarations. */
const mapResultRow = (orm as unknown as { mapResultRow: (columns: SelectedFieldsOrdered, row: unknown[], joinsNotNullableMap?: Record<string, boolean>) => unknown }).mapResultRow;

type PreparedQueryConfig = Omit<PreparedQueryConfigBase, 'statement' | 'run'>;

/** Members of Drizzle's prepared query that its declarations leave out (marked internal there). */
interface PreparedQueryInternals {
  queryWithCache<R>(queryString: string, params: unknown[], query: () => Promise<R>): Promise<R>;
  joinsNotNullableMap?: Record<string, boolean>;
}
type ResultMapper = (rows: unknown[][], mapColumnValue?: (value: unknown) => unknown) => unknown;

/** Options a session passes to every query it runs. */
export interface RapsqliteSessionOptions {
  readonly logger?: Logger;
  readonly cache?: Cache;
  /** The integer mode of every call; undefined leaves the handle's own. */
  readonly integers?: IntegerMode;
}

let executeOn: (query: RapsqlitePreparedQuery, target: Queryable) => Promise<unknown>;

/**
 * One of Drizzle's prepared queries on rapsqlite. Selects with fields (and relational queries) run with `values()`
 * and are mapped by Drizzle from array rows, so columns with the same name in a join stay apart; raw `sql` queries
 * run with `all()`/`get()` and return objects; writes run with `run()` and resolve with `{ changes, lastInsertRowid }`.
 */
export class RapsqlitePreparedQuery<T extends PreparedQueryConfig = PreparedQueryConfig> extends SQLitePreparedQuery<{
  type: 'async';
  run: RunResult;
  all: T['all'];
  get: T['get'];
  values: T['values'];
  execute: T['execute'];
}> {
  static override readonly [entityKind]: string = 'RapsqlitePreparedQuery';

  readonly #client: Queryable;
  readonly #logger: Logger;
  readonly #options: QueryOptions;
  readonly #method: SQLiteExecuteMethod;
  readonly #isResponseInArrayMode: boolean;
  /** @internal */
  readonly fields: SelectedFieldsOrdered | undefined;
  /** @internal */
  readonly customResultMapper: ResultMapper | undefined;

  static {
    executeOn = (query, target) => query.#execute(target, undefined);
  }

  /** @internal Made by {@link RapsqliteSession.prepareQuery}. */
  constructor(
    client: Queryable,
    query: Query,
    logger: Logger,
    cache: Cache,
    options: QueryOptions,
    queryMetadata: { type: 'select' | 'update' | 'delete' | 'insert'; tables: string[] } | undefined,
    cacheConfig: WithCacheConfig | undefined,
    fields: SelectedFieldsOrdered | undefined,
    executeMethod: SQLiteExecuteMethod,
    isResponseInArrayMode: boolean,
    customResultMapper: ResultMapper | undefined,
  ) {
    super('async', executeMethod, query, cache, queryMetadata, cacheConfig);
    this.#client = client;
    this.#logger = logger;
    this.#options = options;
    this.#method = executeMethod;
    this.fields = fields;
    this.#isResponseInArrayMode = isResponseInArrayMode;
    this.customResultMapper = customResultMapper;
  }

  /** The handle this query runs on: the database or pool, or the transaction it was prepared in. */
  get client(): Queryable {
    return this.#client;
  }

  /** The per-call options (integer mode) this query's session gives every call. */
  get callOptions(): QueryOptions {
    return this.#options;
  }

  #cached<R>(sql: string, params: unknown[], run: () => Promise<R>): Promise<R> {
    return (this as unknown as PreparedQueryInternals).queryWithCache(sql, params, run);
  }

  get #joins(): Record<string, boolean> | undefined {
    return (this as unknown as PreparedQueryInternals).joinsNotNullableMap;
  }

  #params(placeholderValues: Record<string, unknown> | undefined): Params {
    const params = fillPlaceholders(this.query.params, placeholderValues ?? {}) as Params;
    this.#logger.logQuery(this.query.sql, params as unknown[]);
    return params;
  }

  /** Runs a statement for its effect; resolves with `{ changes, lastInsertRowid }`. */
  async run(placeholderValues?: Record<string, unknown>): Promise<RunResult> {
    const params = this.#params(placeholderValues);
    return this.#cached(this.query.sql, params as unknown[], () => this.#client.run(this.query.sql, params, this.#options));
  }

  /** Resolves with every row, mapped to the selected fields. */
  async all(placeholderValues?: Record<string, unknown>): Promise<T['all']> {
    return this.#all(this.#client, placeholderValues);
  }

  /** Resolves with the first row, mapped to the selected fields, or undefined. */
  async get(placeholderValues?: Record<string, unknown>): Promise<T['get']> {
    return this.#get(this.#client, placeholderValues);
  }

  /** Resolves with the rows as arrays, in column order. */
  async values(placeholderValues?: Record<string, unknown>): Promise<T['values']> {
    return this.#values(this.#client, placeholderValues) as Promise<T['values']>;
  }

  async #values(target: Queryable, placeholderValues: Record<string, unknown> | undefined): Promise<unknown[][]> {
    const params = this.#params(placeholderValues);
    return this.#cached(this.query.sql, params as unknown[], async () => (await target.values(this.query.sql, params, this.#options)).rows);
  }

  async #all(target: Queryable, placeholderValues: Record<string, unknown> | undefined): Promise<T['all']> {
    if (this.fields === undefined && this.customResultMapper === undefined) {
      const params = this.#params(placeholderValues);
      return this.#cached(this.query.sql, params as unknown[], () => target.all(this.query.sql, params, this.#options));
    }
    return this.mapAllResult(await this.#values(target, placeholderValues));
  }

  async #get(target: Queryable, placeholderValues: Record<string, unknown> | undefined): Promise<T['get']> {
    if (this.fields === undefined && this.customResultMapper === undefined) {
      const params = this.#params(placeholderValues);
      return this.#cached(this.query.sql, params as unknown[], () => target.get(this.query.sql, params, this.#options));
    }
    return this.mapGetResult(await this.#values(target, placeholderValues));
  }

  #execute(target: Queryable, placeholderValues: Record<string, unknown> | undefined): Promise<unknown> {
    if (this.#method === 'all') return this.#all(target, placeholderValues);
    if (this.#method === 'get') return this.#get(target, placeholderValues);
    const params = this.#params(placeholderValues);
    return target.run(this.query.sql, params, this.#options);
  }

  /** Maps array rows (or object rows of a raw query) the way Drizzle's other drivers do. */
  override mapAllResult(rows: unknown, _isFromBatch?: boolean): unknown {
    const list = rows as unknown[][];
    if (this.customResultMapper !== undefined) return this.customResultMapper(list);
    if (this.fields === undefined) return list;
    return list.map((row) => mapResultRow(this.fields!, row, this.#joins));
  }

  /** Maps the first row the way Drizzle's other drivers do. */
  override mapGetResult(rows: unknown, _isFromBatch?: boolean): unknown {
    const list = rows as unknown[][];
    if (this.customResultMapper !== undefined) return this.customResultMapper(list);
    const row = list[0];
    if (this.fields === undefined || row === undefined) return row;
    return mapResultRow(this.fields, row, this.#joins);
  }

  /** @internal */
  isResponseInArrayMode(): boolean {
    return this.#isResponseInArrayMode;
  }
}

/** Runs a prepared query on another handle (a batch's transaction), as its own execute method would. */
export function executePreparedOn(query: RapsqlitePreparedQuery, target: Queryable): Promise<unknown> {
  return executeOn(query, target);
}

/** Streams a prepared query's rows from its handle (see `iterate`). */
export function streamPrepared(query: RapsqlitePreparedQuery, options: IterateOptions): AsyncIterableIterator<Record<string, unknown>> & AsyncDisposable {
  const { sql, params } = query.getQuery();
  return query.client.iterate(sql, params as Params, { ...query.callOptions, ...options });
}

/**
 * Drizzle's session on rapsqlite: a native asynchronous session with connection affinity. Outside a transaction
 * its queries go to the database or pool (a pool routes reads to readers); `transaction()` runs Drizzle's callback
 * inside the engine's transaction, which holds the connection (a pool's writer), so no other caller's statement can
 * land inside it.
 */
export class RapsqliteSession<TFullSchema extends Record<string, unknown>, TSchema extends TablesRelationalConfig> extends SQLiteSession<
  'async',
  RunResult,
  TFullSchema,
  TSchema
> {
  static override readonly [entityKind]: string = 'RapsqliteSession';

  readonly #client: Queryable;
  readonly #dialect: SQLiteAsyncDialect;
  readonly #schema: RelationalSchemaConfig<TSchema> | undefined;
  readonly #options: RapsqliteSessionOptions;
  readonly #logger: Logger;
  readonly #cache: Cache;
  readonly #callOptions: QueryOptions;

  /** @internal Made by `drizzle()` and by transactions. */
  constructor(client: Queryable, dialect: SQLiteAsyncDialect, schema: RelationalSchemaConfig<TSchema> | undefined, options: RapsqliteSessionOptions) {
    super(dialect);
    this.#client = client;
    this.#dialect = dialect;
    this.#schema = schema;
    this.#options = options;
    this.#logger = options.logger ?? new NoopLogger();
    this.#cache = options.cache ?? new NoopCache();
    this.#callOptions = options.integers === undefined ? {} : Object.freeze({ integers: options.integers });
  }

  /** @internal */
  prepareQuery<T extends Omit<PreparedQueryConfig, 'run'>>(
    query: Query,
    fields: SelectedFieldsOrdered | undefined,
    executeMethod: SQLiteExecuteMethod,
    isResponseInArrayMode: boolean,
    customResultMapper?: ResultMapper,
    queryMetadata?: { type: 'select' | 'update' | 'delete' | 'insert'; tables: string[] },
    cacheConfig?: WithCacheConfig,
  ): RapsqlitePreparedQuery<T> {
    return new RapsqlitePreparedQuery<T>(
      this.#client,
      query,
      this.#logger,
      this.#cache,
      this.#callOptions,
      queryMetadata,
      cacheConfig,
      fields,
      executeMethod,
      isResponseInArrayMode,
      customResultMapper,
    );
  }

  /**
   * Runs the queries in order in one transaction (a savepoint inside a transaction): all apply or none, and no other
   * caller's statement runs between them.
   */
  async batch<T extends BatchItem<'sqlite'>[] | readonly BatchItem<'sqlite'>[]>(queries: T): Promise<unknown[]> {
    const prepared = queries.map((query) => (query as unknown as { _prepare(): RapsqlitePreparedQuery })._prepare());
    return this.#client.transaction(async (tx) => {
      const results: unknown[] = [];
      for (const query of prepared) results.push(await executePreparedOn(query, tx));
      return results;
    });
  }

  /**
   * Runs `transaction` in an engine transaction: `BEGIN IMMEDIATE` unless `behavior` says otherwise. Resolving commits,
   * throwing (or `tx.rollback()`) rolls back. On a pool it holds the writer.
   */
  override async transaction<T>(transaction: (tx: RapsqliteTransaction<TFullSchema, TSchema>) => T | Promise<T>, config?: SQLiteTransactionConfig): Promise<T> {
    const mode = config?.behavior;
    return this.#client.transaction(
      (tx) => {
        const session = new RapsqliteSession<TFullSchema, TSchema>(tx, this.#dialect, this.#schema, this.#options);
        return transaction(new RapsqliteTransaction<TFullSchema, TSchema>(this.#dialect, session, this.#schema));
      },
      mode === undefined ? undefined : { mode },
    );
  }

  /** @internal */
  extractRawAllValueFromBatchResult(result: unknown): unknown {
    return result;
  }

  /** @internal */
  extractRawGetValueFromBatchResult(result: unknown): unknown {
    return result;
  }

  /** @internal */
  extractRawValuesValueFromBatchResult(result: unknown): unknown {
    return result;
  }
}

/**
 * A Drizzle transaction on rapsqlite. `tx.transaction(fn)` nests as a SAVEPOINT (the engine's nested transaction):
 * a throw rolls back only the inner work.
 */
export class RapsqliteTransaction<TFullSchema extends Record<string, unknown>, TSchema extends TablesRelationalConfig> extends SQLiteTransaction<
  'async',
  RunResult,
  TFullSchema,
  TSchema
> {
  static override readonly [entityKind]: string = 'RapsqliteTransaction';

  readonly #session: RapsqliteSession<TFullSchema, TSchema>;

  /** @internal Made by {@link RapsqliteSession.transaction}. */
  constructor(dialect: SQLiteAsyncDialect, session: RapsqliteSession<TFullSchema, TSchema>, schema: RelationalSchemaConfig<TSchema> | undefined) {
    super('async', dialect, session, schema);
    this.#session = session;
  }

  /** Runs `transaction` in a savepoint of this transaction. */
  override async transaction<T>(transaction: (tx: RapsqliteTransaction<TFullSchema, TSchema>) => Promise<T>): Promise<T> {
    return this.#session.transaction(transaction);
  }
}
