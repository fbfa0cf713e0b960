/**
 * @rapsqlite/nestjs: a NestJS module for rapsqlite — `RapsqliteModule.forRoot`/`forRootAsync`, `@InjectDatabase`,
 * transactions over `AsyncLocalStorage` (`TransactionHost`, `@Transactional()`), coded errors as HTTP statuses, and
 * closing on application shutdown.
 */
export { RapsqliteModule } from './rapsqlite.module.ts';
export type { RapsqliteModuleAsyncOptions } from './rapsqlite.module.ts';
export type { RapsqliteConnectionOptions, RapsqliteModuleOptions, SqliteHandle, SqliteTransactionOptions } from './options.ts';
export { InjectDatabase, InjectTransactionHost, Transactional, TransactionInterceptor } from './transactional.ts';
export { TransactionHost } from './transaction-host.ts';
export { DEFAULT_CONNECTION, getDatabaseToken, getTransactionHostToken } from './tokens.ts';
export { RapsqliteExceptionFilter } from './exception-filter.ts';
export type { RapsqliteExceptionFilterOptions } from './exception-filter.ts';
export { DEFAULT_ERROR_STATUSES, errorStatus } from '@rapsqlite/http';
export type { ErrorStatusMap } from '@rapsqlite/http';
export { NestErrorCodes } from './errors.ts';
export type { NestErrorCode } from './errors.ts';
