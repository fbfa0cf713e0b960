/**
 * The toolbox's exports, by name: the building blocks behind the handles' `db.backup`, `db.dump`, `db.schema`,
 * `db.explain`, `db.attach` and the query tools; `src/index.ts` re-exports what applications use.
 */
export { ToolboxErrorCodes } from './codes.ts';
export type { ToolboxErrorCode } from './codes.ts';
export { dump } from './dump.ts';
export type { DumpOptions } from './dump.ts';
export { restore } from './restore.ts';
export type { RestoreOptions, RestoreResult, RestoreSource } from './restore.ts';
export { affinityOf, SchemaInspector } from './schema.ts';
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
} from './schema.ts';
export { explain, FINDING_KINDS, planText } from './explain.ts';
export type { ExplainOptions, Finding, FindingKind, IndexProposal, PlanNode, QueryPlan, Verification } from './explain.ts';
export { CIPHERS, resolveToolboxOptions } from './options.ts';
export type { AttachTarget, CipherName, EncryptionKey, ExtensionSource, ResolvedToolboxOptions, ToolboxOptions } from './options.ts';
export type { BackupProgress, BackupResult } from '../worker/tools/backup.ts';
// Part 2: value adapters and converters, array parameters, row shapes, pagination, conveniences, the sql tag.
export { QueryToolsErrorCodes } from './codes2.ts';
export type { QueryToolsErrorCode } from './codes2.ts';
export { adaptParams, DATE_FORMATS, isSqlValue, ParamAdapters, resolveAdapters } from './adapters.ts';
export type { AdapterOptions, BindParams, BindValue, DateFormat, ValueAdapter, ValuePlace } from './adapters.ts';
export { BUILTIN_CONVERTERS, compileConverters, compileObjectConverters, ConverterSet, decimalText, parseDateText, resolveConverters } from './converters.ts';
export type { BuiltinConverter, CellConverter, Converter, ConverterOptions, ConverterSpec, StoredValue } from './converters.ts';
export { parseJson, stringifyJson } from './json-text.ts';
export { expandArrayParams, expandArrayParamsMany } from './in-arrays.ts';
export type { ExpandedCall } from './in-arrays.ts';
export { resolveShape, ROW_MODES, rowBuilder, shapeRows, toMapper } from './row-shapes.ts';
export type { ExpandedRow, ResolvedShape, RowBuilder, RowMapper, RowMode, RowShapeOptions, Shape } from './row-shapes.ts';
export type {
  AnyShapeOptions,
  ArrayShape,
  DefaultRow,
  DefaultShape,
  ExpandShape,
  MapShape,
  MethodResults,
  NoMap,
  ObjectShape,
  PluckShape,
  ResultOf,
  ShapedMethod,
  ShapedMethodKind,
  ToolQueryOptions,
} from './query-types.ts';
export { isSqlQuery, sql, SqlIdentifier, SqlQuery } from './sql-tag.ts';
export type { SqlTag } from './sql-tag.ts';
export { cursorFingerprint, decodeCursor, encodeCursor } from './cursor-token.ts';
export type { CursorProblem } from './cursor-token.ts';
export { paginate } from './paginate.ts';
export type { Page, PageKey, PaginateOptions } from './paginate.ts';
export { exists, insert, scalar } from './conveniences.ts';
export {
  callAdapters,
  callConverters,
  decodeRows,
  encodeCall,
  encodeMany,
  resolveQueryTools,
  TOOL_CALL_OPTION_KEYS,
  withQueryTools,
} from './query-tools.ts';
export type { QueryTools, QueryToolsOptions, ToolPaginateOptions, ToolsHandle, WithQueryToolsOptions } from './query-tools.ts';
