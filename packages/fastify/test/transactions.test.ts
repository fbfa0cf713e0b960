import type { AddressInfo } from 'node:net';
import { ErrorCodes, type Transaction } from '@rapsqlite/engine';
import type { Pool } from '@rapsqlite/pool';
import Fastify, { type FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { rapsqlite } from '../src/index.ts';
import { defer, SCHEMA, sleep, tempFile } from './helpers.ts';

async function shop(options: { pool?: boolean; errorStatus?: boolean } = {}): Promise<FastifyInstance> {
  const fastify = Fastify();
  defer(() => fastify.close());
  await fastify.register(rapsqlite, {
    path: tempFile(),
    ...(options.pool === false ? {} : { pool: { maxReaders: 2 } }),
    ...(options.errorStatus === true ? { errorStatus: true } : {}),
  });
  await fastify.sqlite.exec(SCHEMA);
  await fastify.sqlite.run("INSERT INTO customers (id, email) VALUES (1, 'ada@example.com')");
  return fastify;
}

const tx = { config: { sqlite: { transaction: true } } } as const;
const count = async (fastify: FastifyInstance): Promise<number> => (await fastify.sqlite.get<{ n: number }>('SELECT count(*) AS n FROM orders'))!.n;

describe('per-route transactions', () => {
  it('commits the handler\'s writes before the reply is sent', async () => {
    const fastify = await shop();
    let seenBySend: number | undefined;
    fastify.post('/orders', tx, async (request, reply) => {
      expect(request.sqlite).not.toBe(fastify.sqlite);
      await request.sqlite.run('INSERT INTO orders (customer_id, total) VALUES (1, 10)');
      await request.sqlite.run('INSERT INTO orders (customer_id, total) VALUES (1, 20)');
      return reply.code(201).send({ ok: true });
    });
    fastify.addHook('onSend', async (_request, _reply, payload) => {
      seenBySend = await count(fastify); // a reader: sees only committed rows
      return payload;
    });
    const response = await fastify.inject({ method: 'POST', url: '/orders' });
    expect(response.statusCode).toBe(201);
    expect(await count(fastify)).toBe(2);
    // The route-level commit hook runs after the instance's onSend hooks, so the instance's hook saw nothing yet.
    expect(seenBySend).toBe(0);
  });

  it('commits a value returned from the handler, and a reply sent without returning it', async () => {
    const fastify = await shop();
    fastify.post('/returned', tx, async (request) => request.sqlite.run('INSERT INTO orders (customer_id, total) VALUES (1, 5)').then(() => ({ ok: 1 })));
    fastify.post('/sent', tx, (request, reply) => {
      void request.sqlite.run('INSERT INTO orders (customer_id, total) VALUES (1, 6)').then(() => reply.send({ ok: 2 }));
    });
    expect((await fastify.inject({ method: 'POST', url: '/returned' })).json()).toEqual({ ok: 1 });
    expect((await fastify.inject({ method: 'POST', url: '/sent' })).json()).toEqual({ ok: 2 });
    expect(await count(fastify)).toBe(2);
  });

  it('rolls back the work of a handler that hijacks the reply, which bypasses the commit in onSend', async () => {
    const fastify = await shop();
    fastify.post('/raw', tx, async (request, reply) => {
      reply.hijack();
      await request.sqlite.run('INSERT INTO orders (customer_id, total) VALUES (1, 7)');
      reply.raw.writeHead(200, { 'content-type': 'text/plain' });
      reply.raw.end('raw');
    });
    expect((await fastify.inject({ method: 'POST', url: '/raw' })).body).toBe('raw');
    await fastify.sqlite.run('INSERT INTO orders (customer_id, total) VALUES (1, 8)'); // the writer is free again
    expect(await fastify.sqlite.all('SELECT total FROM orders')).toEqual([{ total: 8 }]);
  });

  it('rolls back when the handler throws, and the error reaches Fastify', async () => {
    const fastify = await shop();
    fastify.post('/orders', tx, async (request) => {
      await request.sqlite.run('INSERT INTO orders (customer_id, total) VALUES (1, 10)');
      throw Object.assign(new Error('payment declined'), { statusCode: 402, code: 'PAYMENT' });
    });
    const response = await fastify.inject({ method: 'POST', url: '/orders' });
    expect(response.statusCode).toBe(402);
    expect(response.json()).toMatchObject({ code: 'PAYMENT' });
    expect(await count(fastify)).toBe(0);
  });

  it('rolls back when the response fails after the handler (a bad serialization)', async () => {
    const fastify = await shop();
    fastify.post(
      '/orders',
      { ...tx, schema: { response: { 200: { type: 'object', required: ['id'], properties: { id: { type: 'integer' } } } } } },
      async (request) => {
        await request.sqlite.run('INSERT INTO orders (customer_id, total) VALUES (1, 10)');
        return { nope: true };
      },
    );
    expect((await fastify.inject({ method: 'POST', url: '/orders' })).statusCode).toBe(500);
    expect(await count(fastify)).toBe(0);
  });

  it('reports a failed COMMIT (a deferred foreign key) as an error instead of the handler\'s 201', async () => {
    for (const errorStatus of [false, true]) {
      const fastify = await shop({ errorStatus });
      fastify.post('/orders', tx, async (request, reply) => {
        await request.sqlite.run('INSERT INTO orders (customer_id, total) VALUES (99, 10)'); // no customer 99: fails at COMMIT
        return reply.code(201).send({ ok: true });
      });
      const response = await fastify.inject({ method: 'POST', url: '/orders' });
      expect(response.statusCode).toBe(errorStatus ? 409 : 500);
      expect(response.json()).toMatchObject({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
      expect(await count(fastify)).toBe(0);
    }
  });

  it('rolls back only the inner savepoint of a nested transaction', async () => {
    const fastify = await shop();
    fastify.post('/orders', tx, async (request) => {
      await request.sqlite.run('INSERT INTO orders (customer_id, total) VALUES (1, 10)');
      await request.sqlite
        .transaction(async (sp) => {
          await sp.run('INSERT INTO orders (customer_id, total) VALUES (1, 20)');
          throw new Error('inner');
        })
        .catch(() => undefined);
      return { ok: true };
    });
    await fastify.inject({ method: 'POST', url: '/orders' });
    expect(await fastify.sqlite.all('SELECT total FROM orders')).toEqual([{ total: 10 }]);
  });

  it('fails fast when the handler calls the database instead of its transaction', async () => {
    const fastify = await shop({ pool: false });
    fastify.post('/orders', tx, async () => fastify.sqlite.run('INSERT INTO orders (customer_id, total) VALUES (1, 10)'));
    const response = await fastify.inject({ method: 'POST', url: '/orders' });
    expect(response.json()).toMatchObject({ code: ErrorCodes.TRANSACTION_DEADLOCK });
    expect(await count(fastify)).toBe(0);
  });

  it('serialises write transactions while reads go on from the pool\'s readers', async () => {
    const fastify = await shop();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const order: string[] = [];
    fastify.post('/slow', tx, async (request) => {
      await request.sqlite.run('INSERT INTO orders (customer_id, total) VALUES (1, 1)');
      order.push('slow: inserted');
      await gate;
      order.push('slow: done');
      return { ok: true };
    });
    fastify.post('/fast', tx, async (request) => {
      order.push('fast: began');
      await request.sqlite.run('INSERT INTO orders (customer_id, total) VALUES (1, 2)');
      return { ok: true };
    });
    fastify.get('/count', async () => ({ n: await count(fastify) }));
    const slow = fastify.inject({ method: 'POST', url: '/slow' });
    while (!order.includes('slow: inserted')) await sleep(5);
    const fast = fastify.inject({ method: 'POST', url: '/fast' });
    await sleep(50);
    expect((await fastify.inject('/count')).json()).toEqual({ n: 0 }); // the open transaction is invisible to readers
    expect(order).toEqual(['slow: inserted']); // the second writer waits for the writer
    release();
    await Promise.all([slow, fast]);
    expect(order).toEqual(['slow: inserted', 'slow: done', 'fast: began']);
    expect(await count(fastify)).toBe(2);
  });

  it('runs a readonly route transaction on a reader, where writes fail', async () => {
    const fastify = await shop();
    fastify.get('/report', { config: { sqlite: { transaction: { readonly: true } } } }, async (request) => {
      const before = await request.sqlite.get<{ n: number }>('SELECT count(*) AS n FROM customers');
      const write = await request.sqlite.run("INSERT INTO customers (email) VALUES ('x')").catch((err: { code: string }) => err.code);
      return { n: before!.n, write };
    });
    expect((await fastify.inject('/report')).json()).toEqual({ n: 1, write: 'SQLITE_READONLY' });
    expect((fastify.sqlite as Pool).stats().writer.acquired).toBeGreaterThan(0);
  });

  it('uses the named database the route names', async () => {
    const fastify = await shop();
    await fastify.register(rapsqlite, { path: tempFile('audit.db'), name: 'audit' });
    await fastify.sqlite['audit']!.exec('CREATE TABLE log (line TEXT)');
    let seen: Transaction | undefined;
    fastify.post('/log', { config: { sqlite: { transaction: { name: 'audit' } } } }, async (request) => {
      seen = request.sqlite as Transaction;
      await request.sqlite.run("INSERT INTO log VALUES ('hello')");
      return { ok: true };
    });
    await fastify.inject({ method: 'POST', url: '/log' });
    expect(seen?.active).toBe(false);
    expect(await fastify.sqlite['audit']!.all('SELECT * FROM log')).toEqual([{ line: 'hello' }]);
  });

  it('rolls back a transaction whose request was aborted before the handler replied', async () => {
    const fastify = await shop();
    let began = false;
    fastify.post('/hang', tx, async (request) => {
      await request.sqlite.run('INSERT INTO orders (customer_id, total) VALUES (1, 10)');
      began = true;
      await new Promise(() => undefined); // never replies
    });
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    const controller = new AbortController();
    const pending = fetch(`http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}/hang`, { method: 'POST', signal: controller.signal }).catch(() => 'aborted');
    while (!began) await sleep(5);
    controller.abort();
    expect(await pending).toBe('aborted');
    // The writer is free again: a plain write goes through and the aborted request's row is gone.
    await fastify.sqlite.run('INSERT INTO orders (customer_id, total) VALUES (1, 99)');
    expect(await fastify.sqlite.all('SELECT total FROM orders')).toEqual([{ total: 99 }]);
  });
});
