/**
 * @rapsqlite/libsql: rapsqlite's handle on libSQL — Turso, `sqld` or a local file — over `@libsql/client`, with
 * interactive transactions, batches, the middleware chain, and reads on an embedded replica.
 */
export { openLibsql, LibsqlDatabase } from './libsql-database.ts';
export type { LibsqlOptions, LibsqlReplicaOptions, LibsqlStats } from './libsql-database.ts';
export { LibsqlErrorCodes } from './errors.ts';
export type { LibsqlErrorCode } from './errors.ts';
