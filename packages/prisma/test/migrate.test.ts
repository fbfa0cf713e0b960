import { readFile, rm, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PrismaRapsqlite } from '../src/index.ts';
import { MIGRATION_SQL, MIGRATIONS_DIR, PrismaClient, SCHEMA_PATH } from './helpers.ts';
import { startSchemaEngine, type SchemaEngineSession } from './schema-engine.ts';

const NO_FILTER = { externalTables: [], externalEnums: [] };

async function migrationsList() {
  const name = '20260101000000_init';
  return {
    baseDir: MIGRATIONS_DIR,
    lockfile: { path: 'migration_lock.toml', content: await readFile(join(MIGRATIONS_DIR, 'migration_lock.toml'), 'utf8') },
    shadowDbInitScript: '',
    migrationDirectories: [{ path: name, migrationFile: { path: 'migration.sql', content: { tag: 'ok' as const, value: await readFile(MIGRATION_SQL, 'utf8') } } }],
  };
}

describe("Prisma's schema engine (WebAssembly) through the adapter", () => {
  let dir: string;
  let session: SchemaEngineSession | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rapsqlite-prisma-migrate-'));
  });
  afterEach(async () => {
    await session?.close();
    session = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('applies the committed migrations to a rapsqlite database (migrate deploy) and records them', async () => {
    const url = `file:${join(dir, 'deploy.db')}`;
    session = await startSchemaEngine(new PrismaRapsqlite({ url }), SCHEMA_PATH);
    const list = await migrationsList();
    expect(await session.engine.applyMigrations({ migrationsList: list, filters: NO_FILTER })).toEqual({ appliedMigrationNames: ['20260101000000_init'] });
    expect(await session.engine.applyMigrations({ migrationsList: list, filters: NO_FILTER })).toEqual({ appliedMigrationNames: [] });
    await session.close();
    session = undefined;

    const prisma = new PrismaClient({ adapter: new PrismaRapsqlite({ url }) });
    try {
      const migrations = await prisma.$queryRaw<{ migration_name: string; finished: bigint }[]>`SELECT migration_name, finished_at IS NOT NULL AS finished FROM _prisma_migrations`;
      expect(migrations).toEqual([{ migration_name: '20260101000000_init', finished: 1n }]);
      await prisma.user.create({ data: { email: 'migrated@example.com', posts: { create: { title: 'hello' } } } });
      expect(await prisma.post.count()).toBe(1);
    } finally {
      await prisma.$disconnect();
    }
  });

  it('finds no drift between the committed migrations and the schema, replaying them on the shadow database', async () => {
    session = await startSchemaEngine(new PrismaRapsqlite({ url: `file:${join(dir, 'unused.db')}` }), SCHEMA_PATH);
    const schema = await readFile(SCHEMA_PATH, 'utf8');
    // `from: migrations` replays the migration history on connectToShadowDb()'s in-memory database.
    const result = (await session.engine.diff({
      from: { tag: 'migrations', ...(await migrationsList()) },
      to: { tag: 'schemaDatamodel', files: [{ path: SCHEMA_PATH, content: schema }] },
      script: true,
      exitCode: true,
      filters: NO_FILTER,
    })) as { exitCode: number; stdout: string };
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('This is an empty migration');
  });
});
