/**
 * The error codes of the toolbox (backup, dump and restore, schema, query plans, ATTACH, extensions, encryption).
 * They follow `ERR_RAPSQLITE_<AREA>_<WHAT>`, are documented in `docs/errors.md`, and are part of {@link ErrorCodes}.
 * SQLite's own failures keep SQLite's code.
 */
export const ToolboxErrorCodes = {
  /** The backup destination cannot be used: its folder does not exist, it is the source file itself, or a directory. */
  BACKUP_DESTINATION: 'ERR_RAPSQLITE_BACKUP_DESTINATION',
  /** A table, view or schema named in a toolbox call does not exist. */
  SCHEMA_NOT_FOUND: 'ERR_RAPSQLITE_SCHEMA_NOT_FOUND',
  /** `attach()` was given an alias that is already attached (or `main`/`temp`). */
  ATTACH_EXISTS: 'ERR_RAPSQLITE_ATTACH_EXISTS',
  /** SQL called `load_extension()`: extensions load only through the `extensions` option. */
  EXTENSION_DISABLED: 'ERR_RAPSQLITE_EXTENSION_DISABLED',
  /** An extension listed in the `extensions` option could not be loaded. */
  EXTENSION_LOAD: 'ERR_RAPSQLITE_EXTENSION_LOAD',
  /** The encryption key (or cipher) does not open the database: the file is encrypted differently, or not a database. */
  ENCRYPTION_KEY: 'ERR_RAPSQLITE_ENCRYPTION_KEY',
  /** Encryption was asked for but `better-sqlite3-multiple-ciphers` is not installed (or cannot load). */
  ENCRYPTION_UNAVAILABLE: 'ERR_RAPSQLITE_ENCRYPTION_UNAVAILABLE',
  /** The bytes given to open a database are not an SQLite database image. */
  DESERIALIZE: 'ERR_RAPSQLITE_DESERIALIZE',
} as const;

/** The union of the toolbox's error codes. */
export type ToolboxErrorCode = (typeof ToolboxErrorCodes)[keyof typeof ToolboxErrorCodes];
