import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, type Database, type DatabaseOptions, type Params } from '@rapsqlite/engine';
import { afterEach } from 'vitest';

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Registers cleanup to run after the current test. */
export function onCleanup(cleanup: () => Promise<void> | void): void {
  cleanups.push(cleanup);
}

/** A fresh temporary folder, removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rapsqlite-cache-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Opens a database on `path` (a new file by default); closed after the test. */
export async function openTemp(options?: DatabaseOptions, path = join(tempDir(), 'test.db')): Promise<Database> {
  const db = await open(path, options);
  cleanups.push(() => db.close());
  return db;
}

/** Another process with its own SQLite connection on the file, that runs writes on command. */
export interface OtherProcess {
  run(sql: string, params?: Params): Promise<number>;
}

export async function otherProcess(path: string): Promise<OtherProcess> {
  const child: ChildProcess = fork(new URL('./fixtures/other-process.mjs', import.meta.url), [path], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map<number, { resolve: (n: number) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.on('message', (message: { ready?: boolean; id?: number; changes?: number; error?: string }) => {
      if (message.ready === true) return resolve();
      const waiter = waiting.get(message.id as number);
      waiting.delete(message.id as number);
      if (message.error !== undefined) waiter?.reject(Object.assign(new Error(message.error), { code: message.error }));
      else waiter?.resolve(message.changes as number);
    });
  });
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.disconnect();
      }),
  );
  return {
    run: (sql, params) =>
      new Promise<number>((resolve, reject) => {
        const id = nextId++;
        waiting.set(id, { resolve, reject });
        child.send({ id, sql, params });
      }),
  };
}
