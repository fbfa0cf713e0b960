/**
 * @rapsqlite/knex: a Knex client for rapsqlite. Knex's SQLite dialect runs on worker threads, transactions and
 * savepoints hold the writer, reads on a pool run on readers in parallel, and `.stream()` streams in chunks.
 */
export { RapsqliteClient, rapsqliteConnection } from './rapsqlite-client.ts';
export type { RapsqliteConnectionConfig } from './rapsqlite-client.ts';
export { toNodeSqlite3Error } from './errors.ts';
