import { ErrorCodes } from '../errors/codes.ts';
import { RapsqliteError } from '../errors/rapsqlite-error.ts';
import type { Params } from '../types.ts';

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value instanceof Date) return 'a Date (bind date.toISOString() or date.getTime())';
  if (typeof value === 'boolean') return 'a boolean (bind 1 or 0)';
  if (typeof value === 'function') return 'a function (rapsqlite returns promises; it takes no callbacks)';
  if (typeof value === 'object') return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
  return `a ${typeof value}`;
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/** Why `value` cannot be bound, or undefined when it can. */
function problem(value: unknown): string | undefined {
  switch (typeof value) {
    case 'number':
      return undefined;
    case 'string':
      // SQLite stores UTF-8: a lone surrogate would be replaced by U+FFFD without a word. Refused instead.
      return value.isWellFormed() ? undefined : 'a string that is not well-formed UTF-16 (it holds a lone surrogate)';
    case 'bigint':
      return value <= INT64_MAX && value >= INT64_MIN ? undefined : 'a bigint outside SQLite\'s 64-bit integer range';
    case 'object':
      return value === null || value instanceof Uint8Array ? undefined : describe(value);
    default:
      return describe(value);
  }
}

/** Whether `value` can be bound as it is: {@link problem} without building its message (called on every call). */
function bindable(value: unknown): boolean {
  switch (typeof value) {
    case 'number':
      return true;
    case 'string':
      return value.isWellFormed();
    case 'bigint':
      return value <= INT64_MAX && value >= INT64_MIN;
    case 'object':
      return value === null || value instanceof Uint8Array;
    default:
      return false;
  }
}

/**
 * Throws the error for a value that cannot be bound. The message names the parameter and its type, never its value
 * (values may be secrets); `parameter` holds its name or its 1-based position as a string.
 */
function fail(parameter: string, named: boolean, value: unknown, reason: string, sql: string): never {
  const code = typeof value === 'string' ? ErrorCodes.PARAMETER_ENCODING : ErrorCodes.PARAMETER_TYPE;
  const hint = typeof value === 'string' || typeof value === 'bigint' ? '' : '; SQLite binds null, number, bigint, string and Buffer/Uint8Array';
  const error = new RapsqliteError(code, `Parameter ${named ? `"${parameter}"` : parameter} is ${reason}${hint}`, { sql });
  Object.defineProperty(error, 'parameter', { value: parameter, enumerable: true });
  throw error;
}

function check(parameter: string, named: boolean, value: unknown, sql: string): void {
  const reason = problem(value);
  if (reason !== undefined) fail(parameter, named, value, reason, sql);
}

/**
 * True when `params` binds exactly as given: every value is one SQLite stores (the check {@link checkParams} makes,
 * without building an error). The common case, so a call with nothing to adapt, no `IN (?)` array and nothing to
 * refuse pays this one pass over its parameters and nothing else.
 */
export function bindsAsIs(params: unknown): boolean {
  if (params === undefined || bindable(params)) return true;
  if (Array.isArray(params)) {
    for (let i = 0; i < params.length; i++) if (!bindable(params[i])) return false;
    return true;
  }
  if (typeof params !== 'object' || params === null) return false;
  const proto = Object.getPrototypeOf(params) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  const record = params as Record<string, unknown>;
  for (const key in record) if (!bindable(record[key])) return false;
  return true;
}

/**
 * Checks that every bound value is one SQLite can store, on the caller's thread so the error's stack points at
 * the call. Counts and names are checked against the statement in the worker.
 */
export function checkParams(params: unknown, sql: string): asserts params is Params | undefined {
  if (params === undefined || bindable(params)) return;
  if (Array.isArray(params)) {
    for (let i = 0; i < params.length; i++) check(`${i + 1}`, false, params[i], sql);
    return;
  }
  if (typeof params === 'object' && params !== null) {
    const proto = Object.getPrototypeOf(params) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      throw new RapsqliteError(
        ErrorCodes.PARAMETER_TYPE,
        `Parameters must be an array, a plain object or a single value, not ${describe(params)}`,
        { sql },
      );
    }
    const record = params as Record<string, unknown>;
    for (const key in record) check(key, true, record[key], sql);
    return;
  }
  check('1', false, params, sql);
}
