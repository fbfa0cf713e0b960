/**
 * Encryption inside the worker, through `better-sqlite3-multiple-ciphers` (SQLite3 Multiple Ciphers), an optional
 * peer that replaces better-sqlite3 for an encrypted database. The key is applied right after the connection opens,
 * before any other statement reads the file, and checked at once: a wrong key fails with a coded error, never with
 * garbage later.
 */
import { createRequire } from 'node:module';
import { ErrorCodes } from '../../errors/codes.ts';
import { ToolboxErrorCodes } from '../../toolbox/codes.ts';
import { CIPHERS, type CipherName } from '../../toolbox/options.ts';
import { codeOf, ToolError } from './tool-error.ts';

/** The package that provides encryption. */
export const CIPHER_DRIVER = 'better-sqlite3-multiple-ciphers';

/** A key, as the worker receives it: text, or raw bytes in hex. */
export interface KeySpec {
  readonly key: string;
  /** The key is raw bytes, hex-encoded (from a `Uint8Array` key). */
  readonly hex: boolean;
  /** The cipher scheme; SQLite3 Multiple Ciphers' default (`chacha20`) when absent. */
  readonly cipher?: CipherName;
}

/** The part of the driver that encryption uses, typed structurally. */
export interface CipherTarget {
  pragma(source: string, options?: { simple?: boolean }): unknown;
  prepare(sql: string): { get(...params: unknown[]): unknown };
}

/**
 * Loads `better-sqlite3-multiple-ciphers` (same API as better-sqlite3). Throws `ERR_RAPSQLITE_ENCRYPTION_UNAVAILABLE`
 * when it is not installed or cannot load.
 */
export function loadCipherDriver<T = unknown>(from: string = import.meta.url): T {
  try {
    return createRequire(from)(CIPHER_DRIVER) as T;
  } catch (err) {
    throw new ToolError(
      ToolboxErrorCodes.ENCRYPTION_UNAVAILABLE,
      `Encryption needs the optional package ${CIPHER_DRIVER}, which cannot be loaded: ${(err as Error).message}`,
      err,
    );
  }
}

function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function checkCipher(cipher: unknown): void {
  if (cipher !== undefined && !CIPHERS.includes(cipher as CipherName)) {
    throw new ToolError(ErrorCodes.INVALID_ARGUMENT, `Unknown cipher; use one of ${CIPHERS.join(', ')}`);
  }
}

/**
 * True when the connection runs SQLite3 Multiple Ciphers (plain better-sqlite3 silently ignores `PRAGMA key`). Asked
 * through `PRAGMA cipher`, which plain SQLite does not know and which reads nothing from the file: any statement that
 * reads the schema would fail before the key is set.
 */
export function hasCipherSupport(db: CipherTarget): boolean {
  const cipher = db.pragma('cipher', { simple: true });
  return typeof cipher === 'string' && cipher !== '';
}

/**
 * Applies `spec` to a connection that has just opened (before any other statement), then reads the schema to prove
 * the key: SQLite3 Multiple Ciphers reports a wrong key (or cipher) only when it first reads a page, as
 * `SQLITE_NOTADB`, which becomes `ERR_RAPSQLITE_ENCRYPTION_KEY` here. A new, empty file is created encrypted.
 */
export function applyKey(db: CipherTarget, spec: KeySpec): void {
  checkCipher(spec.cipher);
  if (!hasCipherSupport(db)) {
    throw new ToolError(ToolboxErrorCodes.ENCRYPTION_UNAVAILABLE, `This connection's driver cannot encrypt; it needs ${CIPHER_DRIVER}`);
  }
  if (spec.cipher !== undefined) db.pragma(`cipher = ${literal(spec.cipher)}`);
  // An empty key means a plain file on the encrypting driver (to be encrypted later by rekey).
  if (spec.key !== '') {
    try {
      db.pragma(`${spec.hex ? 'hexkey' : 'key'} = ${literal(spec.key)}`);
    } catch (err) {
      // SQLite3 Multiple Ciphers refuses keys for in-memory and temporary databases.
      throw new ToolError(ErrorCodes.INVALID_ARGUMENT, `Cannot set an encryption key here: ${(err as Error).message}`, err);
    }
  }
  try {
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
  } catch (err) {
    if (codeOf(err) === 'SQLITE_NOTADB' && spec.key !== '') {
      throw new ToolError(ToolboxErrorCodes.ENCRYPTION_KEY, 'The key (or cipher) does not open this database', err);
    }
    throw err;
  }
}

/**
 * Changes the key of the open database (or encrypts a plain one, or decrypts with an empty key), rewriting every
 * page in one transaction. Works in WAL mode (SQLite3 Multiple Ciphers 2.x). Other connections to the file (pool
 * readers) keep the old key until they reopen: the caller must replace them, with the new key in their settings.
 */
export function rekeyDatabase(db: CipherTarget, spec: KeySpec): void {
  checkCipher(spec.cipher);
  if (!hasCipherSupport(db)) {
    throw new ToolError(ToolboxErrorCodes.ENCRYPTION_UNAVAILABLE, `This connection's driver cannot encrypt; it needs ${CIPHER_DRIVER}`);
  }
  if (spec.cipher !== undefined) db.pragma(`cipher = ${literal(spec.cipher)}`);
  db.pragma(`${spec.hex ? 'hexrekey' : 'rekey'} = ${literal(spec.key)}`);
}
