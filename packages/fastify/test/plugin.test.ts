import type { AddressInfo } from 'node:net';
import { ErrorCodes, open } from '@rapsqlite/engine';
import { createPool, Pool } from '@rapsqlite/pool';
import Fastify, { type FastifyInstance } from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import { FastifyErrorCodes, rapsqlite } from '../src/index.ts';
import { defer, httpGet, SCHEMA, tempFile } from './helpers.ts';

function app(): FastifyInstance {
  const fastify = Fastify();
  defer(() => fastify.close());
  return fastify;
}

describe('decoration', () => {
  it('opens a Database at `path` and decorates fastify.sqlite and request.sqlite', async () => {
    const fastify = app();
    await fastify.register(rapsqlite, { path: tempFile() });
    await fastify.sqlite.exec(SCHEMA);
    await fastify.sqlite.run('INSERT INTO customers (email) VALUES (?)', ['ada@example.com']);
    fastify.get('/customers', async (request) => request.sqlite.all('SELECT id, email FROM customers'));
    const response = await fastify.inject('/customers');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual([{ id: 1, email: 'ada@example.com' }]);
    expect(fastify.sqlite).not.toBeInstanceOf(Pool);
  });

  it('opens a Pool with `pool` and exposes its statistics', async () => {
    const fastify = app();
    await fastify.register(rapsqlite, { path: tempFile(), pool: { maxReaders: 1 } });
    expect(fastify.sqlite).toBeInstanceOf(Pool);
    await fastify.sqlite.exec(SCHEMA);
    fastify.get('/health', async () => (fastify.sqlite as Pool).stats().readers);
    const readers = (await fastify.inject('/health')).json<{ total: number; max: number }>();
    expect(readers.total).toBe(1);
    expect(readers.max).toBe(1);
  });

  it('keeps named databases under fastify.sqlite[name], in either registration order', async () => {
    const fastify = app();
    await fastify.register(rapsqlite, { path: tempFile('audit.db'), name: 'audit' });
    await fastify.register(rapsqlite, { path: tempFile('main.db') });
    await fastify.register(rapsqlite, { path: tempFile('cache.db'), name: 'cache' });
    await fastify.ready();
    await fastify.sqlite.exec('CREATE TABLE t (db TEXT)');
    await fastify.sqlite['audit']!.exec('CREATE TABLE t (db TEXT)');
    await fastify.sqlite['audit']!.run("INSERT INTO t VALUES ('audit')");
    expect(await fastify.sqlite.all('SELECT * FROM t')).toEqual([]);
    expect(await fastify.sqlite['audit']!.all('SELECT * FROM t')).toEqual([{ db: 'audit' }]);
    expect(fastify.sqlite['cache']!.path).toMatch(/cache\.db$/);
    expect(fastify.sqlite['cache']).not.toBe(fastify.sqlite['audit']);
  });

  it('refuses request.sqlite outside a transaction when only named databases exist', async () => {
    const fastify = app();
    await fastify.register(rapsqlite, { path: tempFile(), name: 'main' });
    fastify.get('/', async (request) => request.sqlite.get('SELECT 1 AS one'));
    fastify.get('/named', async () => fastify.sqlite['main']!.get('SELECT 1 AS one'));
    expect((await fastify.inject('/')).json()).toMatchObject({ statusCode: 500, code: FastifyErrorCodes.NO_DEFAULT_DATABASE });
    expect((await fastify.inject('/named')).json()).toEqual({ one: 1 });
  });
});

