/**
 * @rapsqlite/hono: Hono 4 middleware for rapsqlite — `c.var.sqlite`, per-route transactions committed before the
 * response leaves the app, coded errors as HTTP statuses, and graceful shutdown on Node.
 */
export { HonoErrorCodes, sqlite, transaction } from './sqlite.ts';
export type { HonoErrorCode, SqliteEnv, SqliteHandle, TransactionMiddlewareOptions } from './sqlite.ts';
export { errorHandler } from './error-handler.ts';
export type { ErrorHandlerOptions } from './error-handler.ts';
export { gracefulShutdown } from '@rapsqlite/http';
export type { DrainableServer, GracefulShutdown, GracefulShutdownOptions } from '@rapsqlite/http';
export { DEFAULT_ERROR_STATUSES, errorStatus } from '@rapsqlite/http';
export type { ErrorStatusMap } from '@rapsqlite/http';
