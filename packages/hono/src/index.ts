/**
 * @rapsqlite/hono: Hono 4 middleware for rapsqlite — `c.var.sqlite`, per-route transactions committed before the
 * response leaves the app, coded errors as HTTP statuses, and graceful shutdown on Node.
 */
export { HonoErrorCodes, sqlite, transaction } from './sqlite.ts';
export type { HonoErrorCode, SqliteEnv, SqliteHandle, TransactionMiddlewareOptions } from './sqlite.ts';
export { errorHandler } from './error-handler.ts';
export type { ErrorHandlerOptions } from './error-handler.ts';
export { gracefulShutdown } from './graceful-shutdown.ts';
export type { DrainableServer, GracefulShutdown, GracefulShutdownOptions } from './graceful-shutdown.ts';
export { DEFAULT_ERROR_STATUSES, errorStatus } from './error-status.ts';
export type { ErrorStatusMap } from './error-status.ts';
