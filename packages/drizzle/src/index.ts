/**
 * @rapsqlite/drizzle: a Drizzle ORM driver for rapsqlite. A native asynchronous session: queries run in worker
 * threads (the event loop never waits for SQLite), a pool's readers serve reads in parallel, and transactions hold
 * their connection so no other caller's statement lands inside them.
 */
export { drizzle, RapsqliteDatabase } from './driver.ts';
export type { RapsqliteClient, RapsqliteDrizzleConfig } from './driver.ts';
export { RapsqlitePreparedQuery, RapsqliteSession, RapsqliteTransaction } from './session.ts';
export type { RapsqliteSessionOptions } from './session.ts';
export { migrate } from './migrator.ts';
export type { AppliedMigration } from './migrator.ts';
export { DrizzleErrorCodes, iterate } from './iterate.ts';
export type { IterateQueryOptions, PreparableQuery } from './iterate.ts';
export { int64 } from './int64.ts';
