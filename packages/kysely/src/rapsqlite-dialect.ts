import { SqliteIntrospector, SqliteQueryCompiler, type DatabaseIntrospector, type Dialect, type DialectAdapter, type Driver, type Kysely, type QueryCompiler } from 'kysely';
import { RapsqliteAdapter } from './rapsqlite-adapter.ts';
import { RapsqliteDriver } from './rapsqlite-driver.ts';
import { checkDialectOptions, type RapsqliteDialectOptions } from './rapsqlite-dialect-options.ts';

/**
 * A Kysely dialect for rapsqlite: Kysely's own SQLite query compiler, adapter and introspector over a driver that
 * runs every query in rapsqlite's worker threads, so the event loop never waits for SQLite. Given a pool, reads
 * outside transactions run on its readers in parallel and transactions hold its writer.
 *
 * @example
 * ```ts
 * import { Kysely } from 'kysely';
 * import { createPool } from '@rapsqlite/pool';
 * import { RapsqliteDialect } from '@rapsqlite/kysely';
 *
 * const db = new Kysely<Database>({ dialect: new RapsqliteDialect({ database: await createPool('app.db') }) });
 * const user = await db.selectFrom('users').selectAll().where('id', '=', 1).executeTakeFirst();
 * await db.destroy(); // closes the pool
 * ```
 */
export class RapsqliteDialect implements Dialect {
  readonly #options: Readonly<RapsqliteDialectOptions>;

  /** Checks and freezes the options; bad ones throw `ERR_RAPSQLITE_INVALID_ARGUMENT`. */
  constructor(options: RapsqliteDialectOptions) {
    this.#options = checkDialectOptions(options);
  }

  /** The driver: one per Kysely instance, opening the handle on first use when given a function. */
  createDriver(): Driver {
    return new RapsqliteDriver(this.#options);
  }

  /** Kysely's own SQLite query compiler. */
  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }

  /** {@link RapsqliteAdapter}: Kysely's SQLite adapter with multiple connections and transactional DDL. */
  createAdapter(): DialectAdapter {
    return new RapsqliteAdapter();
  }

  /** Kysely's own SQLite introspector. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}
