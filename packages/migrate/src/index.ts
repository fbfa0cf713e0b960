/**
 * @rapsqlite/migrate: migrations for rapsqlite — SQL files and modules applied in order, each in one writer
 * transaction with its history row, drift detection, a lock for processes starting at once — plus schema diff and
 * validation.
 */
export { createMigrator, Migrator, MIGRATION_STATES } from './migrator.ts';
export type { DownOptions, MigrateResult, MigrationRun, MigrationState, MigrationStatus, RunOptions, UpOptions } from './migrator.ts';
export type { MigratorEvent, MigratorOptions } from './migrator-options.ts';
export { createMigration, MIGRATION_NUMBERING } from './create-migration.ts';
export type { CreatedMigration, CreateMigrationOptions, MigrationNumbering } from './create-migration.ts';
export { loadMigrations, MIGRATION_LAYOUTS } from './source/load-migrations.ts';
export type { MigrationLayout } from './source/load-migrations.ts';
export type { Migration, MigrationBody, MigrationContext, MigrationDefinition, MigrationDirection, MigrationFunction, MigrationModule } from './source/migration.ts';
export type { HistoryEntry } from './history.ts';
export type { LockHolder } from './lock.ts';
export { applyScript } from './execute.ts';
export type { ApplyScriptOptions } from './execute.ts';
export { splitStatements } from './sql/split-statements.ts';
export type { ScriptStatement } from './sql/split-statements.ts';
export { umzugStorage } from './adapters/umzug-storage.ts';
export type { UmzugStorageLike, UmzugStorageOptions } from './adapters/umzug-storage.ts';
export { MigrateError, MigrateErrorCodes } from './errors.ts';
export type { MigrateErrorCode, MigrateErrorFields } from './errors.ts';
export { readSchema, DEFAULT_IGNORED_TABLES } from './schema/snapshot.ts';
export type { ColumnSnapshot, ForeignKeySnapshot, IndexSnapshot, ReadSchemaOptions, SchemaObjectSnapshot, SchemaSnapshot, TableSnapshot } from './schema/snapshot.ts';
export { loadSchema } from './schema/schema-source.ts';
export type { SchemaSource } from './schema/schema-source.ts';
export { diff, diffSchemas, SCHEMA_CHANGE_KINDS } from './schema/diff.ts';
export type { DiffOptions, SchemaChange, SchemaChangeKind, SchemaDiff } from './schema/diff.ts';
export { check, compareSchemas, SCHEMA_DIFFERENCE_KINDS } from './schema/check.ts';
export type { CheckOptions, SchemaCheckResult, SchemaDifference, SchemaDifferenceKind } from './schema/check.ts';
