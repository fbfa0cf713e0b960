/**
 * @rapsqlite/fastify: a Fastify 5 plugin for rapsqlite — `fastify.sqlite`, per-route transactions, coded errors as
 * HTTP statuses on request, and closing with the server.
 */
export { rapsqlite } from './plugin.ts';
export type { FastifySqlite } from './plugin.ts';
export type { RapsqlitePluginOptions, SqliteHandle, SqliteRouteConfig, SqliteRouteTransactionOptions } from './options.ts';
export { DEFAULT_ERROR_STATUSES, errorStatus } from '@rapsqlite/http';
export type { ErrorStatusMap } from '@rapsqlite/http';
export { sqliteHealth } from './health.ts';
export type { SqliteHealth } from './health.ts';
export { FastifyErrorCodes } from './errors.ts';
export type { FastifyErrorCode } from './errors.ts';
