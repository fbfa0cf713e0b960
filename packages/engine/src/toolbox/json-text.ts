/**
 * JSON text that keeps 64-bit integers exact: bigints are written as integer literals, and integer literals beyond
 * ±(2^53−1) are read back as bigints (or refused) instead of being rounded by `JSON.parse`.
 */
import { ErrorCodes } from '../errors/codes.ts';
import { RapsqliteError } from '../errors/rapsqlite-error.ts';
import type { IntegerMode } from '../types.ts';

// `JSON.rawJSON` and the reviver's `context.source` (V8 11.4, so every Node rapsqlite supports) are not in the
// TypeScript lib this repository targets.
const rawJSON = (JSON as unknown as { rawJSON?: (text: string) => unknown }).rawJSON;
type Reviver = (this: unknown, key: string, value: unknown, context?: { source?: string }) => unknown;
const parseWith = JSON.parse as (text: string, reviver?: Reviver) => unknown;

/** True for `{…}` literals and `Object.create(null)`: the objects the JSON adapter accepts. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function replacer(this: unknown, key: string, value: unknown): unknown {
  // `value` is already the result of toJSON() (a Buffer's is { type, data }): look at the holder's own value.
  const raw = (this as Record<string, unknown>)[key];
  if (raw instanceof Uint8Array) throw new TypeError('Bytes (Buffer, Uint8Array) have no JSON form; encode them as text first');
  if (typeof value === 'bigint') {
    if (rawJSON === undefined) throw new TypeError('This runtime cannot write a bigint into JSON exactly');
    return rawJSON(value.toString());
  }
  return value;
}

/** `JSON.stringify` with bigints as exact integer literals; bytes are refused (JSON has no binary type). */
export function stringifyJson(value: unknown): string {
  const text = JSON.stringify(value, replacer);
  // A top-level undefined, function or symbol has no JSON text.
  if (typeof text !== 'string') throw new TypeError('The value has no JSON form');
  return text;
}

/** A JSON number literal is an integer when it has neither a fraction nor an exponent. */
function integerLiteral(source: string): boolean {
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c === 46 || c === 101 || c === 69) return false;
  }
  return true;
}

// Any integer beyond 2^53 has at least 16 digits: text without such a run parses exactly with plain JSON.parse.
const LONG_DIGITS = /\d{16}/;

/**
 * Parses JSON text. Integer literals follow the `integers` mode as SQLite integers do: `'number'` refuses one beyond
 * ±(2^53−1) with `ERR_RAPSQLITE_INTEGER_OVERFLOW` (never a rounded value), `'auto'` makes only those bigints, and
 * `'bigint'` makes every integer literal a bigint. Literals with a fraction or an exponent stay numbers.
 */
export function parseJson(text: string, integers: IntegerMode): unknown {
  if (integers !== 'bigint' && !LONG_DIGITS.test(text)) return JSON.parse(text) as unknown;
  return parseWith(text, function (_key, value, context) {
    if (typeof value !== 'number' || context?.source === undefined || !integerLiteral(context.source)) return value;
    if (integers === 'bigint') return BigInt(context.source);
    if (Number.isSafeInteger(value)) return value;
    if (integers === 'auto') return BigInt(context.source);
    throw new RapsqliteError(
      ErrorCodes.INTEGER_OVERFLOW,
      'A JSON integer lies beyond ±(2^53−1); read it with integers: \'auto\' or \'bigint\' to keep it exact',
    );
  });
}
