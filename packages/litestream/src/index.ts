/**
 * @rapsqlite/litestream: managed Litestream replication for rapsqlite databases — `litestream replicate` beside a
 * pool, to a file or S3-compatible replica, with health and lag — and point-in-time `restore()`.
 */
export { replicate, Litestream } from './replication.ts';
export type { LitestreamEvents, LitestreamLag, LitestreamStats } from './replication.ts';
export { restore } from './restore.ts';
export type { FileReplica, LitestreamCommonOptions, LitestreamOptions, LitestreamReplica, RestoreOptions, S3Replica } from './options.ts';
export type { WalPosition } from './metrics.ts';
export { LitestreamErrorCodes } from './errors.ts';
export type { LitestreamErrorCode } from './errors.ts';
