/**
 * @rapsqlite/dqlite: rapsqlite's handle on a dqlite cluster (Raft-replicated SQLite), over dqlite's wire protocol —
 * leader discovery, failover, pipelined connections and TLS — with the same query API, transactions, middleware and
 * coded errors as a local database.
 */
export { openDqlite, DqliteDatabase } from './dqlite-database.ts';
export type { DqliteConnectionStats, DqliteStats } from './dqlite-database.ts';
export { parseDqliteUrl } from './options.ts';
export type { DqliteOptions } from './options.ts';
export type { DqliteLeader, DqliteNode, LeaderChange } from './cluster/cluster.ts';
export type { DqliteNodeRole } from './protocol/constants.ts';
export { DqliteErrorCodes } from './errors.ts';
export type { DqliteErrorCode } from './errors.ts';
