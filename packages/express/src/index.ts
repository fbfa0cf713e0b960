/**
 * @rapsqlite/express: Express 5 middleware for rapsqlite — `req.sqlite`, per-route transactions committed before the
 * response is written, coded errors as HTTP statuses, and graceful shutdown.
 */
export { sqlite } from './sqlite.ts';
export type { SqliteHandle } from './sqlite.ts';
export { transactional } from './transactional.ts';
export type { TransactionalOptions } from './transactional.ts';
export { errorHandler } from './error-handler.ts';
export type { ErrorHandlerOptions } from './error-handler.ts';
export { gracefulShutdown } from '@rapsqlite/http';
export type { GracefulShutdown, GracefulShutdownOptions } from '@rapsqlite/http';
export { DEFAULT_ERROR_STATUSES, errorStatus } from '@rapsqlite/http';
export type { ErrorStatusMap } from '@rapsqlite/http';
export { ExpressErrorCodes } from './errors.ts';
export type { ExpressErrorCode } from './errors.ts';
