import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { defer, tempFile } from './helpers.ts';

// Imports the built package through its `exports` map (run `build` first; nx does), so packaging mistakes fail here.
describe('@rapsqlite/fastify as published', () => {
  it('exposes its API from the package entry point', async () => {
    const pkg = await import('@rapsqlite/fastify');
    expect(Object.keys(pkg).sort()).toEqual(['DEFAULT_ERROR_STATUSES', 'FastifyErrorCodes', 'errorStatus', 'rapsqlite', 'sqliteHealth']);
    const fastify = Fastify();
    defer(() => fastify.close());
    await fastify.register(pkg.rapsqlite, { path: tempFile() });
    expect(await fastify.sqlite.get('SELECT 1 AS one')).toEqual({ one: 1 });
  });
});
