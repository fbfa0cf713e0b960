import { ErrorCodes, open, type Database } from '@rapsqlite/engine';
import { createPool, type Pool } from '@rapsqlite/pool';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { describe, expect, it } from 'vitest';
import { errorHandler, HonoErrorCodes, sqlite, transaction, type SqliteEnv } from '../src/index.ts';
import { defer, SCHEMA, sleep, tempFile } from './helpers.ts';

async function shop(kind: 'pool' | 'database' = 'pool'): Promise<{ app: Hono<SqliteEnv>; db: Pool | Database }> {
  const db = kind === 'pool' ? await createPool(tempFile(), { maxReaders: 2 }) : await open(tempFile());
  defer(() => db.close());
  await db.exec(SCHEMA);
  await db.run("INSERT INTO customers (id, email) VALUES (1, 'ada@example.com')");
  const app = new Hono<SqliteEnv>();
  app.use(sqlite(db));
  return { app, db };
}

const count = async (db: Pool | Database): Promise<number> => (await db.get<{ n: number }>('SELECT count(*) AS n FROM orders'))!.n;
const post = (app: Hono<SqliteEnv>, path: string) => app.request(path, { method: 'POST' });

describe('sqlite()', () => {
  it('puts the database in the context', async () => {
    const { app, db } = await shop();
    app.get('/customers', async (c) => {
      expect(c.var.sqlite).toBe(db);
      return c.json(await c.var.sqlite.all('SELECT * FROM customers'));
    });
    expect(await (await app.request('/customers')).json()).toEqual([{ id: 1, email: 'ada@example.com' }]);
  });

  it('refuses bad arguments while the app is set up', async () => {
    expect(() => sqlite(null as never)).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT }));
    const db = await open(':memory:');
    await db.close();
    expect(() => sqlite(db)).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT }));
    expect(() => transaction({ mode: 'lazy' as never })).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT }));
    expect(() => transaction({ database: {} as never })).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT }));
    expect(() => errorHandler({ statuses: { SQLITE_BUSY: 600 } })).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT }));
  });
});

