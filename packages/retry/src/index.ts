/**
 * @rapsqlite/retry: bounded, jittered retry of `SQLITE_BUSY*` for rapsqlite — whole transactions, never one statement
 * inside one.
 */
export { retry, RETRY_ATTEMPTS_ATTRIBUTE } from './retry.ts';
export type { RetryContext, RetryEvent, RetryOptions } from './retry-options.ts';
export { isRetryableError, RETRYABLE_CODES } from './retryable.ts';
export type { RetryableCode } from './retryable.ts';
