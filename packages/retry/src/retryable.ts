/**
 * The SQLite codes retried by default: a lock or a recovery held by another connection, which a later attempt can
 * get past. `SQLITE_LOCKED` is not among them: it is a conflict inside one connection (or a shared cache) that
 * waiting does not resolve.
 */
export const RETRYABLE_CODES = ['SQLITE_BUSY', 'SQLITE_BUSY_RECOVERY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_BUSY_TIMEOUT'] as const;

/** One of {@link RETRYABLE_CODES}. */
export type RetryableCode = (typeof RETRYABLE_CODES)[number];

/** The code of a worker that died after a write or COMMIT was sent: the write may have happened, so it is never retried. */
export const OUTCOME_UNKNOWN = 'ERR_RAPSQLITE_OUTCOME_UNKNOWN';

const RETRYABLE: ReadonlySet<string> = new Set(RETRYABLE_CODES);

function codeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

/** True when `error` has one of the {@link RETRYABLE_CODES}; matched on `code`, so it works across package copies. */
export function isRetryableError(error: unknown): boolean {
  const code = codeOf(error);
  return typeof code === 'string' && RETRYABLE.has(code);
}

/** True when the error says a write's outcome is unknown. */
export function isOutcomeUnknown(error: unknown): boolean {
  return codeOf(error) === OUTCOME_UNKNOWN;
}
