/**
 * The toolbox's options of `open()` (`attach`, `extensions`, `key`, `cipher`), checked on the caller's thread and
 * turned into the plain data every worker replays when it opens.
 */
import { isAbsolute, resolve } from 'node:path';
import { ErrorCodes } from '../errors/codes.ts';
import { RapsqliteError } from '../errors/rapsqlite-error.ts';
import { ToolboxErrorCodes } from './codes.ts';
import type { AttachSpec } from '../worker/tools/attach.ts';
import type { KeySpec } from '../worker/tools/encryption.ts';
import type { ExtensionSpec } from '../worker/tools/extensions.ts';

/** The cipher schemes of SQLite3 Multiple Ciphers, as an `as const` tuple. */
export const CIPHERS = ['chacha20', 'sqlcipher', 'aes128cbc', 'aes256cbc', 'rc4', 'ascon128', 'aegis'] as const;

/** A cipher scheme of SQLite3 Multiple Ciphers; `'chacha20'` is its default, `'sqlcipher'` reads SQLCipher 4 files. */
export type CipherName = (typeof CIPHERS)[number];

/** An encryption key: a passphrase (text), or raw key bytes. */
export type EncryptionKey = string | Uint8Array;

/** One attached database: its path, or its path and key. */
export type AttachTarget = string | { readonly path: string; readonly key?: EncryptionKey };

/** An extension to load: its shared library's path, or the path and the entry point's name. */
export type ExtensionSource = string | { readonly path: string; readonly entryPoint?: string };

/** The toolbox's options of `open()` and `createPool()`. */
export interface ToolboxOptions {
  /**
   * Databases to attach on every connection, by alias: `{ archive: '/data/archive.db' }` makes `archive.orders`
   * available. Replayed on a replacement worker and on every pool reader.
   */
  readonly attach?: { readonly [alias: string]: AttachTarget };
  /** SQLite extensions to load on every connection, in order. Off by default; SQL's `load_extension()` stays refused. */
  readonly extensions?: readonly ExtensionSource[];
  /** Opens (or creates) an encrypted database with this key. Needs `better-sqlite3-multiple-ciphers`. */
  readonly key?: EncryptionKey;
  /**
   * The cipher scheme for `key`. Default: SQLite3 Multiple Ciphers' own (`'chacha20'`). Without `key`, a plain file is
   * opened on the encrypting driver (so `rekey()` can encrypt it).
   */
  readonly cipher?: CipherName;
}

/** The toolbox's options after checks: plain, frozen data for the workers. */
export interface ResolvedToolboxOptions {
  readonly attach: readonly AttachSpec[];
  readonly extensions: readonly ExtensionSpec[];
  /** Present when the workers must run on the encrypting driver; an empty `key` opens a plain file there. */
  readonly key: KeySpec | undefined;
}

function invalid(message: string): never {
  throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, message);
}

/** A key as the worker takes it. */
export function keySpec(key: unknown, cipher: unknown): KeySpec {
  if (cipher !== undefined && !CIPHERS.includes(cipher as CipherName)) invalid(`Option cipher must be one of ${CIPHERS.map((c) => `'${c}'`).join(', ')}`);
  const withCipher = cipher === undefined ? {} : { cipher: cipher as CipherName };
  if (typeof key === 'string') {
    if (key === '') invalid('An encryption key must not be empty');
    return Object.freeze({ key, hex: false, ...withCipher });
  }
  if (key instanceof Uint8Array) {
    if (key.byteLength === 0) invalid('An encryption key must not be empty');
    return Object.freeze({ key: Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex'), hex: true, ...withCipher });
  }
  return invalid('An encryption key must be a string or a Uint8Array');
}

function plainOnCipherDriver(cipher: unknown): KeySpec {
  if (!CIPHERS.includes(cipher as CipherName)) invalid(`Option cipher must be one of ${CIPHERS.map((c) => `'${c}'`).join(', ')}`);
  return Object.freeze({ key: '', hex: false, cipher: cipher as CipherName });
}

function filePath(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') invalid(`${what} needs a file path`);
  if (value === ':memory:') return value;
  if (value.startsWith('file:')) invalid(`${what}: URI file names are not supported; give a path`);
  return isAbsolute(value) ? value : resolve(value);
}

/** Checks one attachment (`attach` option or `db.attach(alias, target)`). */
export function attachSpec(alias: unknown, target: unknown): AttachSpec {
  if (typeof alias !== 'string' || alias.trim() === '' || alias.includes('\u0000')) invalid('An attachment alias must be a non-empty string');
  if (/^(main|temp)$/i.test(alias)) {
    throw new RapsqliteError(ToolboxErrorCodes.ATTACH_EXISTS, `"${alias}" is a built-in schema name and cannot be an alias`);
  }
  if (typeof target === 'string') return Object.freeze({ alias, path: filePath(target, `Attachment "${alias}"`) });
  if (typeof target !== 'object' || target === null) invalid(`Attachment "${alias}" must be a path or { path, key }`);
  const { path, key } = target as { path?: unknown; key?: unknown };
  const spec = { alias, path: filePath(path, `Attachment "${alias}"`) };
  if (key === undefined) return Object.freeze(spec);
  const k = keySpec(key, undefined);
  return Object.freeze({ ...spec, key: k.key, keyIsHex: k.hex });
}

/** Checks one `extensions` entry. */
export function extensionSpec(source: unknown): ExtensionSpec {
  if (typeof source === 'string') return Object.freeze({ path: filePath(source, 'An extension') });
  if (typeof source !== 'object' || source === null) invalid('An extension must be a path or { path, entryPoint }');
  const { path, entryPoint } = source as { path?: unknown; entryPoint?: unknown };
  if (entryPoint !== undefined && (typeof entryPoint !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(entryPoint))) {
    invalid('An extension entryPoint must be a C identifier');
  }
  const spec = { path: filePath(path, 'An extension') };
  return Object.freeze(entryPoint === undefined ? spec : { ...spec, entryPoint: entryPoint as string });
}

/**
 * Checks the toolbox's options and returns what every worker replays: attachments, extensions, the key. Throws
 * `ERR_RAPSQLITE_INVALID_ARGUMENT` for a bad value; the caller's objects are copied, so later changes have no effect.
 */
export function resolveToolboxOptions(options: ToolboxOptions = {}): ResolvedToolboxOptions {
  const { attach, extensions, key, cipher } = options;
  if (attach !== undefined && (typeof attach !== 'object' || attach === null || Array.isArray(attach))) {
    invalid('Option attach must be an object of alias → path');
  }
  if (extensions !== undefined && !Array.isArray(extensions)) invalid('Option extensions must be an array');
  const seen = new Set<string>();
  const attachments = Object.entries(attach ?? {}).map(([alias, target]) => {
    if (seen.has(alias.toLowerCase())) {
      throw new RapsqliteError(ToolboxErrorCodes.ATTACH_EXISTS, `Attachment alias "${alias}" is given twice (aliases ignore case)`);
    }
    seen.add(alias.toLowerCase());
    return attachSpec(alias, target);
  });
  return Object.freeze({
    attach: Object.freeze(attachments),
    extensions: Object.freeze((extensions ?? []).map(extensionSpec)),
    // A cipher without a key opens a plain file on the encrypting driver, so that rekey() can encrypt it.
    key: key === undefined ? (cipher === undefined ? undefined : plainOnCipherDriver(cipher)) : keySpec(key, cipher),
  });
}
