import { describe, expect, it } from 'vitest';
import { open } from '@rapsqlite/engine';

// Imports the built package through its `exports` map (run `build` first; nx does), so packaging mistakes fail here.
describe('@rapsqlite/retry as published', () => {
  it('exposes its API from the package entry point', async () => {
    const pkg = await import('@rapsqlite/retry');
    expect(Object.keys(pkg).sort()).toEqual(['RETRYABLE_CODES', 'RETRY_ATTEMPTS_ATTRIBUTE', 'isRetryableError', 'retry']);
    await using db = await open(':memory:', { middleware: [pkg.retry()] });
    expect(await db.get('SELECT 1 AS one')).toEqual({ one: 1 });
  });
});
