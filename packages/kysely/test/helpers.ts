import { mkdtemp, rm } from 'node:fs/promises';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path, { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { open, type DatabaseOptions } from '@rapsqlite/engine';
import { createPool, Pool, type PoolOptions } from '@rapsqlite/pool';
import { Kysely, type Generated } from 'kysely';
import { FileMigrationProvider, Migrator } from 'kysely/migration';
import { RapsqliteDialect, type RapsqliteDialectOptions, type RapsqliteHandle } from '../src/index.ts';

export interface UsersTable {
  id: Generated<number | bigint>;
  email: string;
  name: string;
  created_at: string;
}
export interface PostsTable {
  id: Generated<number | bigint>;
  user_id: number | bigint;
  title: string;
  views: Generated<number>;
  published_at: number | null;
}
export interface AttachmentsTable {
  id: Generated<number | bigint>;
  post_id: number | bigint;
  data: Buffer;
}
export interface EventsTable {
  id: Generated<number>;
  source: string;
  n: number;
}
export interface AppDatabase {
  users: UsersTable;
  posts: PostsTable;
  attachments: AttachmentsTable;
  events: EventsTable;
}

export const MIGRATIONS = fileURLToPath(new URL('./fixtures/migrations', import.meta.url));

/** The two kinds of handle the dialect runs on. */
export const HANDLES = {
  database: (file: string, options: DatabaseOptions = {}) => open(file, { synchronous: 'normal', ...options }),
  pool: (file: string, options: PoolOptions = {}) => createPool(file, { synchronous: 'normal', minReaders: 2, maxReaders: 2, ...options }),
} as const satisfies Record<string, (file: string) => Promise<RapsqliteHandle>>;

export type HandleKind = keyof typeof HANDLES;

export async function tempDir(): Promise<{ dir: string; [Symbol.asyncDispose](): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'rapsqlite-kysely-'));
  return { dir, [Symbol.asyncDispose]: () => rm(dir, { recursive: true, force: true }) };
}

export function kyselyOn<DB = AppDatabase>(handle: RapsqliteHandle, options: Omit<RapsqliteDialectOptions, 'database'> = {}): Kysely<DB> {
  return new Kysely<DB>({ dialect: new RapsqliteDialect({ database: handle, ...options }) });
}

export function migrator(db: Kysely<unknown>): Migrator {
  return new Migrator({ db, provider: new FileMigrationProvider({ fs, path, migrationFolder: MIGRATIONS }) });
}

/** Applies the fixture migrations and fails loudly when one does not apply. */
export async function migrate(db: Kysely<unknown>): Promise<void> {
  const { error, results } = await migrator(db).migrateToLatest();
  if (error !== undefined) throw error;
  if (results?.some((r) => r.status !== 'Success')) throw new Error(`migration failed: ${JSON.stringify(results)}`);
}

/** Rejects unless `promise` rejects with an error of this `code`; returns the error. */
export async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

/** A query that keeps a worker busy for a while (a recursive count), for concurrency and cancellation tests. */
export const SLOW_COUNT = (n: number) => `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${n}) SELECT count(*) AS n FROM c`;

export function isPool(handle: RapsqliteHandle): handle is Pool {
  return handle instanceof Pool;
}
