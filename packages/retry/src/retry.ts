import { ErrorCodes, RapsqliteError, type Execute, type Middleware, type Operation } from '@rapsqlite/engine';
import { ATTRIBUTES } from '@rapsqlite/engine/plugin';
import { backoffDelay } from './backoff.ts';
import { resolveRetryOptions, type ResolvedRetryOptions, type RetryOptions } from './retry-options.ts';
import { isOutcomeUnknown, isRetryableError } from './retryable.ts';

/**
 * The attribute in which the plugin records, on the operation, the number of the attempt in progress (1 for the
 * first). Middleware placed after `retry()` see it change on each attempt; those placed before see the final count
 * once `next` settles.
 */
export const RETRY_ATTEMPTS_ATTRIBUTE = ATTRIBUTES.retryAttempts;

/** Whether an operation may be run again as a whole. */
function retriable(op: Operation, options: ResolvedRetryOptions): boolean {
  // Inside a transaction a statement's error must reach the transaction, which is retried whole from BEGIN: retrying
  // the statement alone could run it on a snapshot the rest of the transaction did not read.
  if (op.transaction !== undefined) return false;
  switch (op.kind) {
    case 'transaction':
      return op.depth === 0;
    case 'exec':
      return options.retryExec;
    case 'run':
    case 'runMany':
    case 'get':
    case 'all':
    case 'values':
    case 'iterate':
    case 'prepare':
      return true;
    default:
      return false;
  }
}

/** Attaches the attempt count to the error the caller gets, when the error object allows it. */
function withAttempts(error: unknown, attempts: number): unknown {
  if (typeof error === 'object' && error !== null && Object.isExtensible(error)) {
    Object.defineProperty(error, 'attempts', { value: attempts, enumerable: true, configurable: true, writable: true });
  }
  return error;
}

function abortError(op: Operation, signal: AbortSignal, attempts: number): RapsqliteError {
  const err = new RapsqliteError(ErrorCodes.ABORTED, 'The call was cancelled while waiting to retry', { sql: op.sql, cause: signal.reason });
  return withAttempts(err, attempts) as RapsqliteError;
}

/** Waits `ms`, or until `signal` aborts (resolving false). */
function wait(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted === true) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function combine(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return AbortSignal.any([a, b]);
}

async function attempt(op: Operation, next: Execute, options: ResolvedRetryOptions): Promise<unknown> {
  const start = performance.now();
  const signal = combine(options.signal, op.options.signal);
  for (let attempts = 1; ; attempts++) {
    op.attributes[RETRY_ATTEMPTS_ATTRIBUTE] = attempts;
    let error: unknown;
    try {
      return await next(op);
    } catch (err) {
      error = err;
    }
    // Whatever shouldRetry says: a write that may have committed must not run twice.
    if (isOutcomeUnknown(error)) throw attempts > 1 ? withAttempts(error, attempts) : error;
    const elapsedMs = performance.now() - start;
    const retryable = isRetryableError(error);
    const wanted = options.shouldRetry === undefined ? retryable : options.shouldRetry(error, { op, attempt: attempts, elapsedMs, retryable }) === true;
    if (!wanted) throw attempts > 1 ? withAttempts(error, attempts) : error;
    const remaining = options.maxRetryTimeMs - elapsedMs;
    if (attempts > options.maxRetries || remaining <= 0) throw withAttempts(error, attempts);
    if (signal?.aborted === true) throw abortError(op, signal, attempts);
    const delayMs = Math.min(backoffDelay(attempts - 1, options.baseDelayMs, options.maxDelayMs, options.random), remaining);
    if (options.onRetry !== undefined) {
      try {
        options.onRetry({ op, error, attempt: attempts, delayMs, elapsedMs });
      } catch (err) {
        // An observer's bug must not change the query's outcome; it is reported and the retry goes on.
        process.emitWarning(`rapsqlite retry: onRetry threw: ${err instanceof Error ? err.message : String(err)}`, 'RapsqliteRetryWarning');
      }
    }
    if (!(await wait(delayMs, signal))) throw abortError(op, signal as AbortSignal, attempts);
  }
}

/**
 * A middleware that retries operations that failed because another connection or process held the database lock
 * (`SQLITE_BUSY`, `SQLITE_BUSY_RECOVERY`, `SQLITE_BUSY_SNAPSHOT`, `SQLITE_BUSY_TIMEOUT`), with exponential backoff and
 * full jitter within a time budget.
 *
 * Outside a transaction it retries the statement. Inside one it never retries a single statement: the error reaches
 * the transaction, and the whole outermost transaction is run again from BEGIN, callback included — so a callback
 * must be safe to run more than once (no side effects outside the database, or idempotent ones). An operation whose
 * outcome is unknown (`ERR_RAPSQLITE_OUTCOME_UNKNOWN`) is never retried. When it gives up, the last error is thrown
 * with an `attempts` property. The attempt in progress is in `op.attributes['rapsqlite.retry.attempts']`.
 *
 * Register it before (outside) tracing and metrics middleware to have them see each attempt, or after to see one
 * operation per call.
 *
 * @example
 * ```ts
 * import { open } from '@rapsqlite/engine';
 * import { retry } from '@rapsqlite/retry';
 *
 * const db = await open('shared.db', { busyTimeoutMs: 1000, middleware: [retry({ maxRetryTimeMs: 10_000 })] });
 * await db.transaction(async (tx) => {
 *   const { n } = (await tx.get<{ n: number }>('SELECT n FROM counter'))!;
 *   await tx.run('UPDATE counter SET n = ?', [n + 1]);
 * });
 * ```
 */
export function retry(options?: RetryOptions): Middleware {
  const resolved = resolveRetryOptions(options);
  return {
    name: resolved.name,
    wrap: (next) => (op) => (retriable(op, resolved) ? attempt(op, next, resolved) : next(op)),
  };
}