describe('start-up errors', () => {
  it.each([
    ['no source', {}],
    ['an unknown option', { path: 'x.db', readOnly: true }],
    ['two sources', { path: 'x.db', database: {} }],
    ['a database that is not a handle', { database: { get: 1 } }],
    ['engine options with a pool', { path: 'x.db', pool: true, options: {} }],
    ['an empty name', { path: 'x.db', name: '' }],
    ['a status outside 400-599', { path: 'x.db', errorStatus: { SQLITE_CONSTRAINT: 200 } }],
  ])('refuses %s with ERR_RAPSQLITE_INVALID_ARGUMENT', async (_label, options) => {
    const fastify = app();
    await expect(fastify.register(rapsqlite, options as never).ready()).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
  });

  it('refuses a duplicate name before opening anything, and still closes the first database', async () => {
    const db = await open(tempFile());
    const close = vi.spyOn(db, 'close');
    const fastify = Fastify();
    await fastify.register(rapsqlite, { database: db, close: true, name: 'main' });
    await expect(fastify.register(rapsqlite, { path: tempFile('second.db'), name: 'main' }).ready()).rejects.toMatchObject({
      code: FastifyErrorCodes.DUPLICATE_NAME,
    });
    await fastify.close();
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('refuses a second unnamed database, and a name that would hide a member of the handle', async () => {
    const first = app();
    await first.register(rapsqlite, { path: tempFile('a.db') });
    await expect(first.register(rapsqlite, { path: tempFile('b.db') }).ready()).rejects.toMatchObject({ code: FastifyErrorCodes.DUPLICATE_NAME });
    const second = app();
    await second.register(rapsqlite, { path: tempFile('c.db') });
    await expect(second.register(rapsqlite, { path: tempFile('d.db'), name: 'close' }).ready()).rejects.toMatchObject({ code: FastifyErrorCodes.DUPLICATE_NAME });
  });

  it('fails the start-up when a route asks for a database that is not registered', async () => {
    const fastify = app();
    await fastify.register(rapsqlite, { path: tempFile() });
    fastify.post('/x', { config: { sqlite: { transaction: { name: 'nope' } } } }, async () => 'x');
    await expect(fastify.ready()).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
  });

  it('fails the start-up on a bad route transaction config or a readonly transaction on a Database', async () => {
    const fastify = app();
    await fastify.register(rapsqlite, { path: tempFile() });
    expect(() => fastify.post('/x', { config: { sqlite: { transaction: { mode: 'eager' as never } } } }, async () => 'x')).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT }),
    );
    const other = app();
    await other.register(rapsqlite, { path: tempFile('other.db') });
    other.get('/r', { config: { sqlite: { transaction: { readonly: true } } } }, async () => 'r');
    await expect(other.ready()).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
  });
});

describe('closing', () => {
  it('closes a database it opened exactly once when Fastify closes', async () => {
    const fastify = Fastify();
    await fastify.register(rapsqlite, { path: tempFile(), pool: true });
    const pool = fastify.sqlite as Pool;
    const close = vi.spyOn(pool, 'close');
    await fastify.close();
    await fastify.close();
    expect(close).toHaveBeenCalledTimes(1);
    expect(pool.closed).toBe(true);
  });

  it('leaves a handle it was given open unless told to close it', async () => {
    const pool = await createPool(tempFile());
    defer(() => pool.close());
    const close = vi.spyOn(pool, 'close');
    const fastify = Fastify();
    await fastify.register(rapsqlite, { database: pool });
    await fastify.close();
    expect(close).not.toHaveBeenCalled();
    expect(await pool.get('SELECT 1 AS one')).toEqual({ one: 1 });
  });

  it('lets an in-flight request finish before the database closes', async () => {
    const fastify = Fastify();
    await fastify.register(rapsqlite, { path: tempFile(), pool: true });
    let started!: () => void;
    const isStarted = new Promise<void>((resolve) => (started = resolve));
    fastify.get('/slow', async (request) => {
      started();
      return request.sqlite.get('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000) SELECT count(*) AS n FROM c');
    });
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    const address = fastify.server.address() as AddressInfo;
    const pending = httpGet(`http://127.0.0.1:${address.port}/slow`);
    await isStarted;
    await fastify.close();
    const response = await pending;
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ n: 300000 });
    expect(fastify.sqlite.closed).toBe(true);
  });
});

describe('health route', () => {
  it('serves the pool\'s statistics, and 503 once the database is closed', async () => {
    const pool = await createPool(tempFile(), { maxReaders: 1 });
    defer(() => pool.close());
    const fastify = app();
    await fastify.register(rapsqlite, { database: pool, health: true });
    await fastify.register(rapsqlite, { path: tempFile('audit.db'), name: 'audit', health: '/ready/audit' });
    const health = await fastify.inject('/health/sqlite');
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ status: 'ok', kind: 'pool', pool: { readers: { max: 1 }, writer: { pending: 0 }, wal: { starved: false } } });
    expect((await fastify.inject('/ready/audit')).json()).toEqual({ status: 'ok', kind: 'database' });
    await pool.close();
    expect((await fastify.inject('/health/sqlite')).statusCode).toBe(503);
  });

  it('refuses a health path that is not a path', async () => {
    await expect(app().register(rapsqlite, { path: tempFile(), health: 'health' }).ready()).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
  });
});
