import { describe, expect, it } from 'vitest';

// Imports the built package through its `exports` map (run `build` first; nx does), so packaging mistakes fail here.
describe('@rapsqlite/litestream as published', () => {
  it('exposes its API from the package entry point', async () => {
    const pkg = await import('@rapsqlite/litestream');
    expect(Object.keys(pkg).sort()).toEqual(['Litestream', 'LitestreamErrorCodes', 'replicate', 'restore']);
  });
});
