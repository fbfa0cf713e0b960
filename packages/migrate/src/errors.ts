import { RapsqliteError } from '@rapsqlite/engine';

/**
 * The error codes of `@rapsqlite/migrate`. They follow `ERR_RAPSQLITE_<AREA>_<WHAT>` and are listed in
 * `docs/migrations.md`. SQLite's own failures inside a migration keep SQLite's code (`SQLITE_ERROR` for a syntax
 * error, `SQLITE_CONSTRAINT_*`), with the migration's name in `migration`.
 */
export const MigrateErrorCodes = {
  /** An applied migration's file changed since it was applied (its checksum differs), or the file is gone. */
  DRIFT: 'ERR_RAPSQLITE_MIGRATE_DRIFT',
  /** A file in the migrations folder cannot be read as a migration (bad name, two `-- up` sections, a module without `up`). */
  INVALID_FILE: 'ERR_RAPSQLITE_MIGRATE_INVALID_FILE',
  /** Two migrations share one version number, or one name. */
  DUPLICATE: 'ERR_RAPSQLITE_MIGRATE_DUPLICATE',
  /** A pending migration sorts before one already applied (for example after merging branches). */
  OUT_OF_ORDER: 'ERR_RAPSQLITE_MIGRATE_OUT_OF_ORDER',
  /** A migration to roll back has no `down` part. */
  NO_DOWN: 'ERR_RAPSQLITE_MIGRATE_NO_DOWN',
  /** `up({ to })` or `down({ to })` names a migration that does not exist or is on the wrong side. */
  UNKNOWN_TARGET: 'ERR_RAPSQLITE_MIGRATE_UNKNOWN_TARGET',
  /** A migration contains a statement SQLite cannot run inside a transaction, and does not say `-- rapsqlite: no-transaction`. */
  NEEDS_NO_TRANSACTION: 'ERR_RAPSQLITE_MIGRATE_NEEDS_NO_TRANSACTION',
  /** A migration that switched foreign keys off left rows violating a foreign key; it was rolled back. */
  FOREIGN_KEY_VIOLATION: 'ERR_RAPSQLITE_MIGRATE_FOREIGN_KEY_VIOLATION',
  /** Another process held the migration lock longer than `lockTimeoutMs`. */
  LOCK_TIMEOUT: 'ERR_RAPSQLITE_MIGRATE_LOCK_TIMEOUT',
  /** A migration module threw something without a code; the cause holds it. Nothing of the migration was kept. */
  FAILED: 'ERR_RAPSQLITE_MIGRATE_FAILED',
  /** A `no-transaction` migration failed part-way: the statements before the failing one stay applied. */
  PARTIAL: 'ERR_RAPSQLITE_MIGRATE_PARTIAL',
  /** A schema file or database given to `diff`/`check` cannot be read (missing, not SQL, not a database). */
  SCHEMA_SOURCE: 'ERR_RAPSQLITE_MIGRATE_SCHEMA_SOURCE',
} as const;

/** The union of {@link MigrateErrorCodes}. */
export type MigrateErrorCode = (typeof MigrateErrorCodes)[keyof typeof MigrateErrorCodes];

/** Extra fields a migrate error may carry. */
export interface MigrateErrorFields {
  readonly cause?: unknown;
  readonly sql?: string;
  /** The migration concerned. */
  readonly migration?: string;
}

/**
 * A {@link RapsqliteError} that names the migration concerned. A migration that fails on SQLite's side is reported
 * with SQLite's own code (`SQLITE_ERROR`, `SQLITE_CONSTRAINT_UNIQUE`…) and the driver's error as `cause`.
 */
export class MigrateError extends RapsqliteError {
  /** The name of the migration concerned, when there is one. */
  readonly migration: string | undefined;

  constructor(code: MigrateErrorCode | (string & {}), message: string, fields: MigrateErrorFields = {}) {
    super(code, message, { ...('cause' in fields ? { cause: fields.cause } : {}), sql: fields.sql });
    this.migration = fields.migration;
  }
}

/** An `ERR_RAPSQLITE_INVALID_ARGUMENT` error, for a bad option or argument. */
export function invalidArgument(message: string): RapsqliteError {
  return new RapsqliteError('ERR_RAPSQLITE_INVALID_ARGUMENT', message);
}
