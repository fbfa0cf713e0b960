import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { onCleanup, tempDir } from '../helpers.ts';

/** The slice of better-sqlite3 the worker-tool tests use directly. */
export interface RawDb {
  readonly inTransaction: boolean;
  readonly open: boolean;
  prepare(sql: string): {
    run(...p: unknown[]): { changes: number; lastInsertRowid: number | bigint };
    get(...p: unknown[]): unknown;
    all(...p: unknown[]): unknown[];
    pluck(toggle?: boolean): { get(...p: unknown[]): unknown; all(...p: unknown[]): unknown[] };
  };
  exec(sql: string): unknown;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  close(): unknown;
  backup(destination: string, options: object): Promise<{ totalPages: number; remainingPages: number }>;
  serialize(options?: { attached?: string }): Buffer;
  loadExtension(path: string, entryPoint?: string): unknown;
  function(name: string, options: Record<string, unknown>, fn: (...args: unknown[]) => unknown): unknown;
}

export type RawDriver = new (path: string | Buffer, options?: { readonly?: boolean; fileMustExist?: boolean; timeout?: number }) => RawDb;

const require = createRequire(import.meta.url);

/** better-sqlite3 itself, as the worker loads it. */
export const Driver = require('better-sqlite3') as RawDriver;

/** Opens a raw better-sqlite3 connection, closed after the test. */
export function openRaw(path: string, options?: { readonly?: boolean; fileMustExist?: boolean }, D: RawDriver = Driver): RawDb {
  const db = new D(path, options);
  onCleanup(() => {
    if (db.open) db.close();
  });
  return db;
}

/** A path for a new file in a fresh temporary folder. */
export function tempFile(name = 'test.db'): string {
  return join(tempDir(), name);
}

/** Fills `db` with `rows` rows of ~`width` bytes each (blobs and text), in WAL mode. */
export function fill(db: RawDb, rows: number, width = 200): void {
  db.pragma('journal_mode = wal');
  db.exec('CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, label TEXT NOT NULL, payload BLOB)');
  db.exec(`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${rows})
    INSERT INTO items (label, payload) SELECT 'item ' || x, randomblob(${width}) FROM c`);
}

/** A digest of every row of a table, in rowid order. */
export function digest(db: RawDb, table = 'items'): string {
  const hash = createHash('sha256');
  for (const row of db.prepare(`SELECT * FROM ${table} ORDER BY rowid`).all()) {
    hash.update(JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : Buffer.isBuffer(v) ? v.toString('hex') : v)));
  }
  return hash.digest('hex');
}

/** `PRAGMA integrity_check` of a file, opened read-only. */
export function integrity(path: string, D: RawDriver = Driver): string {
  const db = new D(path, { readonly: true, fileMustExist: true });
  try {
    return String(db.pragma('integrity_check', { simple: true }));
  } finally {
    db.close();
  }
}
