import { createPool } from '@rapsqlite/pool';
import express from 'express';
import { describe, expect, it, vi } from 'vitest';
import { gracefulShutdown, sqlite } from '../src/index.ts';
import { defer, httpGet, listen, tempFile } from './helpers.ts';

const SLOW = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 400000) SELECT count(*) AS n FROM c';

describe('gracefulShutdown()', () => {
  it('on SIGTERM drains the in-flight request, then closes the database exactly once', async () => {
    const pool = await createPool(tempFile());
    defer(() => pool.close());
    const close = vi.spyOn(pool, 'close');
    const app = express();
    app.use(sqlite(pool));
    let started!: () => void;
    const isStarted = new Promise<void>((resolve) => (started = resolve));
    app.get('/report', async (req, res) => {
      started();
      const row = await req.sqlite.get(SLOW);
      expect(close).not.toHaveBeenCalled(); // still open while the request runs
      res.json(row);
    });
    const { server, url } = await listen(app);
    const done = new Promise<unknown>((resolve) => gracefulShutdown(server, pool, { exit: false, onShutdown: resolve }));
    const pending = httpGet(`${url}/report`);
    await isStarted;
    process.emit('SIGTERM');
    process.emit('SIGTERM'); // a second signal does not close twice
    expect(await done).toBeUndefined();
    const response = await pending;
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ n: 400000 });
    expect(server.listening).toBe(false);
    expect(close).toHaveBeenCalledTimes(1);
    expect(pool.closed).toBe(true);
    expect(process.listenerCount('SIGTERM')).toBe(0);
  });
});
