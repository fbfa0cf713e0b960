/**
 * @rapsqlite/engine: truly asynchronous SQLite for Node.js. better-sqlite3 runs in a worker thread behind a
 * promise API, with transactions that hold the connection, streaming, and a middleware chain.
 */
export { open } from './open.ts';
export { Database, SQLITE_TIME_ATTRIBUTE, Transaction } from './database.ts';
export type { FunctionSource, Queryable } from './database.ts';
export { Statement } from './statement.ts';
export type { StatementInfo } from './statement.ts';
export { RapsqliteError, hasErrorCode } from './errors/rapsqlite-error.ts';
export type { RapsqliteErrorOptions } from './errors/rapsqlite-error.ts';
export { ErrorCodes } from './errors/codes.ts';
export type { ErrorCode } from './errors/codes.ts';
export { compose } from './middleware/compose.ts';
export type { Execute, Middleware } from './middleware/middleware.ts';
export { OPERATION_KINDS } from './middleware/operation.ts';
export { changedRows, createPluginReporter, returnedRows, SqlMemo, watchIterator } from './middleware/plugin-support.ts';
export type { PluginErrorContext, PluginErrorHandler, PluginReporter } from './middleware/plugin-support.ts';
export { POOL_EVENTS } from './middleware/observable-pool.ts';
export type { ObservablePool, PoolEventName, PoolEventPayload, PoolGroupStats, PoolStatsSnapshot } from './middleware/observable-pool.ts';
export type {
  ConnectionInfo,
  ConnectionRole,
  ControlOperation,
  ExecOperation,
  IterateOperation,
  Operation,
  OperationKind,
  RunManyOperation,
  StatementOperation,
  TransactionInfo,
  TransactionOperation,
} from './middleware/operation.ts';
export { JOURNAL_MODES, SYNCHRONOUS_LEVELS } from './options.ts';
export { AUTHORIZER_ACTIONS } from './native/authorizer-rules.ts';
export type { AuthorizerAction, AuthorizerRules } from './native/authorizer-rules.ts';
export type { DatabaseOptions, InitConnection, InitSource, JournalMode, SynchronousLevel } from './options.ts';
export { fingerprintSql, hasLiterals, normalizeSql, sanitizeSql, sqlParameters, summarizeSql, SQL_TOKEN_KINDS, tokenizeSql } from './sql/index.ts';
export type { SqlParameters, SqlToken, SqlTokenKind } from './sql/index.ts';
export { INTEGER_MODES, TRANSACTION_MODES } from './types.ts';
export type {
  ColumnInfo,
  IntegerMode,
  IterateOptions,
  Params,
  QueryOptions,
  Row,
  RunManyResult,
  RunResult,
  SqlValue,
  TransactionMode,
  TransactionOptions,
  ValuesResult,
} from './types.ts';
