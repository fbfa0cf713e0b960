import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, type Database } from '@rapsqlite/engine';
import { createPool, type Pool } from '@rapsqlite/pool';
import { PrismaClient } from './.generated/client/client.ts';
import { PrismaRapsqlite } from '../src/index.ts';

export { Prisma, PrismaClient } from './.generated/client/client.ts';

export const MIGRATION_SQL = new URL('./prisma/migrations/20260101000000_init/migration.sql', import.meta.url);
export const SCHEMA_PATH = new URL('./prisma/schema.prisma', import.meta.url).pathname;
export const MIGRATIONS_DIR = new URL('./prisma/migrations', import.meta.url).pathname;

/** A temporary folder with an SQLite file whose schema is the test project's migration, created through rapsqlite. */
export async function migratedFile(): Promise<{ dir: string; file: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'rapsqlite-prisma-'));
  const file = join(dir, 'test.db');
  const db = await open(file, { journalMode: 'wal' });
  await db.exec(await readFile(MIGRATION_SQL, 'utf8'));
  await db.close();
  return { dir, file, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export type HandleKind = 'database' | 'pool';
export const HANDLE_KINDS: readonly HandleKind[] = ['database', 'pool'];

/** A Prisma client on rapsqlite over a fresh migrated file, through a Database or a Pool. */
export async function prismaOn(kind: HandleKind): Promise<{ prisma: PrismaClient; handle: Database | Pool; file: string; close: () => Promise<void> }> {
  const { file, cleanup } = await migratedFile();
  const handle = kind === 'pool' ? await createPool(file, { minReaders: 2, maxReaders: 2 }) : await open(file);
  const prisma = new PrismaClient({ adapter: new PrismaRapsqlite(handle) });
  return {
    prisma,
    handle,
    file,
    close: async () => {
      await prisma.$disconnect();
      await handle.close();
      await cleanup();
    },
  };
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
