import { SqliteAdapter } from 'kysely';

/**
 * Kysely's SQLite adapter with two differences. `supportsMultipleConnections` is true: Kysely would otherwise make
 * every query wait for the one before it (its runtime driver holds a mutex for a dialect with one connection), which
 * rules out a pool's parallel readers and the engine's batching of concurrent calls. `supportsTransactionalDdl` is
 * true (SQLite runs DDL in transactions): the `Migrator` then runs all pending migrations in one `BEGIN IMMEDIATE`
 * transaction, and the write lock it takes is what makes the no-op migration lock safe (see the docs).
 */
export class RapsqliteAdapter extends SqliteAdapter {
  /** True: queries run concurrently (see the class comment). */
  override get supportsMultipleConnections(): boolean {
    return true;
  }

  /** True: migrations run in one write transaction. */
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}
