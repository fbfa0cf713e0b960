import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { open } from '@rapsqlite/engine';

// Imports the built package through its `exports` map (run `build` first; nx does), so packaging mistakes fail here.
describe('@rapsqlite/drizzle as published', () => {
  it('exposes its API from the package entry point', async () => {
    const pkg = await import('@rapsqlite/drizzle');
    expect(Object.keys(pkg).sort()).toEqual([
      'DrizzleErrorCodes',
      'RapsqliteDatabase',
      'RapsqlitePreparedQuery',
      'RapsqliteSession',
      'RapsqliteTransaction',
      'drizzle',
      'int64',
      'iterate',
      'migrate',
    ]);
    await using client = await open(':memory:');
    const db = pkg.drizzle(client);
    expect(await db.get(sql`SELECT 1 AS one`)).toEqual({ one: 1 });
  });
});
