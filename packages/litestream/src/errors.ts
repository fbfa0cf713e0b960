/** The codes of `@rapsqlite/litestream`'s errors; bad options are the engine's `ERR_RAPSQLITE_INVALID_ARGUMENT`. */
export const LitestreamErrorCodes = {
  /** The `litestream` binary was not found (install `@flydotio/litestream`, or pass `binary`). */
  BINARY_MISSING: 'ERR_RAPSQLITE_LITESTREAM_BINARY_MISSING',
  /** `litestream` exited with an error (its last error lines are in the message); see `cause` for the exit status. */
  FAILED: 'ERR_RAPSQLITE_LITESTREAM_FAILED',
  /** The replica holds no backup of the database (or none at or before the timestamp). */
  NO_BACKUP: 'ERR_RAPSQLITE_LITESTREAM_NO_BACKUP',
  /** `restore()` would overwrite an existing file: delete it (and its -wal and -shm) or restore elsewhere. */
  EXISTS: 'ERR_RAPSQLITE_LITESTREAM_EXISTS',
  /** The replica did not catch up within the time `caughtUp()` was given. */
  LAGGING: 'ERR_RAPSQLITE_LITESTREAM_LAGGING',
} as const;

/** One of {@link LitestreamErrorCodes}. */
export type LitestreamErrorCode = (typeof LitestreamErrorCodes)[keyof typeof LitestreamErrorCodes];
