/**
 * Serialize and deserialize, inside the worker: the whole database as bytes (`sqlite3_serialize`), and a connection
 * opened on bytes (`sqlite3_deserialize`, an in-memory database).
 */
import { ErrorCodes } from '../../errors/codes.ts';
import { ToolboxErrorCodes } from '../../toolbox/codes.ts';
import { codeOf, ToolError } from './tool-error.ts';

/** The part of better-sqlite3 that serializes, typed structurally. */
export interface SerializeSource {
  serialize(options?: { attached?: string }): Uint8Array;
  prepare(sql: string): { all(...params: unknown[]): unknown[] };
}

/** better-sqlite3's constructor as it accepts bytes: the database then lives in memory. */
export type BufferDriverConstructor<D> = new (source: Buffer, options: { readonly?: boolean; timeout?: number }) => D;

const HEADER = 'SQLite format 3\u0000';

/**
 * The database (or one attached schema) as one byte array. The array owns a plain `ArrayBuffer`, so the worker can
 * transfer it to the caller without a second copy (better-sqlite3's own buffer cannot be transferred).
 */
export function serializeDatabase(db: SerializeSource, schema = 'main'): Uint8Array<ArrayBuffer> {
  if (typeof schema !== 'string' || schema === '') throw new ToolError(ErrorCodes.INVALID_ARGUMENT, 'The schema must be a non-empty string');
  const names = db.prepare('SELECT name FROM pragma_database_list').all() as Array<{ name: string }>;
  // better-sqlite3 reports a schema that is not attached as "Out of memory" (sqlite3_serialize returns NULL).
  if (!names.some((n) => n.name.toLowerCase() === schema.toLowerCase())) {
    throw new ToolError(ToolboxErrorCodes.SCHEMA_NOT_FOUND, `No database is attached as "${schema}"`);
  }
  let bytes: Uint8Array;
  try {
    bytes = db.serialize({ attached: schema });
  } catch (err) {
    const code = codeOf(err);
    throw new ToolError(code?.startsWith('SQLITE_') === true ? code : 'SQLITE_NOMEM', (err as Error).message, err);
  }
  const copy = new Uint8Array(new ArrayBuffer(bytes.byteLength));
  copy.set(bytes);
  return copy;
}

/**
 * Checks that `bytes` hold an SQLite database image and returns a `Buffer` over them ready for better-sqlite3, with
 * the header's WAL flags (bytes 18 and 19) set back to the rollback journal: an in-memory database cannot use WAL, and
 * SQLite refuses an image that asks for it (`SQLITE_CANTOPEN`). A copy is patched, never the caller's bytes.
 * Zero bytes are accepted: they are an empty database.
 */
export function databaseImage(bytes: Uint8Array): Buffer {
  if (!(bytes instanceof Uint8Array)) throw new ToolError(ErrorCodes.INVALID_ARGUMENT, 'A database image must be a Buffer or Uint8Array');
  if (bytes.byteLength === 0) return Buffer.alloc(0);
  const header = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 16)).toString('latin1');
  if (bytes.byteLength < 100 || header !== HEADER) {
    throw new ToolError(ToolboxErrorCodes.DESERIALIZE, 'The bytes are not an SQLite database image (no "SQLite format 3" header)');
  }
  const image = Buffer.from(bytes);
  if (image[18] === 2) image[18] = 1;
  if (image[19] === 2) image[19] = 1;
  return image;
}

/**
 * Opens a connection on a database image (see {@link databaseImage}): read-only, or writable (the image grows in
 * memory; nothing is written to disk). The image is checked by reading its schema, so a damaged one fails here with
 * SQLite's code (`SQLITE_NOTADB`, `SQLITE_CORRUPT`) rather than at the first query.
 */
export function openImage<D extends { prepare(sql: string): { get(): unknown }; close(): unknown }>(
  Driver: BufferDriverConstructor<D>,
  bytes: Uint8Array,
  options: { readonly?: boolean; timeout?: number } = {},
): D {
  const image = databaseImage(bytes);
  const db = new Driver(image, { readonly: options.readonly === true, ...(options.timeout === undefined ? {} : { timeout: options.timeout }) });
  try {
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
  } catch (err) {
    db.close();
    const code = codeOf(err);
    throw new ToolError(code?.startsWith('SQLITE_') === true ? code : ToolboxErrorCodes.DESERIALIZE, (err as Error).message, err);
  }
  return db;
}
