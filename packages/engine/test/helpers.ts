import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { open, type Database, type DatabaseOptions } from '../src/index.ts';

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fresh temporary folder, removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rapsqlite-engine-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Opens a database on a new file in a temporary folder; closed and removed after the test. */
export async function openTemp(options?: DatabaseOptions): Promise<Database> {
  const path = join(tempDir(), 'test.db');
  const db = await open(path, options);
  cleanups.push(() => db.close());
  return db;
}

/** A query that keeps SQLite busy for roughly `n` million steps of a recursive CTE. */
export function slowQuery(millions: number): string {
  return `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${Math.round(millions * 1e6)}) SELECT count(*) AS n FROM c`;
}

/** Registers cleanup to run after the current test. */
export function onCleanup(cleanup: () => Promise<void> | void): void {
  cleanups.push(cleanup);
}
