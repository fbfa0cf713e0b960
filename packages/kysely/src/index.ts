/**
 * @rapsqlite/kysely: a Kysely dialect for rapsqlite. Queries run in worker threads (the event loop never waits for
 * SQLite), a pool's readers serve reads in parallel, and Kysely's transactions hold a connection safely.
 */
export { RapsqliteDialect } from './rapsqlite-dialect.ts';
export { RapsqliteDriver } from './rapsqlite-driver.ts';
export { RapsqliteConnection } from './rapsqlite-connection.ts';
export { RapsqliteAdapter } from './rapsqlite-adapter.ts';
export type { RapsqliteDialectOptions, RapsqliteHandle } from './rapsqlite-dialect-options.ts';
