/**
 * ATTACH and DETACH inside the worker. An attachment is connection state: every worker of a database (and every
 * pool reader) runs {@link attachDatabase} for each attachment when it opens, so a replacement worker or a new
 * reader sees the same schemas.
 */
import { ErrorCodes } from '../../errors/codes.ts';
import { ToolboxErrorCodes } from '../../toolbox/codes.ts';
import { codeOf, ToolError } from './tool-error.ts';

/** The part of better-sqlite3 ATTACH uses, typed structurally. */
export interface AttachTarget {
  readonly inTransaction: boolean;
  prepare(sql: string): { run(...params: unknown[]): unknown; all(...params: unknown[]): unknown[] };
  pragma(source: string, options?: { simple?: boolean }): unknown;
}

/** One attachment: plain data, replayed unchanged on every connection. */
export interface AttachSpec {
  /** The schema name SQL uses (`SELECT * FROM alias.table`). */
  readonly alias: string;
  /** An absolute file path, or `':memory:'` (a private in-memory database per connection). */
  readonly path: string;
  /** The attached file's encryption key (needs the encryption driver); hex-encoded when `keyIsHex`. */
  readonly key?: string;
  readonly keyIsHex?: boolean;
}

/** Per-connection settings an attached writable file gets, the same as the main database's. */
export interface AttachSettings {
  readonly readonly: boolean;
  readonly journalMode?: string | undefined;
  readonly synchronous?: string | undefined;
}

function quoteName(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function schemaNames(db: AttachTarget): string[] {
  return (db.prepare('SELECT name FROM pragma_database_list').all() as Array<{ name: string }>).map((r) => r.name);
}

/** True when `alias` names an attached schema of this connection (SQLite compares schema names case-insensitively). */
export function isAttached(db: AttachTarget, alias: string): boolean {
  const lower = alias.toLowerCase();
  return schemaNames(db).some((name) => name.toLowerCase() === lower);
}

/**
 * Attaches a database file under `alias`, then gives a writable file the main database's journal mode and
 * synchronous level (both are per schema in SQLite). Errors: `ERR_RAPSQLITE_ATTACH_EXISTS` for an alias in use,
 * `ERR_RAPSQLITE_INVALID_ARGUMENT`, or SQLite's code (`SQLITE_CANTOPEN` for a file a read-only connection cannot
 * find, `SQLITE_ERROR` inside a transaction).
 */
export function attachDatabase(db: AttachTarget, spec: AttachSpec, settings: AttachSettings): void {
  const { alias, path } = spec;
  if (typeof alias !== 'string' || alias === '') throw new ToolError(ErrorCodes.INVALID_ARGUMENT, 'An attachment needs an alias');
  if (typeof path !== 'string' || path === '') throw new ToolError(ErrorCodes.INVALID_ARGUMENT, `Attachment "${alias}" needs a path`);
  if (isAttached(db, alias) || /^(main|temp)$/i.test(alias)) {
    throw new ToolError(ToolboxErrorCodes.ATTACH_EXISTS, `A database is already attached as "${alias}"`);
  }
  try {
    if (spec.key === undefined) {
      db.prepare('ATTACH DATABASE ? AS ?').run(path, alias);
    } else {
      // SQLite3 Multiple Ciphers reads the key of an attached file from ATTACH's KEY clause.
      db.prepare('ATTACH DATABASE ? AS ? KEY ?').run(path, alias, spec.keyIsHex === true ? Buffer.from(spec.key, 'hex') : spec.key);
    }
  } catch (err) {
    const code = codeOf(err);
    throw new ToolError(code?.startsWith('SQLITE_') === true ? code : ErrorCodes.INTERNAL, (err as Error).message, err);
  }
  if (settings.readonly || path === ':memory:') return;
  const schema = quoteName(alias);
  try {
    if (settings.journalMode !== undefined) db.pragma(`${schema}.journal_mode = ${settings.journalMode}`);
    if (settings.synchronous !== undefined) db.pragma(`${schema}.synchronous = ${settings.synchronous}`);
  } catch (err) {
    // A half-configured attachment must not stay behind.
    db.prepare('DETACH DATABASE ?').run(alias);
    const code = codeOf(err);
    throw new ToolError(code?.startsWith('SQLITE_') === true ? code : ErrorCodes.INTERNAL, (err as Error).message, err);
  }
}

/** Detaches `alias`. Errors: `ERR_RAPSQLITE_SCHEMA_NOT_FOUND`, `ERR_RAPSQLITE_INVALID_ARGUMENT` for main/temp. */
export function detachDatabase(db: AttachTarget, alias: string): void {
  if (typeof alias !== 'string' || /^(main|temp)$/i.test(alias)) {
    throw new ToolError(ErrorCodes.INVALID_ARGUMENT, 'Only an attached database can be detached');
  }
  if (!isAttached(db, alias)) throw new ToolError(ToolboxErrorCodes.SCHEMA_NOT_FOUND, `No database is attached as "${alias}"`);
  try {
    db.prepare('DETACH DATABASE ?').run(alias);
  } catch (err) {
    const code = codeOf(err);
    throw new ToolError(code?.startsWith('SQLITE_') === true ? code : ErrorCodes.INTERNAL, (err as Error).message, err);
  }
}

/** Attaches every spec in order; what a new worker or pool reader runs at open. Stops at the first failure. */
export function replayAttachments(db: AttachTarget, specs: readonly AttachSpec[], settings: AttachSettings): void {
  for (const spec of specs) attachDatabase(db, spec, settings);
}
