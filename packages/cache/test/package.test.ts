import { open } from '@rapsqlite/engine';
import { describe, expect, it } from 'vitest';

// Imports the built package through its `exports` map (run `build` first; nx does), so packaging mistakes fail here.
describe('@rapsqlite/cache as published', () => {
  it('exposes its API from the package entry point', async () => {
    const pkg = await import('@rapsqlite/cache');
    expect(Object.keys(pkg).sort()).toEqual(['LruStore', 'QueryCache', 'createQueryCache']);
    const cache = pkg.createQueryCache();
    await using db = await open(':memory:', { middleware: [cache.tracker] });
    const cached = cache.handle(db);
    await cached.get('SELECT 1 AS one');
    expect(await cached.get('SELECT 1 AS one')).toEqual({ one: 1 });
    expect(cache.stats().hits).toBe(1);
  });
});