describe('transaction()', () => {
  it('commits before the response leaves the app', async () => {
    const { app, db } = await shop();
    app.post('/orders', transaction(), async (c) => {
      expect(c.var.sqlite).not.toBe(db);
      await c.var.sqlite.run('INSERT INTO orders (customer_id, total) VALUES (1, 10)');
      await c.var.sqlite.run('INSERT INTO orders (customer_id, total) VALUES (1, 20)');
      return c.json({ ok: true }, 201);
    });
    const response = await post(app, '/orders');
    expect(response.status).toBe(201);
    expect(await count(db)).toBe(2);
  });

  it('rolls back when the handler throws, keeping Hono\'s error response', async () => {
    const { app, db } = await shop();
    app.post('/orders', transaction(), async (c) => {
      await c.var.sqlite.run('INSERT INTO orders (customer_id, total) VALUES (1, 10)');
      throw new HTTPException(402, { message: 'payment declined' });
    });
    const response = await post(app, '/orders');
    expect(response.status).toBe(402);
    expect(await response.text()).toBe('payment declined');
    expect(await count(db)).toBe(0);
  });

  it('turns a failed COMMIT into the error response instead of the handler\'s 201', async () => {
    const { app, db } = await shop();
    app.onError(errorHandler());
    app.post('/orders', transaction(), async (c) => {
      await c.var.sqlite.run('INSERT INTO orders (customer_id, total) VALUES (99, 10)'); // deferred FK: fails at COMMIT
      return c.json({ ok: true }, 201);
    });
    const response = await post(app, '/orders');
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY', error: 'Conflict' });
    expect(await count(db)).toBe(0);
  });

  it('rolls back only a failed savepoint, and fails fast on a call to the database itself', async () => {
    const { app, db } = await shop('database');
    app.onError((err, c) => c.json({ code: (err as { code?: string }).code }, 500));
    app.post('/nested', transaction(), async (c) => {
      await c.var.sqlite.run('INSERT INTO orders (customer_id, total) VALUES (1, 10)');
      await c.var.sqlite
        .transaction(async (sp) => {
          await sp.run('INSERT INTO orders (customer_id, total) VALUES (1, 20)');
          throw new Error('inner');
        })
        .catch(() => undefined);
      return c.json({ ok: true });
    });
    app.post('/deadlock', transaction(), async (c) => c.json(await db.get('SELECT 1')));
    await post(app, '/nested');
    expect(await db.all('SELECT total FROM orders')).toEqual([{ total: 10 }]);
    expect(await (await post(app, '/deadlock')).json()).toEqual({ code: ErrorCodes.TRANSACTION_DEADLOCK });
  });

  it('serialises writers while the pool\'s readers see only committed rows', async () => {
    const { app, db } = await shop();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const order: string[] = [];
    app.post('/slow', transaction(), async (c) => {
      await c.var.sqlite.run('INSERT INTO orders (customer_id, total) VALUES (1, 1)');
      order.push('slow: inserted');
      await gate;
      order.push('slow: done');
      return c.json({ ok: true });
    });
    app.post('/fast', transaction(), async (c) => {
      order.push('fast: began');
      await c.var.sqlite.run('INSERT INTO orders (customer_id, total) VALUES (1, 2)');
      return c.json({ ok: true });
    });
    app.get('/count', async (c) => c.json({ n: await count(c.var.sqlite as Pool) }));
    const slow = post(app, '/slow');
    while (!order.includes('slow: inserted')) await sleep(5);
    const fast = post(app, '/fast');
    await sleep(50);
    expect(await (await app.request('/count')).json()).toEqual({ n: 0 });
    expect(order).toEqual(['slow: inserted']);
    release();
    await Promise.all([slow, fast]);
    expect(order).toEqual(['slow: inserted', 'slow: done', 'fast: began']);
    expect(await count(db)).toBe(2);
  });

  it('runs a readonly transaction on a reader, where writes fail', async () => {
    const { app } = await shop();
    app.get('/report', transaction({ readonly: true }), async (c) => {
      const code = await c.var.sqlite.run("INSERT INTO customers (email) VALUES ('x')").catch((err: { code: string }) => err.code);
      return c.json({ code });
    });
    expect(await (await app.request('/report')).json()).toEqual({ code: 'SQLITE_READONLY' });
  });

  it('reports a route without sqlite() before it with a coded error', async () => {
    const app = new Hono<SqliteEnv>();
    app.onError((err, c) => c.json({ code: (err as { code?: string }).code }, 500));
    app.post('/x', transaction(), (c) => c.json({}));
    expect(await (await post(app, '/x')).json()).toEqual({ code: HonoErrorCodes.NO_DATABASE });
  });
});

describe('errorHandler()', () => {
  it('maps constraint → 409, busy → 503, timeout → 504 and hands other errors to Hono\'s default', async () => {
    const path = tempFile();
    const pool = await createPool(path, { busyTimeoutMs: 0, maxReaders: 1 });
    defer(() => pool.close());
    await pool.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE)');
    const app = new Hono<SqliteEnv>();
    app.use(sqlite(pool));
    app.onError(errorHandler());
    app.post('/users', transaction(), async (c) => {
      await c.var.sqlite.run("INSERT INTO users (email) VALUES ('ada@example.com')");
      return c.json({ ok: true }, 201);
    });
    app.get('/slow', async (c) =>
      c.json(await c.var.sqlite.get('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 50000000) SELECT count(*) FROM c', [], { timeoutMs: 30 })),
    );
    app.get('/teapot', () => {
      throw new HTTPException(418);
    });
    expect((await post(app, '/users')).status).toBe(201);
    const conflict = await post(app, '/users');
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
    const busy = await post(app, '/users');
    release();
    await holding;
    await other.close();
    expect(busy.status).toBe(503);
    expect(await busy.json()).toMatchObject({ code: 'SQLITE_BUSY' });

    const timeout = await app.request('/slow');
    expect(timeout.status).toBe(504);
    expect(await timeout.json()).toMatchObject({ code: ErrorCodes.TIMEOUT });
    expect((await app.request('/teapot')).status).toBe(418);
  });
});
