import { ErrorCodes } from '../errors/codes.ts';
import { RapsqliteError } from '../errors/rapsqlite-error.ts';
import type { Params } from '../types.ts';

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value instanceof Date) return 'a Date (bind date.toISOString() or date.getTime())';
  if (typeof value === 'boolean') return 'a boolean (bind 1 or 0)';
  if (typeof value === 'object') return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
  return `a ${typeof value}`;
}

function isValue(value: unknown): boolean {
  switch (typeof value) {
    case 'number':
    case 'string':
    case 'bigint':
      return true;
    case 'object':
      return value === null || value instanceof Uint8Array;
    default:
      return false;
  }
}

function fail(label: string, value: unknown, sql: string): never {
  // The message names the parameter and its type, never its value: values may be secrets.
  throw new RapsqliteError(
    ErrorCodes.PARAMETER_TYPE,
    `Parameter ${label} is ${describe(value)}; SQLite binds null, number, bigint, string and Buffer/Uint8Array`,
    { sql },
  );
}

/**
 * Checks that every bound value is one SQLite can store, on the caller's thread so the error's stack points at
 * the call. Counts and names are checked against the statement in the worker.
 */
export function checkParams(params: unknown, sql: string): asserts params is Params | undefined {
  if (params === undefined || isValue(params)) return;
  if (Array.isArray(params)) {
    for (let i = 0; i < params.length; i++) if (!isValue(params[i])) fail(`${i + 1}`, params[i], sql);
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
    for (const key in record) if (!isValue(record[key])) fail(`"${key}"`, record[key], sql);
    return;
  }
  fail('1', params, sql);
}
