import { describe, expect, it } from 'vitest';

describe('the published package', () => {
  it('exports its API by name through the exports map of the built package', async () => {
    const pool = await import('@rapsqlite/pool');
    expect(Object.keys(pool).sort()).toEqual(['CHECKPOINT_MODES', 'Pool', 'PoolErrorCodes', 'createPool']);
    expect(pool.PoolErrorCodes).toEqual({
      NOT_WAL: 'ERR_RAPSQLITE_POOL_NOT_WAL',
      ACQUIRE_TIMEOUT: 'ERR_RAPSQLITE_POOL_ACQUIRE_TIMEOUT',
      QUEUE_FULL: 'ERR_RAPSQLITE_POOL_QUEUE_FULL',
    });
    const manifest = await import('@rapsqlite/pool/package.json', { with: { type: 'json' } });
    expect(manifest.default.name).toBe('@rapsqlite/pool');
  });
});
