/**
 * Pagination cursor tokens: a position in a keyset (the key values of one row), opaque, URL-safe (base64url) and
 * tamper-evident (an HMAC-SHA256 tag). A token also carries a fingerprint of its query and ordering, so a token from
 * one listing is refused by another.
 *
 * Format: `<body>.<tag>`, both base64url without padding. `body` is the JSON `[1, fingerprint, values]`, each value
 * tagged with its SQLite type (`n:` REAL or integer number, `i:` integer as bigint, `s:` text, `x:` blob as hex) so
 * it binds back exactly as it was read. `tag` is the first 16 bytes of HMAC-SHA256(secret, body). Without a secret
 * the tag is keyed with a fixed, public key: it then detects damaged and hand-edited tokens but not a forger who read
 * this; give a `secret` to make forgery infeasible.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { RapsqliteError } from '../errors/rapsqlite-error.ts';
import type { SqlValue } from '../types.ts';
import { QueryToolsErrorCodes } from './codes2.ts';

/** Why a token was refused, in the error's `reason`. */
export type CursorProblem = 'malformed' | 'signature' | 'query';

const PUBLIC_KEY = Buffer.from('rapsqlite paginate cursor v1');
const MAX_TOKEN = 8192;
const TAG_BYTES = 16;

function cursorError(reason: CursorProblem, message: string): RapsqliteError {
  const error = new RapsqliteError(QueryToolsErrorCodes.PAGINATION_CURSOR, message);
  Object.defineProperty(error, 'reason', { value: reason, enumerable: true });
  return error;
}

/** The key bytes of a `secret` option (text as UTF-8), or the public key when there is none. */
export function cursorKey(secret: string | Uint8Array | undefined): Buffer {
  if (secret === undefined) return PUBLIC_KEY;
  if (typeof secret === 'string' && secret !== '') return Buffer.from(secret, 'utf8');
  if (secret instanceof Uint8Array && secret.byteLength > 0) return Buffer.from(secret);
  throw new RapsqliteError('ERR_RAPSQLITE_INVALID_ARGUMENT', 'Option secret must be a non-empty string or Uint8Array');
}

/** A short, stable fingerprint of what a token belongs to (the query text and its ordering). */
export function cursorFingerprint(parts: readonly string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\u0000');
  return hash.digest().subarray(0, 12).toString('base64url');
}

function tag(key: Buffer, body: string): Buffer {
  return createHmac('sha256', key).update(body).digest().subarray(0, TAG_BYTES);
}

function encodeValue(value: SqlValue): string {
  switch (typeof value) {
    case 'number':
      return `n:${value}`;
    case 'bigint':
      return `i:${value}`;
    case 'string':
      return `s:${value}`;
    default:
      if (value instanceof Uint8Array) return `x:${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
      throw new TypeError('A cursor key value must not be NULL');
  }
}

function decodeValue(text: unknown): SqlValue {
  if (typeof text !== 'string' || text[1] !== ':') throw cursorError('malformed', 'The cursor token is malformed');
  const rest = text.slice(2);
  switch (text[0]) {
    case 'n': {
      const n = Number(rest);
      if (rest === '' || Number.isNaN(n)) throw cursorError('malformed', 'The cursor token is malformed');
      return n;
    }
    case 'i':
      if (!/^-?\d{1,19}$/.test(rest)) throw cursorError('malformed', 'The cursor token is malformed');
      return BigInt(rest);
    case 's':
      return rest;
    case 'x':
      if (rest.length % 2 !== 0 || !/^[0-9a-f]*$/.test(rest)) throw cursorError('malformed', 'The cursor token is malformed');
      return Buffer.from(rest, 'hex');
    default:
      throw cursorError('malformed', 'The cursor token is malformed');
  }
}

/** Makes the token of one position. */
export function encodeCursor(values: readonly SqlValue[], fingerprint: string, key: Buffer): string {
  const body = Buffer.from(JSON.stringify([1, fingerprint, values.map(encodeValue)])).toString('base64url');
  return `${body}.${tag(key, body).toString('base64url')}`;
}

/**
 * Reads a token back into its key values, or throws `ERR_RAPSQLITE_PAGINATION_CURSOR` with `reason`: `'malformed'`
 * (not a token, or the wrong number of keys), `'signature'` (the tag does not match: altered, or made with another
 * secret), `'query'` (made for another query or ordering).
 */
export function decodeCursor(token: unknown, fingerprint: string, key: Buffer, width: number): SqlValue[] {
  if (typeof token !== 'string' || token.length > MAX_TOKEN || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) {
    throw cursorError('malformed', 'The cursor token is malformed');
  }
  const [body = '', given = ''] = token.split('.');
  const expected = tag(key, body);
  const actual = Buffer.from(given, 'base64url');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw cursorError('signature', 'The cursor token was altered or made with another secret');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    throw cursorError('malformed', 'The cursor token is malformed');
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || parsed[0] !== 1 || typeof parsed[1] !== 'string' || !Array.isArray(parsed[2])) {
    throw cursorError('malformed', 'The cursor token is malformed');
  }
  if (parsed[1] !== fingerprint) throw cursorError('query', 'The cursor token belongs to another query or ordering');
  const values = (parsed[2] as unknown[]).map(decodeValue);
  if (values.length !== width) throw cursorError('malformed', 'The cursor token has the wrong number of keys');
  return values;
}
