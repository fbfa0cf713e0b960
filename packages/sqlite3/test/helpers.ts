import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ours from '../src/index.ts';

const require = createRequire(import.meta.url);

/** The node-sqlite3 module shape the behaviour tests use (loosely typed: both implementations must fit it). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Sqlite3 = any;

/** The real node-sqlite3 (6.0.1, compiled from source at install), a devDependency of these tests only. */
export const real: Sqlite3 = require('sqlite3');

/**
 * Both implementations. Every behaviour test runs against each, so what it asserts is node-sqlite3's behaviour, not a
 * guess: a test that passes only for `@rapsqlite/sqlite3` would fail on `sqlite3`.
 */
export const IMPLEMENTATIONS: ReadonlyArray<readonly [string, Sqlite3]> = [
  ['sqlite3', real],
  ['@rapsqlite/sqlite3', ours],
];

export { ours };

/** A temporary folder, removed by the returned function. */
export function tempDir(prefix = 'rapsqlite-sqlite3-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** What a node-sqlite3 callback received: its arguments and its `this`. */
export interface Called<T = unknown> {
  readonly err: (Error & { errno?: number; code?: string }) | null | undefined;
  readonly value: T;
  readonly args: unknown[];
  readonly self: unknown;
}

/**
 * Calls `target[method](...args, callback)` and resolves with what the callback got. Never rejects on an error
 * argument: tests assert errors as values.
 */
export function call<T = unknown>(target: Sqlite3, method: string, ...args: unknown[]): Promise<Called<T>> {
  return new Promise((resolve) => {
    target[method](...args, function (this: unknown, ...received: unknown[]) {
      resolve({ err: received[0] as Called['err'], value: received[1] as T, args: received, self: this });
    });
  });
}

/** Opens a Database and resolves once it is open (rejects on an open error). */
export function openDb(sqlite3: Sqlite3, filename = ':memory:', mode?: number): Promise<Sqlite3> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null): void => (err ? reject(err) : resolve(db));
    const db = mode === undefined ? new sqlite3.Database(filename, done) : new sqlite3.Database(filename, mode, done);
  });
}

/** Closes a Database, resolving with the close error (or null). */
export function closeDb(db: Sqlite3): Promise<Error | null> {
  return new Promise((resolve) => db.close((err: Error | null) => resolve(err)));
}

/** Runs SQL and rejects on error: for set-up steps. */
export async function exec(db: Sqlite3, sql: string): Promise<void> {
  const { err } = await call(db, 'exec', sql);
  if (err) throw err;
}

/** Collects the rows of `each`: the row callback's arguments in order, then the completion's. */
export function eachRows(target: Sqlite3, ...args: unknown[]): Promise<{ rows: unknown[]; errors: unknown[]; complete: unknown[] }> {
  return new Promise((resolve) => {
    const rows: unknown[] = [];
    const errors: unknown[] = [];
    target.each(
      ...args,
      (err: unknown, row: unknown) => {
        if (err) errors.push(err);
        else rows.push(row);
      },
      (...complete: unknown[]) => resolve({ rows, errors, complete }),
    );
  });
}

/** Waits for an event once. */
export function once(target: Sqlite3, event: string): Promise<unknown[]> {
  return new Promise((resolve) => target.once(event, (...args: unknown[]) => resolve(args)));
}
