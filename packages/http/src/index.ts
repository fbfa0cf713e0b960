/**
 * @rapsqlite/http: what rapsqlite's framework packages (Fastify, Express, Hono, NestJS) share — coded errors as HTTP
 * statuses, graceful shutdown of a server and its database, and the check that a value is a rapsqlite handle.
 */
export { DEFAULT_ERROR_STATUSES, errorStatus, resolveErrorStatuses } from './error-status.ts';
export type { ErrorStatusMap } from './error-status.ts';
export { gracefulShutdown } from './graceful-shutdown.ts';
export type { DrainableServer, GracefulShutdown, GracefulShutdownOptions } from './graceful-shutdown.ts';
export { isHandle } from './is-handle.ts';
