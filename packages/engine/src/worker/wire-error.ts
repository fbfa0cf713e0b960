import { ErrorCodes } from '../errors/codes.ts';
import type { WireError } from './protocol.ts';
import { scrubMessage } from './scrub.ts';
import { isUserError } from './user-code.ts';

/** better-sqlite3's own TypeErrors and RangeErrors, by message, mapped to stable codes. */
const DRIVER_ERRORS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^Too (few|many) parameter values were provided/, ErrorCodes.PARAMETER_COUNT],
  [/^Missing named parameter/, ErrorCodes.PARAMETER_MISSING],
  [/can only bind numbers, strings, bigints, buffers, and null/, ErrorCodes.PARAMETER_TYPE],
  [/BigInt value is too large|bound string, buffer, or bigint is too big/, ErrorCodes.PARAMETER_TYPE],
  [/^You cannot specify named parameters in two different objects/, ErrorCodes.PARAMETER_TYPE],
  [/^Cannot open database/, 'SQLITE_CANTOPEN'],
  [/^Named parameters can only be passed within plain objects/, ErrorCodes.PARAMETER_TYPE],
  [/does not return data/, ErrorCodes.NOT_A_QUERY],
  [/contains no statements/, ErrorCodes.INVALID_ARGUMENT],
  [/more than one statement/, ErrorCodes.INVALID_ARGUMENT],
  [/connection is not open/, ErrorCodes.CLOSED],
];

function nameOf(code: string): string {
  return code.startsWith('SQLITE_') ? 'SqliteError' : 'RapsqliteError';
}

/**
 * An error as data for the caller's thread (errors do not survive `postMessage` with their class and properties),
 * its message scrubbed of the statement's bound values. Only what user code threw is `ERR_RAPSQLITE_USER_FUNCTION`;
 * an unexpected failure of the driver is `ERR_RAPSQLITE_INTERNAL`.
 */
export function toWire(err: unknown, sql = '', params?: unknown): WireError {
  const e = err as { code?: unknown; message?: unknown; name?: unknown; index?: unknown };
  const index = typeof e?.index === 'number' ? e.index : undefined;
  const bound = index !== undefined && Array.isArray(params) ? params[index] : params;
  const message = scrubMessage(typeof e?.message === 'string' ? e.message : String(err), sql, bound);
  const base = index === undefined ? {} : { index };
  if (isUserError(err)) return { ...base, code: ErrorCodes.USER_FUNCTION, message, name: typeof e.name === 'string' ? e.name : 'Error' };
  if (typeof e?.code === 'string') return { ...base, code: e.code, message, name: nameOf(e.code) };
  if (err instanceof TypeError || err instanceof RangeError) {
    for (const [pattern, code] of DRIVER_ERRORS) if (pattern.test(message)) return { ...base, code, message, name: nameOf(code) };
  }
  return { ...base, code: ErrorCodes.INTERNAL, message, name: 'RapsqliteError' };
}
