import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach } from 'vitest';
import { open, type Database } from '../../src/index.ts';

export { onCleanup, openTemp, tempDir } from '../helpers.ts';

/** A caught error, with whatever properties it carries (`code`, `parameter`, `column`…). */
export type CaughtError = Error & { readonly code?: string; readonly [key: string]: unknown };

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<CaughtError> {
  try {
    await promise;
  } catch (err) {
    return err as CaughtError;
  }
  throw new Error('expected a rejection');
}

/** The error a function throws (fails the test when it returns). */
export function thrown(fn: () => unknown): CaughtError {
  try {
    fn();
  } catch (err) {
    return err as CaughtError;
  }
  throw new Error('expected a throw');
}

// One database file per test file (starting a worker is the slow part of a test), emptied after every test.
let shared: Promise<Database> | undefined;
let folder: string | undefined;

afterEach(async () => {
  if (shared === undefined) return;
  const db = await shared;
  const objects = await db.all<{ type: string; name: string }>(
    "SELECT type, name FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY type = 'table'",
  );
  await db.exec('PRAGMA foreign_keys = OFF');
  for (const { type, name } of objects) {
    // Shadow tables of a virtual table go with it.
    if (type === 'table' && !(await db.get('SELECT 1 FROM sqlite_schema WHERE name = ?', [name]))) continue;
    await db.exec(`DROP ${type === 'view' ? 'VIEW' : 'TABLE'} IF EXISTS "${name.replaceAll('"', '""')}"`);
  }
  await db.exec('PRAGMA foreign_keys = ON');
});

afterAll(async () => {
  if (shared !== undefined) await (await shared).close();
  if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
  shared = undefined;
});

/** The file's database (a real file in a temporary folder), with `schema` run on it; empty again after the test. */
export async function openWith(schema: string): Promise<Database> {
  folder ??= mkdtempSync(join(tmpdir(), 'rapsqlite-toolbox2-'));
  shared ??= open(join(folder, 'shared.db'));
  const db = await shared;
  if (schema !== '') await db.exec(schema);
  return db;
}
