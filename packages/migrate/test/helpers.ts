import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, expect } from 'vitest';
import { open, type Database, type DatabaseOptions, type Queryable } from '@rapsqlite/engine';

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fresh temporary folder, removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rapsqlite-migrate-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Opens a database on `path` (default: a new file in a new folder); closed after the test. */
export async function openTemp(options?: DatabaseOptions, path = join(tempDir(), 'app.db')): Promise<Database> {
  const db = await open(path, options);
  cleanups.push(() => db.close());
  return db;
}

/** Runs `fn` after the test (closing what it opened). */
export function later(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

/** Writes files (name → content) into `dir`, creating folders. */
export function writeFiles(dir: string, files: Record<string, string>): string {
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  return dir;
}

/** The names of the user tables of a database, sorted. */
export async function tableNames(db: Queryable): Promise<string[]> {
  const rows = await db.all<{ name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name");
  return rows.map((r) => r.name);
}

/** Asserts that `promise` rejects with an error whose `code` is `code`; returns the error. */
export async function rejectsWithCode<E = Error & { code: string }>(promise: Promise<unknown>, code: string): Promise<E> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected a rejection with ${code}`).toBeDefined();
  expect((error as { code?: string }).code).toBe(code);
  return error as E;
}
