import { serve } from '@hono/node-server';
import { createPool } from '@rapsqlite/pool';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { gracefulShutdown, sqlite, type SqliteEnv } from '../src/index.ts';
import { defer, httpGet, tempFile } from './helpers.ts';

const SLOW = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 400000) SELECT count(*) AS n FROM c';

describe('gracefulShutdown()', () => {
  it('on SIGTERM drains the in-flight request of a served app, then closes the database exactly once', async () => {
    const pool = await createPool(tempFile());
    defer(() => pool.close());
    const close = vi.spyOn(pool, 'close');
    const app = new Hono<SqliteEnv>();
    app.use(sqlite(pool));
    let started!: () => void;
    const isStarted = new Promise<void>((resolve) => (started = resolve));
    app.get('/report', async (c) => {
      started();
      return c.json(await c.var.sqlite.get(SLOW));
    });
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    const port = (server.address() as AddressInfo).port;
    const done = new Promise<unknown>((resolve) => gracefulShutdown(server, pool, { exit: false, onShutdown: resolve }));
    const pending = httpGet(`http://127.0.0.1:${port}/report`);
    await isStarted;
    process.emit('SIGTERM');
    process.emit('SIGTERM');
    expect(await done).toBeUndefined();
    const response = await pending;
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ n: 400000 });
    expect(server.listening).toBe(false);
    expect(close).toHaveBeenCalledTimes(1);
    expect(process.listenerCount('SIGTERM')).toBe(0);
  });
});
