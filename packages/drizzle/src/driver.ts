import { createTableRelationsHelpers, DefaultLogger, entityKind, extractTablesRelationalConfig, type DrizzleConfig, type Logger, type RelationalSchemaConfig, type TablesRelationalConfig } from 'drizzle-orm';
import type { BatchItem, BatchResponse } from 'drizzle-orm/batch';
import { BaseSQLiteDatabase, SQLiteAsyncDialect } from 'drizzle-orm/sqlite-core';
import {INTEGER_MODES, type IntegerMode, type Queryable, type RunResult} from '@rapsqlite/engine';
import { RapsqliteSession } from './session.ts';
import { invalidArgument } from '@rapsqlite/engine/plugin';

/** What `drizzle()` runs on: an engine `Database` (from `open`), a `Pool` (from `createPool`), or another handle with the shared query API. */
export type RapsqliteClient = Queryable & { close(): Promise<void> };

/** Options of {@link drizzle}: Drizzle's own (`schema`, `logger`, `casing`, `cache`) and the integer mode. */
export interface RapsqliteDrizzleConfig<TSchema extends Record<string, unknown> = Record<string, never>> extends DrizzleConfig<TSchema> {
  /**
   * The integer mode of every query. Default: the handle's own (`'number'` unless opened otherwise), under which an
   * integer past 2^53 fails with `ERR_RAPSQLITE_INTEGER_OVERFLOW` instead of being rounded. Use `'auto'` with
   * {@link int64} columns to read such integers as bigints.
   */
  readonly integers?: IntegerMode;
}

/**
 * A Drizzle database on rapsqlite: `BaseSQLiteDatabase<'async', RunResult>` with `batch()`. Every query runs in
 * rapsqlite's worker threads, so the event loop never waits for SQLite.
 */
export class RapsqliteDatabase<TSchema extends Record<string, unknown> = Record<string, never>> extends BaseSQLiteDatabase<'async', RunResult, TSchema> {
  static override readonly [entityKind]: string = 'RapsqliteDatabase';

  readonly #session: RapsqliteSession<TSchema, TablesRelationalConfig>;

  /** @internal Made by {@link drizzle}. */
  constructor(dialect: SQLiteAsyncDialect, session: RapsqliteSession<TSchema, TablesRelationalConfig>, schema: RelationalSchemaConfig<TablesRelationalConfig> | undefined) {
    super('async', dialect, session as never, schema as never);
    this.#session = session;
  }

  /**
   * Runs the queries in order in one transaction: all apply or none, with no other caller's statement in between.
   *
   * @example
   * ```ts
   * const [user, posts] = await db.batch([db.insert(users).values({ name: 'Ada' }).returning(), db.select().from(posts)]);
   * ```
   */
  async batch<U extends BatchItem<'sqlite'>, T extends Readonly<[U, ...U[]]>>(batch: T): Promise<BatchResponse<T>> {
    return (await this.#session.batch(batch)) as BatchResponse<T>;
  }
}

const KNOWN: ReadonlySet<string> = new Set(['schema', 'logger', 'casing', 'cache', 'integers']);

function invalid(message: string): never {
  throw invalidArgument(message);
}

/**
 * Creates a Drizzle database on a rapsqlite database or pool. With a pool, reads outside transactions run on its
 * readers in parallel and transactions hold its writer.
 *
 * @example
 * ```ts
 * import { createPool } from '@rapsqlite/pool';
 * import { drizzle } from '@rapsqlite/drizzle';
 * import * as schema from './schema.ts';
 *
 * const db = drizzle(await createPool('app.db'), { schema });
 * const users = await db.query.users.findMany({ with: { posts: true } });
 * ```
 */
export function drizzle<TSchema extends Record<string, unknown> = Record<string, never>>(
  client: RapsqliteClient,
  config: RapsqliteDrizzleConfig<TSchema> = {},
): RapsqliteDatabase<TSchema> & { $client: RapsqliteClient } {
  if (typeof client !== 'object' || client === null || typeof client.transaction !== 'function' || typeof client.values !== 'function') {
    invalid('drizzle() takes a rapsqlite Database or Pool');
  }
  if (typeof config !== 'object' || config === null) invalid('drizzle() takes an options object as its second argument');
  for (const key of Object.keys(config)) if (!KNOWN.has(key)) invalid(`Unknown option "${key}"`);
  const options = Object.freeze({ ...config });
  if (options.integers !== undefined && !INTEGER_MODES.includes(options.integers)) invalid(`Unknown integer mode "${String(options.integers)}"`);
  const dialect = new SQLiteAsyncDialect(options.casing === undefined ? {} : { casing: options.casing });
  let logger: Logger | undefined;
  if (options.logger === true) logger = new DefaultLogger();
  else if (options.logger !== false && options.logger !== undefined) logger = options.logger;
  let schema: RelationalSchemaConfig<TablesRelationalConfig> | undefined;
  if (options.schema !== undefined) {
    const tables = extractTablesRelationalConfig(options.schema, createTableRelationsHelpers);
    schema = { fullSchema: options.schema, schema: tables.tables, tableNamesMap: tables.tableNamesMap };
  }
  const session = new RapsqliteSession<TSchema, TablesRelationalConfig>(client, dialect, schema, {
    ...(logger === undefined ? {} : { logger }),
    ...(options.cache === undefined ? {} : { cache: options.cache }),
    ...(options.integers === undefined ? {} : { integers: options.integers }),
  });
  const db = new RapsqliteDatabase<TSchema>(dialect, session, schema) as RapsqliteDatabase<TSchema> & { $client: RapsqliteClient };
  db.$client = client;
  if (options.cache !== undefined) {
    // As Drizzle's own drivers do: `db.$cache.invalidate()` is the cache's onMutate.
    const cache = options.cache as typeof options.cache & { invalidate?: unknown };
    cache.invalidate = cache.onMutate;
    (db as unknown as { $cache: unknown }).$cache = cache;
  }
  return db;
}
