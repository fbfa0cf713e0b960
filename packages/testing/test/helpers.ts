import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { open, type Database, type DatabaseOptions } from '@rapsqlite/engine';

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fresh temporary folder, removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rapsqlite-testing-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Opens a database on a new file in a temporary folder; closed after the test. */
export async function openTemp(options?: DatabaseOptions): Promise<Database> {
  const db = await open(join(tempDir(), 'test.db'), options);
  cleanups.push(() => db.close());
  return db;
}

/** Registers cleanup to run after the current test. */
export function onCleanup(cleanup: () => Promise<void> | void): void {
  cleanups.push(cleanup);
}
