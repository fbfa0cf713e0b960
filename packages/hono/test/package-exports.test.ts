import { describe, expect, it } from 'vitest';

// Imports the built package through its `exports` map (run `build` first; nx does), so packaging mistakes fail here.
describe('@rapsqlite/hono as published', () => {
  it('exposes its API from the package entry point', async () => {
    const pkg = await import('@rapsqlite/hono');
    expect(Object.keys(pkg).sort()).toEqual(['DEFAULT_ERROR_STATUSES', 'HonoErrorCodes', 'errorHandler', 'errorStatus', 'gracefulShutdown', 'sqlite', 'transaction']);
    expect(typeof pkg.transaction()).toBe('function');
  });
});
