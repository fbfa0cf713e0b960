import { describe, expect, it } from 'vitest';
import { promises as fs } from 'node:fs';
import { writeFile, mkdir } from 'node:fs/promises';
import path, { join } from 'node:path';
import type { Kysely} from 'kysely';
import { sql } from 'kysely';
import { FileMigrationProvider, Migrator } from 'kysely/migration';
import { HANDLES, kyselyOn, migrator, tempDir } from './helpers.ts';

async function tables(db: Kysely<unknown>): Promise<string[]> {
  return (await db.introspection.getTables()).map((t) => t.name).sort();
}

for (const kind of ['database', 'pool'] as const) {
  describe(`Kysely's Migrator on a rapsqlite ${kind}`, () => {
    it('applies migrations from files, reports them, and migrates down', async () => {
      await using tmp = await tempDir();
      const db = kyselyOn<unknown>(await HANDLES[kind](join(tmp.dir, 'app.db')));
      try {
        const m = migrator(db);
        const up = await m.migrateToLatest();
        expect(up.error).toBeUndefined();
        expect(up.results?.map((r) => [r.migrationName, r.direction, r.status])).toEqual([
          ['0001_users', 'Up', 'Success'],
          ['0002_posts', 'Up', 'Success'],
          ['0003_attachments_and_events', 'Up', 'Success'],
        ]);
        expect(await tables(db)).toEqual(['attachments', 'events', 'posts', 'users']);
        expect((await m.migrateToLatest()).results).toEqual([]);
        const down = await m.migrateDown();
        expect(down.results?.map((r) => [r.migrationName, r.direction, r.status])).toEqual([['0003_attachments_and_events', 'Down', 'Success']]);
        expect(await tables(db)).toEqual(['posts', 'users']);
        expect((await m.getMigrations()).map((x) => [x.name, x.executedAt !== undefined])).toEqual([
          ['0001_users', true],
          ['0002_posts', true],
          ['0003_attachments_and_events', false],
        ]);
      } finally {
        await db.destroy();
      }
    });

    it('runs all pending migrations in one writer transaction: a failing one undoes those before it', async () => {
      await using tmp = await tempDir();
      const folder = join(tmp.dir, 'migrations');
      await mkdir(folder);
      await writeFile(join(folder, '0001_ok.js'), "export async function up(db) { await db.schema.createTable('a').addColumn('x', 'integer').execute(); }\n");
      await writeFile(
        join(folder, '0002_broken.js'),
        "export async function up(db) { await db.schema.createTable('b').addColumn('x', 'integer').execute(); await db.schema.createTable('a').addColumn('y', 'integer').execute(); }\n",
      );
      const db = kyselyOn<unknown>(await HANDLES[kind](join(tmp.dir, 'app.db')));
      try {
        const m = new Migrator({ db, provider: new FileMigrationProvider({ fs, path, migrationFolder: folder }) });
        const { error, results } = await m.migrateToLatest();
        expect((error as { code?: string }).code).toBe('SQLITE_ERROR');
        expect(results?.map((r) => [r.migrationName, r.status])).toEqual([
          ['0001_ok', 'Success'],
          ['0002_broken', 'Error'],
        ]);
        // Nothing of either migration remains, and neither is recorded as applied.
        expect(await tables(db)).toEqual([]);
        const recorded = await sql<{ n: number }>`SELECT count(*) AS n FROM kysely_migration`.execute(db);
        expect(recorded.rows).toEqual([{ n: 0 }]);
      } finally {
        await db.destroy();
      }
    });
  });
}

describe('migration lock', () => {
  it('applies each migration once when two connections migrate the same file at the same time', async () => {
    await using tmp = await tempDir();
    const file = join(tmp.dir, 'app.db');
    // Two handles are two SQLite connections, as two processes would be; the pool adds a third.
    const a = kyselyOn<unknown>(await HANDLES.database(file));
    const b = kyselyOn<unknown>(await HANDLES.database(file));
    const c = kyselyOn<unknown>(await HANDLES.pool(file));
    try {
      const outcomes = await Promise.all([a, b, c].map((db) => migrator(db).migrateToLatest()));
      for (const o of outcomes) expect(o.error).toBeUndefined();
      const applied = outcomes.flatMap((o) => o.results ?? []).map((r) => r.migrationName).sort();
      expect(applied).toEqual(['0001_users', '0002_posts', '0003_attachments_and_events']);
      const recorded = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(a);
      expect(recorded.rows.map((r) => r.name)).toEqual(applied);
    } finally {
      await Promise.all([a.destroy(), b.destroy(), c.destroy()]);
    }
  });
});
