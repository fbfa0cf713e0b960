import {type Operation} from '@rapsqlite/engine';
import { invalidArgument } from '@rapsqlite/engine/plugin';

/** What {@link RetryOptions.shouldRetry} is told about a failure. */
export interface RetryContext {
  /** The operation that failed: a statement outside a transaction, or a whole outermost transaction. */
  readonly op: Operation;
  /** The attempt that failed, from 1. */
  readonly attempt: number;
  /** Milliseconds since the first attempt started. */
  readonly elapsedMs: number;
  /** The default verdict: true for the `SQLITE_BUSY*` codes. */
  readonly retryable: boolean;
}

/** What {@link RetryOptions.onRetry} is told before each wait. */
export interface RetryEvent {
  /** The operation about to be retried. */
  readonly op: Operation;
  /** The error of the attempt that failed. */
  readonly error: unknown;
  /** The attempt that failed, from 1; the next attempt is `attempt + 1`. */
  readonly attempt: number;
  /** How long the plugin waits before the next attempt. */
  readonly delayMs: number;
  /** Milliseconds since the first attempt started. */
  readonly elapsedMs: number;
}

/** Options of {@link retry}. Every option is optional; the defaults suit SQLite's lock contention. */
export interface RetryOptions {
  /** The middleware's name. Default `'retry'`. */
  readonly name?: string;
  /** Retries at most this many times (attempts = retries + 1). Default: no limit but the time budget. */
  readonly maxRetries?: number;
  /** The backoff's base, in milliseconds: the first wait is random in [0, base]. Default 5. */
  readonly baseDelayMs?: number;
  /** The cap on one wait, in milliseconds. Default 200. */
  readonly maxDelayMs?: number;
  /**
   * The time budget, in milliseconds from the first attempt: no retry starts after it, and a wait is shortened so
   * as not to pass it. Default 5000.
   */
  readonly maxRetryTimeMs?: number;
  /**
   * Decides whether a failure is retried, given the default verdict in `context.retryable` (true for the
   * `SQLITE_BUSY*` codes). It cannot make the plugin retry `ERR_RAPSQLITE_OUTCOME_UNKNOWN` nor a statement inside a
   * transaction.
   */
  readonly shouldRetry?: (error: unknown, context: RetryContext) => boolean;
  /** Called before each wait (for logs or metrics). An exception it throws is reported as a warning and ignored. */
  readonly onRetry?: (event: RetryEvent) => void;
  /** Stops waiting and retrying: the call then fails with `ERR_RAPSQLITE_ABORTED`. The call's own signal does too. */
  readonly signal?: AbortSignal;
  /**
   * Also retry `exec` scripts outside a transaction. Default false: a script of several statements may have applied
   * its first statements before a later one got `SQLITE_BUSY`, and running it again would apply them twice. Put a
   * script in `db.transaction((tx) => tx.exec(script))` to have it retried whole.
   */
  readonly retryExec?: boolean;
  /** The random source of the jitter, in [0, 1). Default `Math.random`; tests may pin it. */
  readonly random?: () => number;
}

/** The options after defaults and checks. */
export interface ResolvedRetryOptions {
  readonly name: string;
  readonly maxRetries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxRetryTimeMs: number;
  readonly shouldRetry: RetryOptions['shouldRetry'];
  readonly onRetry: RetryOptions['onRetry'];
  readonly signal: AbortSignal | undefined;
  readonly retryExec: boolean;
  readonly random: () => number;
}

/** The defaults, from SQLite practice: milliseconds, not seconds. */
export const RETRY_DEFAULTS = Object.freeze({ baseDelayMs: 5, maxDelayMs: 200, maxRetryTimeMs: 5000, maxRetries: Number.POSITIVE_INFINITY });

function invalid(message: string): never {
  throw invalidArgument(message);
}

function nonNegative(name: string, value: unknown, fallback: number, integer: boolean): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) invalid(`Option ${name} must be a non-negative number`);
  if (integer && Number.isFinite(value) && !Number.isInteger(value)) invalid(`Option ${name} must be an integer or Infinity`);
  return value;
}

function optionalFunction<F>(name: string, value: unknown): F | undefined {
  if (value !== undefined && typeof value !== 'function') invalid(`Option ${name} must be a function`);
  return value as F | undefined;
}

const KNOWN = new Set(['name', 'maxRetries', 'baseDelayMs', 'maxDelayMs', 'maxRetryTimeMs', 'shouldRetry', 'onRetry', 'signal', 'retryExec', 'random']);

/** Checks options, applies defaults and freezes the result. */
export function resolveRetryOptions(options: RetryOptions | undefined): ResolvedRetryOptions {
  const o = options ?? {};
  if (typeof o !== 'object' || o === null) invalid('retry() options must be an object');
  for (const key of Object.keys(o)) if (!KNOWN.has(key)) invalid(`Unknown retry option "${key}"`);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) invalid('Option signal must be an AbortSignal');
  if (o.retryExec !== undefined && typeof o.retryExec !== 'boolean') invalid('Option retryExec must be a boolean');
  if (o.name !== undefined && (typeof o.name !== 'string' || o.name === '')) invalid('Option name must be a non-empty string');
  return Object.freeze({
    name: o.name ?? 'retry',
    maxRetries: nonNegative('maxRetries', o.maxRetries, RETRY_DEFAULTS.maxRetries, true),
    baseDelayMs: nonNegative('baseDelayMs', o.baseDelayMs, RETRY_DEFAULTS.baseDelayMs, false),
    maxDelayMs: nonNegative('maxDelayMs', o.maxDelayMs, RETRY_DEFAULTS.maxDelayMs, false),
    maxRetryTimeMs: nonNegative('maxRetryTimeMs', o.maxRetryTimeMs, RETRY_DEFAULTS.maxRetryTimeMs, false),
    shouldRetry: optionalFunction<RetryOptions['shouldRetry']>('shouldRetry', o.shouldRetry),
    onRetry: optionalFunction<RetryOptions['onRetry']>('onRetry', o.onRetry),
    signal: o.signal,
    retryExec: o.retryExec ?? false,
    random: optionalFunction<() => number>('random', o.random) ?? Math.random,
  });
}
