import { describe, expect, it } from 'vitest';
import { cp, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { drizzle, migrate } from '../src/index.ts';
import { HANDLES, MIGRATIONS, tempDir } from './helpers.ts';

async function tables(db: ReturnType<typeof drizzle>): Promise<string[]> {
  const rows = await db.all<{ name: string }>(sql`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name`);
  return rows.map((r) => r.name);
}

for (const kind of ['database', 'pool'] as const) {
  describe(`migrations from drizzle-kit on a rapsqlite ${kind}`, () => {
    it('applies the generated migrations once, in order, and records them as drizzle does', async () => {
      await using tmp = await tempDir();
      await using client = await HANDLES[kind](join(tmp.dir, 'app.db'));
      const db = drizzle(client);
      const applied = await migrate(db, { migrationsFolder: MIGRATIONS });
      expect(applied).toHaveLength(2);
      expect(await tables(db)).toEqual(['__drizzle_migrations', 'accounts', 'attachments', 'events', 'posts', 'users']);
      const columns = await db.all<{ name: string }>(sql`PRAGMA table_info(users)`);
      expect(columns.map((c) => c.name)).toEqual(['id', 'email', 'name', 'created_at', 'bio']);
      const journal = JSON.parse(await readFile(join(MIGRATIONS, 'meta/_journal.json'), 'utf8')) as { entries: { when: number }[] };
      const recorded = await db.values<[string, number]>(sql`SELECT hash, created_at FROM __drizzle_migrations ORDER BY created_at`);
      expect(recorded.map((r) => Number(r[1]))).toEqual(journal.entries.map((e) => e.when));
      expect(recorded.map((r) => r[0])).toEqual(applied.map((a) => a.hash));
      expect(await migrate(db, { migrationsFolder: MIGRATIONS })).toEqual([]);
    });

    it('rolls back a failing migration whole and records nothing for it', async () => {
      await using tmp = await tempDir();
      const folder = join(tmp.dir, 'migrations');
      await cp(MIGRATIONS, folder, { recursive: true });
      await using client = await HANDLES[kind](join(tmp.dir, 'app.db'));
      const db = drizzle(client);
      await migrate(db, { migrationsFolder: folder });
      // A third migration whose second statement fails: its first statement must not stay.
      const journalFile = join(folder, 'meta/_journal.json');
      const journal = JSON.parse(await readFile(journalFile, 'utf8')) as { entries: { idx: number; version: string; when: number; tag: string; breakpoints: boolean }[] };
      const last = journal.entries.at(-1)!;
      journal.entries.push({ idx: last.idx + 1, version: last.version, when: last.when + 1000, tag: '0002_broken', breakpoints: true });
      await writeFile(journalFile, JSON.stringify(journal));
      await writeFile(join(folder, '0002_broken.sql'), 'CREATE TABLE `tags` (`id` integer PRIMARY KEY);\n--> statement-breakpoint\nALTER TABLE `missing` ADD `x` text;');
      expect((await migrate(db, { migrationsFolder: folder }).then(() => undefined, (e: unknown) => e as { cause?: { code?: string } }))?.cause?.code).toBe('SQLITE_ERROR');
      expect(await tables(db)).not.toContain('tags');
      expect(await db.get(sql`SELECT count(*) AS n FROM __drizzle_migrations`)).toEqual({ n: 2 });
    });
  });
}

describe('concurrent migrators', () => {
  it('apply each migration once when two connections migrate the same file at the same time', async () => {
    await using tmp = await tempDir();
    const file = join(tmp.dir, 'app.db');
    await using a = await HANDLES.database(file);
    await using b = await HANDLES.database(file);
    await using c = await HANDLES.pool(file);
    const results = await Promise.all([a, b, c].map((client) => migrate(drizzle(client), { migrationsFolder: MIGRATIONS })));
    expect(results.map((r) => r.length).sort()).toEqual([0, 0, 2]);
    const recorded = await drizzle(a).values(sql`SELECT hash FROM __drizzle_migrations`);
    expect(recorded).toHaveLength(2);
  });
});
