import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, type Database } from '@rapsqlite/engine';
import { createPool, type Pool } from '@rapsqlite/pool';
import knex, { type Knex } from 'knex';
import { RapsqliteClient, rapsqliteConnection, type RapsqliteConnectionConfig } from '../src/index.ts';

export type HandleKind = 'database' | 'pool';
export const HANDLE_KINDS: readonly HandleKind[] = ['database', 'pool'];

export interface KnexContext {
  readonly db: Knex;
  readonly handle: Database | Pool;
  readonly dir: string;
  readonly file: string;
  close(): Promise<void>;
}

/** A temporary folder, removed by the returned function. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'rapsqlite-knex-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Knex on rapsqlite over a fresh file, through a Database or a Pool the test opened. */
export async function knexOn(kind: HandleKind, settings: Omit<RapsqliteConnectionConfig, 'handle' | 'filename'> = {}): Promise<KnexContext> {
  const { dir, cleanup } = await tempDir();
  const file = join(dir, 'test.db');
  const handle = kind === 'pool' ? await createPool(file, { minReaders: 2, maxReaders: 2 }) : await open(file);
  const db = knex({ client: RapsqliteClient, connection: rapsqliteConnection({ handle, ...settings }), useNullAsDefault: true });
  return {
    db,
    handle,
    dir,
    file,
    close: async () => {
      await db.destroy();
      await handle.close();
      await cleanup();
    },
  };
}

/** Knex on knex's own better-sqlite3 client over a fresh file, the reference the tests compare with. */
export async function knexOnBetterSqlite3(): Promise<{ db: Knex; close(): Promise<void> }> {
  const { dir, cleanup } = await tempDir();
  const db = knex({ client: 'better-sqlite3', connection: { filename: join(dir, 'reference.db') }, useNullAsDefault: true });
  return {
    db,
    close: async () => {
      await db.destroy();
      await cleanup();
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
