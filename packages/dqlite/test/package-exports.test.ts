import { describe, expect, inject, it } from 'vitest';

// Imports the built package through its `exports` map (run `build` first; nx does), so packaging mistakes fail here.
describe('@rapsqlite/dqlite as published', () => {
  it('exposes its API from the package entry point', async () => {
    const pkg = await import('@rapsqlite/dqlite');
    expect(Object.keys(pkg).sort()).toEqual(['DqliteDatabase', 'DqliteErrorCodes', 'openDqlite', 'parseDqliteUrl']);
    await using db = await pkg.openDqlite({ nodes: inject('dqliteNodes'), database: 'package-exports' });
    expect(await db.get('SELECT 1 AS one')).toEqual({ one: 1 });
    expect(db).toBeInstanceOf(pkg.DqliteDatabase);
  });
});
