import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { open, RapsqliteError, type Database, type DatabaseOptions, type Middleware, type Operation } from '@rapsqlite/engine';

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fresh temporary folder, removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rapsqlite-retry-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Opens a database on `path` (default: a new file); closed after the test. */
export async function openTemp(options?: DatabaseOptions, path = join(tempDir(), 'test.db')): Promise<Database> {
  const db = await open(path, options);
  cleanups.push(() => db.close());
  return db;
}

/**
 * A middleware that fails the operations `select` picks with `code`, `times` times, then lets them through; it
 * counts every operation it sees by kind and SQL.
 */
export function flaky(code: string, times: number, select: (op: Operation) => boolean = () => true): Middleware & { seen: string[]; failures: number } {
  const state = { seen: [] as string[], failures: 0 };
  return Object.assign(state, {
    name: 'flaky',
    wrap: (next: (op: Operation) => Promise<unknown>) => (op: Operation) => {
      state.seen.push(`${op.kind}:${op.sql}`);
      if (select(op) && state.failures < times) {
        state.failures++;
        return Promise.reject(new RapsqliteError(code, `injected ${code}`, { sql: op.sql }));
      }
      return next(op);
    },
  });
}
