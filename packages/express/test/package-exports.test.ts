import { describe, expect, it } from 'vitest';

// Imports the built package through its `exports` map (run `build` first; nx does), so packaging mistakes fail here.
describe('@rapsqlite/express as published', () => {
  it('exposes its API from the package entry point', async () => {
    const pkg = await import('@rapsqlite/express');
    expect(Object.keys(pkg).sort()).toEqual([
      'DEFAULT_ERROR_STATUSES',
      'ExpressErrorCodes',
      'errorHandler',
      'errorStatus',
      'gracefulShutdown',
      'sqlite',
      'transactional',
    ]);
    expect(typeof pkg.transactional(() => undefined)).toBe('function');
  });
});
