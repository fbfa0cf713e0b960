/**
 * @rapsqlite/logger: SQL logging for rapsqlite to pino, console or any logger of pino's shape — statements,
 * transactions, slow statements, errors and retries, each at its own level, with parameters redacted by default.
 */
export { logger } from './logger.ts';
export { LOG_EVENTS, LOG_LEVELS } from './logger-options.ts';
export type { LogEvent, LoggerLike, LoggerOptions, LogLevel, LogMethod, ParamsRedactor, SqlTextMode } from './logger-options.ts';
