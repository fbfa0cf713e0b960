import { describe, expect, it } from 'vitest';
import { Kysely, sql } from 'kysely';
import { open } from '@rapsqlite/engine';

// Imports the built package through its `exports` map (run `build` first; nx does), so packaging mistakes fail here.
describe('@rapsqlite/kysely as published', () => {
  it('exposes its API from the package entry point', async () => {
    const pkg = await import('@rapsqlite/kysely');
    expect(Object.keys(pkg).sort()).toEqual(['RapsqliteAdapter', 'RapsqliteConnection', 'RapsqliteDialect', 'RapsqliteDriver']);
    const db = new Kysely({ dialect: new pkg.RapsqliteDialect({ database: await open(':memory:') }) });
    expect((await sql<{ one: number }>`SELECT 1 AS one`.execute(db)).rows).toEqual([{ one: 1 }]);
    await db.destroy();
  });
});
