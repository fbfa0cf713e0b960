/**
 * The toolbox's exports, by name: what `src/index.ts` re-exports once the toolbox is wired into the engine's handles
 * (`db.backup`, `db.dump`, `db.schema`, `db.explain`, `db.attach`…). Until then they are usable as functions over any
 * `Queryable`.
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
