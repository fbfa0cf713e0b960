import { ErrorCodes, open } from '@rapsqlite/engine';
import Fastify, { type FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { rapsqlite, type RapsqlitePluginOptions } from '../src/index.ts';
import { defer, tempFile } from './helpers.ts';

const SLOW = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 50000000) SELECT count(*) AS n FROM c';

async function server(path: string, options: Partial<RapsqlitePluginOptions>): Promise<FastifyInstance> {
  const fastify = Fastify();
  defer(() => fastify.close());
  await fastify.register(rapsqlite, { path, pool: { busyTimeoutMs: 0, maxReaders: 1 }, ...options } as RapsqlitePluginOptions);
  await fastify.sqlite.exec('CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, email TEXT UNIQUE)');
  fastify.post('/users', { config: { sqlite: { transaction: true } } }, async (request) => {
    await request.sqlite.run("INSERT INTO users (email) VALUES ('ada@example.com')");
    return { ok: true };
  });
  fastify.get('/slow', async (request) => request.sqlite.get(SLOW, [], { timeoutMs: 30 }));
  fastify.get('/big', async (request) => request.sqlite.get('SELECT 9007199254740993 AS n'));
  return fastify;
}

describe('coded errors as HTTP statuses', () => {
  it('maps constraint → 409, busy → 503 and timeout → 504 when asked', async () => {
    const path = tempFile();
    const fastify = await server(path, { errorStatus: true });
    expect((await fastify.inject({ method: 'POST', url: '/users' })).statusCode).toBe(200);
    const conflict = await fastify.inject({ method: 'POST', url: '/users' });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json()).toMatchObject({ code: 'SQLITE_CONSTRAINT_UNIQUE', error: 'Conflict' });

    // Another connection (as another process would) holds the write lock.
    const other = await open(path);
    let release!: () => void;
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holding = other.transaction(() => {
      locked();
      return new Promise<void>((resolve) => (release = resolve));
    });
    await isLocked;
    try {
      const busy = await fastify.inject({ method: 'POST', url: '/users' });
      expect(busy.statusCode).toBe(503);
      expect(busy.json()).toMatchObject({ code: 'SQLITE_BUSY' });
    } finally {
      release();
      await holding;
      await other.close();
    }

    const timeout = await fastify.inject('/slow');
    expect(timeout.statusCode).toBe(504);
    expect(timeout.json()).toMatchObject({ code: ErrorCodes.TIMEOUT });
  });

  it('leaves every error a 500 without the option, and never returns a silently wrong integer', async () => {
    const fastify = await server(tempFile(), {});
    await fastify.inject({ method: 'POST', url: '/users' });
    const conflict = await fastify.inject({ method: 'POST', url: '/users' });
    expect(conflict.statusCode).toBe(500);
    expect(conflict.json()).toMatchObject({ code: 'SQLITE_CONSTRAINT_UNIQUE' });
    const big = await fastify.inject('/big');
    expect(big.statusCode).toBe(500);
    expect(big.json()).toMatchObject({ code: ErrorCodes.INTEGER_OVERFLOW });
  });

  it('merges a custom table over the defaults', async () => {
    const fastify = await server(tempFile(), { errorStatus: { SQLITE_CONSTRAINT_UNIQUE: 422, [ErrorCodes.INTEGER_OVERFLOW]: 422 } });
    await fastify.inject({ method: 'POST', url: '/users' });
    expect((await fastify.inject({ method: 'POST', url: '/users' })).statusCode).toBe(422);
    expect((await fastify.inject('/big')).statusCode).toBe(422);
    expect((await fastify.inject('/slow')).statusCode).toBe(504);
  });
});
