import { ErrorCodes, open, type Database } from '@rapsqlite/engine';
import { createPool, type Pool } from '@rapsqlite/pool';
import express, { type Express } from 'express';
import { describe, expect, it } from 'vitest';
import { errorHandler, ExpressErrorCodes, sqlite, transactional } from '../src/index.ts';
import { defer, listen, SCHEMA, sleep, tempFile } from './helpers.ts';

async function shop(kind: 'pool' | 'database' = 'pool'): Promise<{ app: Express; db: Pool | Database }> {
  const db = kind === 'pool' ? await createPool(tempFile(), { maxReaders: 2 }) : await open(tempFile());
  defer(() => db.close());
  await db.exec(SCHEMA);
  await db.run("INSERT INTO customers (id, email) VALUES (1, 'ada@example.com')");
  const app = express();
  app.use(express.json());
  app.use(sqlite(db));
  return { app, db };
}

const count = async (db: Pool | Database): Promise<number> => (await db.get<{ n: number }>('SELECT count(*) AS n FROM orders'))!.n;
const post = (url: string, body: unknown = {}): Promise<Response> =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('sqlite()', () => {
  it('puts the database on every request', async () => {
    const { app, db } = await shop();
    app.get('/customers', async (req, res) => {
      expect(req.sqlite).toBe(db);
      res.json(await req.sqlite.all('SELECT * FROM customers'));
    });
    const { url } = await listen(app);
    expect(await (await fetch(`${url}/customers`)).json()).toEqual([{ id: 1, email: 'ada@example.com' }]);
  });

  it('refuses a missing or closed database while the app is set up', async () => {
    expect(() => sqlite(undefined as never)).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT }));
    const db = await open(':memory:');
    await db.close();
    expect(() => sqlite(db)).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT }));
    expect(() => transactional(42 as never)).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT }));
    expect(() => transactional(() => undefined, { mode: 'eager' as never })).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT }));
    expect(() => errorHandler({ statuses: { SQLITE_BUSY: 302 } })).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT }));
  });
});

