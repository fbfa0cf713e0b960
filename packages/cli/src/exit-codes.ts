import { hasErrorCode } from '@rapsqlite/engine';

/** The exit codes of `rapsqlite`, listed in `docs/cli.md`. */
export const EXIT_CODES = Object.freeze({
  /** Done. */
  OK: 0,
  /** The operation failed: an SQL error, a failed migration, a query that did not run. */
  FAILURE: 1,
  /** The command line is wrong: unknown command or option, a missing or bad argument. */
  USAGE: 2,
  /** A file or folder named on the command line does not exist (nothing was created). */
  NOT_FOUND: 3,
  /** The database stayed locked by another connection or process (busy timeout, migration lock timeout). */
  BUSY: 4,
  /** A check found problems: integrity or foreign-key errors, schema differences, drifted migrations, `diff --exit-code` with changes. */
  CHECK_FAILED: 5,
  /** The command refused to overwrite: a backup or dump destination that exists, a database to restore into that is not empty (`--force` allows it). */
  EXISTS: 6,
  /** Interrupted (Ctrl-C, SIGINT or SIGTERM); backup, dump, restore and bench stop cleanly and leave nothing behind. */
  INTERRUPTED: 130,
} as const);

/** One of {@link EXIT_CODES}. */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** An error that ends the command with a given exit code and message. */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  readonly code: string | undefined;

  constructor(exitCode: ExitCode, message: string, code?: string) {
    super(message);
    this.exitCode = exitCode;
    this.code = code;
  }
}

/** The exit code for an error a command threw. */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode;
  if (!hasErrorCode(error)) return EXIT_CODES.FAILURE;
  const code = error.code;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') || code === 'ERR_RAPSQLITE_MIGRATE_LOCK_TIMEOUT') return EXIT_CODES.BUSY;
  if (code === 'ERR_RAPSQLITE_MIGRATE_DRIFT') return EXIT_CODES.CHECK_FAILED;
  if (code === 'ERR_RAPSQLITE_INVALID_ARGUMENT' || code === 'ERR_RAPSQLITE_MIGRATE_UNKNOWN_TARGET') return EXIT_CODES.USAGE;
  if (code === 'SQLITE_CANTOPEN' || code === 'ENOENT') return EXIT_CODES.NOT_FOUND;
  return EXIT_CODES.FAILURE;
}
