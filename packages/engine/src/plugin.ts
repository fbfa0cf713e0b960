/**
 * @rapsqlite/engine/plugin: the kit for the authors of middleware plugins (observability, retries, mocks) and of
 * connection providers (a pool, a remote connection type). Applications use the package's root entry.
 */
export { compose } from './middleware/compose.ts';
export { observe } from './middleware/observe.ts';
export type { ObserveOptions, ObserverHooks, Outcome } from './middleware/observe.ts';
export { changedRows, createPluginReporter, returnedRows, SqlMemo, watchIterator } from './middleware/plugin-support.ts';
export type { PluginErrorContext, PluginErrorHandler, PluginReporter } from './middleware/plugin-support.ts';
export { CONTROL_KINDS, QUERY_KINDS, STATEMENT_KINDS, TRANSACTION_KINDS, WRITE_KINDS } from './middleware/kinds.ts';
export { createOperation } from './middleware/create-operation.ts';
export { ATTRIBUTES } from './middleware/attributes.ts';
export type { AttributeKey } from './middleware/attributes.ts';
export { SQLITE_TIME_ATTRIBUTE } from './handle/terminal.ts';
export { POOL_EVENTS } from './middleware/observable-pool.ts';
export type { ObservablePool, PoolEventName, PoolEventPayload, PoolGroupStats, PoolStatsSnapshot } from './middleware/observable-pool.ts';
export {
  abortedError,
  closedError,
  deadlockError,
  invalidArgument,
  timeoutError,
  transactionClosedError,
  unsupportedError,
} from './errors/catalogue.ts';
export { emitRapsqliteWarning, WARNING_CODES } from './errors/warnings.ts';
export type { WarningCode } from './errors/warnings.ts';
export { REQUEST_KINDS } from './connection/connection.ts';
export type {
  AcquireRequest,
  Connection,
  ConnectionLease,
  ConnectionProvider,
  ConnectionRequest,
  CursorChunk,
  FunctionRegistration,
  RequestKind,
  RequestResults,
  Ticket,
} from './connection/connection.ts';
export { openConnection } from './open.ts';
export { CHANNELS, publishPoolEvent } from './diagnostics/channels.ts';
export type { QueryMessage, TransactionMessage } from './diagnostics/channels.ts';
export { SingleConnectionProvider } from './connection/single-provider.ts';
export type { WorkerConnection } from './connection/worker-connection.ts';
export type { WorkerInspection } from './operations/inspect.ts';
export type { AttachSpec } from './worker/tools/attach.ts';
export type { KeySpec } from './worker/tools/encryption.ts';
export { resolveOptions } from './options.ts';
export { assertOneStatement, bindValues, statementPlan } from './sql/statement-plan.ts';
export type { StatementPlan } from './sql/statement-plan.ts';
export type { ResolvedOptions } from './options.ts';
export type { Core, HandleSettings } from './handle/core.ts';
export { currentLease } from './handle/transaction.ts';