describe('transactional()', () => {
  it('commits before the response is written', async () => {
    const { app, db } = await shop();
    app.post(
      '/orders',
      transactional(async (req, res) => {
        await req.sqlite.run('INSERT INTO orders (customer_id, total) VALUES (1, ?)', [req.body.total]);
        await req.sqlite.run('INSERT INTO orders (customer_id, total) VALUES (1, ?)', [req.body.total * 2]);
        res.status(201).json({ ok: true });
        // The response is held until COMMIT: nothing has been written yet.
        expect(res.headersSent).toBe(false);
      }),
    );
    const { url } = await listen(app);
    const response = await post(`${url}/orders`, { total: 10 });
    expect(response.status).toBe(201);
    expect(await count(db)).toBe(2);
  });

  it('rolls back on a throw, a rejection or next(err), and passes the error on', async () => {
    const { app, db } = await shop();
    app.post(
      '/throw',
      transactional((req) => {
        void req.sqlite.run('INSERT INTO orders (customer_id, total) VALUES (1, 1)');
        throw new Error('sync');
      }),
    );
    app.post(
      '/reject',
      transactional(async (req) => {
        await req.sqlite.run('INSERT INTO orders (customer_id, total) VALUES (1, 2)');
        throw Object.assign(new Error('declined'), { status: 402 });
      }),
    );
    app.post(
      '/next',
      transactional(async (req, _res, next) => {
        await req.sqlite.run('INSERT INTO orders (customer_id, total) VALUES (1, 3)');
        next(Object.assign(new Error('nope'), { status: 418 }));
      }),
    );
    const { url } = await listen(app);
    expect((await post(`${url}/throw`)).status).toBe(500);
    expect((await post(`${url}/reject`)).status).toBe(402);
    expect((await post(`${url}/next`)).status).toBe(418);
    expect(await count(db)).toBe(0);
  });

  it('answers a failed COMMIT with the error, not the handler\'s 201', async () => {
    const { app, db } = await shop();
    app.post(
      '/orders',
      transactional(async (req, res) => {
        await req.sqlite.run('INSERT INTO orders (customer_id, total) VALUES (99, 10)'); // deferred FK: fails at COMMIT
        res.status(201).json({ ok: true });
      }),
    );
    app.use(errorHandler());
    const { url } = await listen(app);
    const response = await post(`${url}/orders`);
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY', error: 'Conflict' });
    expect(await count(db)).toBe(0);
  });

  it('commits on next() and continues outside the transaction', async () => {
    const { app, db } = await shop();
    app.post(
      '/orders',
      transactional(async (req, _res, next) => {
        await req.sqlite.run('INSERT INTO orders (customer_id, total) VALUES (1, 10)');
        next();
      }),
      async (req, res) => {
        expect(req.sqlite).toBe(db);
        res.json({ n: await count(req.sqlite as Pool) });
      },
    );
    const { url } = await listen(app);
    expect(await (await post(`${url}/orders`)).json()).toEqual({ n: 1 });
  });

  it('rolls back only a failed savepoint, and fails fast on a call to the database itself', async () => {
    const { app, db } = await shop('database');
    app.post(
      '/nested',
      transactional(async (req, res) => {
        await req.sqlite.run('INSERT INTO orders (customer_id, total) VALUES (1, 10)');
        await req.sqlite.transaction(async (sp) => {
          await sp.run('INSERT INTO orders (customer_id, total) VALUES (1, 20)');
          throw new Error('inner');
        }).catch(() => undefined);
        res.json({ ok: true });
      }),
    );
    app.post(
      '/deadlock',
      transactional(async (_req, res) => {
        res.json(await db.get('SELECT 1'));
      }),
    );
    app.use(((err, _req, res, _next) => res.status(500).json({ code: err.code })) as express.ErrorRequestHandler);
    const { url } = await listen(app);
    await post(`${url}/nested`);
    expect(await db.all('SELECT total FROM orders')).toEqual([{ total: 10 }]);
    expect(await (await post(`${url}/deadlock`)).json()).toEqual({ code: ErrorCodes.TRANSACTION_DEADLOCK });
  });

  it('serialises writers while the pool\'s readers see only committed rows', async () => {
    const { app, db } = await shop();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const order: string[] = [];
    app.post('/slow', transactional(async (req, res) => {
      await req.sqlite.run('INSERT INTO orders (customer_id, total) VALUES (1, 1)');
      order.push('slow: inserted');
      await gate;
      order.push('slow: done');
      res.json({ ok: true });
    }));
    app.post('/fast', transactional(async (req, res) => {
      order.push('fast: began');
      await req.sqlite.run('INSERT INTO orders (customer_id, total) VALUES (1, 2)');
      res.json({ ok: true });
    }));
    const { url } = await listen(app);
    const slow = post(`${url}/slow`);
    while (!order.includes('slow: inserted')) await sleep(5);
    const fast = post(`${url}/fast`);
    await sleep(50);
    expect(await count(db)).toBe(0);
    expect(order).toEqual(['slow: inserted']);
    release();
    await Promise.all([slow, fast]);
    expect(order).toEqual(['slow: inserted', 'slow: done', 'fast: began']);
    expect(await count(db)).toBe(2);
  });

  it('rolls back when the client leaves before the handler answers', async () => {
    const { app, db } = await shop();
    let began = false;
    app.post('/hang', transactional(async (req) => {
      await req.sqlite.run('INSERT INTO orders (customer_id, total) VALUES (1, 1)');
      began = true;
      await new Promise(() => undefined);
    }));
    const { url } = await listen(app);
    const controller = new AbortController();
    const pending = fetch(`${url}/hang`, { method: 'POST', signal: controller.signal }).catch(() => 'aborted');
    while (!began) await sleep(5);
    controller.abort();
    expect(await pending).toBe('aborted');
    await db.run('INSERT INTO orders (customer_id, total) VALUES (1, 99)'); // the writer is free again
    expect(await db.all('SELECT total FROM orders')).toEqual([{ total: 99 }]);
  });

  it('reports a handler without sqlite() before it with a coded error', async () => {
    const app = express();
    app.post('/x', transactional((_req, res) => void res.json({})));
    app.use(((err, _req, res, _next) => res.status(500).json({ code: err.code })) as express.ErrorRequestHandler);
    const { url } = await listen(app);
    expect(await (await post(`${url}/x`)).json()).toEqual({ code: ExpressErrorCodes.NO_DATABASE });
  });
});

describe('errorHandler()', () => {
  it('maps constraint → 409, busy → 503, timeout → 504 and leaves other errors alone', async () => {
    const path = tempFile();
    const pool = await createPool(path, { busyTimeoutMs: 0, maxReaders: 1 });
    defer(() => pool.close());
    await pool.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE)');
    const app = express();
    app.use(sqlite(pool));
    app.post('/users', transactional(async (req, res) => {
      await req.sqlite.run("INSERT INTO users (email) VALUES ('ada@example.com')");
      res.status(201).json({ ok: true });
    }));
    app.get('/slow', async (req, res) => {
      res.json(await req.sqlite.get('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 50000000) SELECT count(*) FROM c', [], { timeoutMs: 30 }));
    });
    app.get('/boom', () => {
      throw new Error('not a database error');
    });
    app.use(errorHandler());
    const { url } = await listen(app);
    expect((await post(`${url}/users`)).status).toBe(201);
    const conflict = await post(`${url}/users`);
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toMatchObject({ statusCode: 409, code: 'SQLITE_CONSTRAINT_UNIQUE' });

    const other = await open(path); // holds the write lock, as another process would
    let release!: () => void;
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holding = other.transaction(() => {
      locked();
      return new Promise<void>((resolve) => (release = resolve));
    });
    await isLocked;
    const busy = await post(`${url}/users`);
    release();
    await holding;
    await other.close();
    expect(busy.status).toBe(503);
    expect(await busy.json()).toMatchObject({ code: 'SQLITE_BUSY' });

    const timeout = await fetch(`${url}/slow`);
    expect(timeout.status).toBe(504);
    expect(await timeout.json()).toMatchObject({ code: ErrorCodes.TIMEOUT });
    expect((await fetch(`${url}/boom`)).status).toBe(500);
  });
});
