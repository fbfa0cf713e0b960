import { describe, expect, it } from 'vitest';

// Imports the built package through its `exports` map (run `build` first; nx does), so packaging mistakes fail here.
describe('@rapsqlite/prisma as published', () => {
  it('exposes its API from the package entry point', async () => {
    const pkg = await import('@rapsqlite/prisma');
    expect(Object.keys(pkg).sort()).toEqual(['PrismaRapsqlite', 'TIMESTAMP_FORMATS']);
    const adapter = await new pkg.PrismaRapsqlite({ url: ':memory:' }).connect();
    expect((await adapter.queryRaw({ sql: 'SELECT 1 AS one', args: [], argTypes: [] })).rows).toEqual([[1]]);
    await adapter.dispose();
  });
});
