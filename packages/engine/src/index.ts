/**
 * @rapsqlite/engine: truly asynchronous SQLite for Node.js. better-sqlite3 runs in a worker thread behind a
 * promise API, with transactions that hold the connection, streaming, and a middleware chain.
 *
 * This entry holds what applications use. Plugin and connection-provider authors find their kit in
 * `@rapsqlite/engine/plugin`; the SQL text tools are in `@rapsqlite/engine/sql`.
 */
export { open } from './open.ts';
export { Database } from './handle/database.ts';
export type { BackupOptions, FunctionSource } from './handle/database.ts';
export { SqliteLimit } from './handle/connection-hooks.ts';
export type { ChangeEvent, ChangeListener, Unsubscribe } from './handle/connection-hooks.ts';
export { restore } from './toolbox/restore.ts';
export { FINDING_KINDS, planText } from './toolbox/explain.ts';
export { affinityOf, SchemaInspector } from './toolbox/schema.ts';
export { CIPHERS } from './toolbox/options.ts';
export { ToolboxErrorCodes } from './toolbox/codes.ts';
export type { ToolboxErrorCode } from './toolbox/codes.ts';
export type { DumpOptions } from './toolbox/dump.ts';
export type { RestoreOptions, RestoreResult, RestoreSource } from './toolbox/restore.ts';
export type {
  Affinity,
  ColumnDescription,
  ForeignKeyInfo,
  IndexColumn,
  IndexInfo,
  SchemaDescription,
  SchemaOptions,
  SchemaRef,
  TableDescription,
  TableInfo,
  TriggerInfo,
  ViewInfo,
  VirtualTableInfo,
} from './toolbox/schema.ts';
export type { ExplainOptions, Finding, FindingKind, IndexProposal, PlanNode, QueryPlan, Verification } from './toolbox/explain.ts';
export type { AttachTarget, CipherName, EncryptionKey, ExtensionSource, ToolboxOptions } from './toolbox/options.ts';
export type { BackupProgress, BackupResult } from './worker/tools/backup.ts';
export type { OpenTransaction, Queryable, QueryHandle, Transaction } from './handle/queryable.ts';
export { sql, isSqlQuery, SqlIdentifier, SqlQuery } from './toolbox/sql-tag.ts';
export type { SqlTag } from './toolbox/sql-tag.ts';
export { QueryToolsErrorCodes } from './toolbox/codes2.ts';
export type { QueryToolsErrorCode } from './toolbox/codes2.ts';
export { DATE_FORMATS } from './toolbox/adapters.ts';
export type { AdapterOptions, BindParams, BindValue, DateFormat, ValueAdapter } from './toolbox/adapters.ts';
export { BUILTIN_CONVERTERS } from './toolbox/converters.ts';
export type { BuiltinConverter, Converter, ConverterOptions, ConverterSpec, StoredValue } from './toolbox/converters.ts';
export { ROW_MODES } from './toolbox/row-shapes.ts';
export type { ExpandedRow, RowMapper, RowMode, RowShapeOptions } from './toolbox/row-shapes.ts';
export type { Page, PageKey, PaginateOptions } from './toolbox/paginate.ts';
export type { QueryToolsOptions, ToolPaginateOptions } from './toolbox/query-tools.ts';
export type {
  AnyShapeOptions,
  ArrayShape,
  DefaultShape,
  ExpandShape,
  MapShape,
  NoMap,
  ObjectShape,
  PluckShape,
  ShapedMethod,
  ShapedMethodKind,
  ToolIterateOptions,
  ToolQueryOptions,
  ToolRunOptions,
} from './toolbox/query-types.ts';
export { Statement } from './statement.ts';
export type { StatementInfo, StatementOwner } from './statement.ts';
export { RapsqliteError, hasErrorCode } from './errors/rapsqlite-error.ts';
export type { RapsqliteErrorOptions } from './errors/rapsqlite-error.ts';
export { ErrorCodes } from './errors/codes.ts';
export type { ErrorCode } from './errors/codes.ts';
export type { Execute, Middleware, Step } from './middleware/middleware.ts';
export { OPERATION_KINDS } from './middleware/operation.ts';
export type {
  ConnectionInfo,
  ConnectionRole,
  ControlKind,
  ControlOperation,
  ExecOperation,
  IterateOperation,
  Operation,
  OperationKind,
  OperationOf,
  OperationResult,
  OperationResults,
  RunManyOperation,
  StatementOperation,
  TransactionInfo,
  TransactionOperation,
} from './middleware/operation.ts';
export { JOURNAL_MODES, SYNCHRONOUS_LEVELS } from './options.ts';
export type { DatabaseOptions, InitConnection, InitSource, JournalMode, SynchronousLevel } from './options.ts';
export { AUTHORIZER_ACTIONS } from './native/authorizer-rules.ts';
export type { AuthorizerAction, AuthorizerRules } from './native/authorizer-rules.ts';
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
