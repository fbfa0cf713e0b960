import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { open, type DatabaseOptions } from '@rapsqlite/engine';
import { createPool, type PoolOptions } from '@rapsqlite/pool';
import { drizzle, migrate, type RapsqliteClient, type RapsqliteDrizzleConfig } from '../src/index.ts';
import * as schema from './fixtures/schema.ts';

export { schema };
export const MIGRATIONS = fileURLToPath(new URL('./fixtures/migrations', import.meta.url));

/** The two kinds of handle the driver runs on. */
export const HANDLES = {
  database: (file: string, options: DatabaseOptions = {}) => open(file, { synchronous: 'normal', ...options }),
  pool: (file: string, options: PoolOptions = {}) => createPool(file, { synchronous: 'normal', minReaders: 2, maxReaders: 2, ...options }),
} as const satisfies Record<string, (file: string) => Promise<RapsqliteClient>>;

export type HandleKind = keyof typeof HANDLES;

export async function tempDir(): Promise<{ dir: string; [Symbol.asyncDispose](): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'rapsqlite-drizzle-'));
  return { dir, [Symbol.asyncDispose]: () => rm(dir, { recursive: true, force: true }) };
}

export function app(client: RapsqliteClient, config: Omit<RapsqliteDrizzleConfig<typeof schema>, 'schema'> = {}) {
  return drizzle(client, { schema, ...config });
}

export type App = ReturnType<typeof app>;

/** Opens a handle on a fresh file, applies the generated migrations, and closes it at the end. */
export async function withApp(kind: HandleKind, body: (db: App, client: RapsqliteClient) => Promise<void>, options: DatabaseOptions = {}): Promise<void> {
  await using tmp = await tempDir();
  await using client = await HANDLES[kind](join(tmp.dir, 'app.db'), options);
  const db = app(client);
  await migrate(db, { migrationsFolder: MIGRATIONS });
  await body(db, client);
}

/** Resolves with the `code` of the error `promise` rejects with (looking through Drizzle's wrapper), or undefined. */
export async function codeOf(promise: PromiseLike<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (err) {
    const e = err as { code?: string; cause?: { code?: string } };
    return e.code ?? e.cause?.code;
  }
  return undefined;
}
