import { ErrorCodes, open, RapsqliteError } from '@rapsqlite/engine';
import { createPool } from '@rapsqlite/pool';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { gracefulShutdown } from '../src/index.ts';
import { defer, httpGet, listen, tempDir, tempFile } from './helpers.ts';

const SLOW = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 400000) SELECT count(*) AS n FROM c';

describe('gracefulShutdown()', () => {
  it('on SIGTERM drains the in-flight request of a node:http server, then closes the pool exactly once', async () => {
    const pool = await createPool(tempFile());
    defer(() => pool.close());
    await pool.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER NOT NULL)');
    const close = vi.spyOn(pool, 'close');
    let started!: () => void;
    const isStarted = new Promise<void>((resolve) => (started = resolve));
    const { server, url } = await listen(
      createServer((_req, res) => {
        started();
        void (async () => {
          const row = await pool.get(SLOW);
          await pool.transaction(async (tx) => {
            await tx.run('INSERT INTO orders (total) VALUES (?)', [9007199254740993n]);
          });
          expect(close).not.toHaveBeenCalled(); // still open while the request runs
          res.end(JSON.stringify(row));
        })();
      }),
    );
    const done = new Promise<unknown>((resolve) => gracefulShutdown(server, pool, { exit: false, onShutdown: resolve }));
    expect(process.listenerCount('SIGTERM')).toBe(1);
    expect(process.listenerCount('SIGINT')).toBe(1);
    const pending = httpGet(`${url}/report`);
    await isStarted;
    process.emit('SIGTERM');
    process.emit('SIGTERM'); // a second signal does not close twice
    expect(await done).toBeUndefined();
    const response = await pending;
    expect(response).toEqual({ status: 200, body: JSON.stringify({ n: 400000 }) });
    expect(server.listening).toBe(false);
    expect(close).toHaveBeenCalledTimes(1);
    expect(pool.closed).toBe(true);
    expect(process.listenerCount('SIGTERM')).toBe(0);
    expect(process.listenerCount('SIGINT')).toBe(0);
    // The request's write committed before the pool closed.
    await using reopened = await open(pool.path, { readonly: true, integers: 'bigint' });
    expect(await reopened.all('SELECT total FROM orders')).toEqual([{ total: 9007199254740993n }]);
  });

  it('cuts a request that outlives timeoutMs, then closes the database', async () => {
    const db = await open(tempFile());
    const { server, url } = await listen(createServer(() => undefined)); // never answers
    const shutdown = gracefulShutdown(server, db, { exit: false, timeoutMs: 50, signals: ['SIGUSR2'] });
    const received = once(server, 'request');
    const pending = httpGet(url).then(
      () => 'answered',
      (err: NodeJS.ErrnoException) => err.code,
    );
    await received;
    await shutdown.shutdown();
    expect(await pending).toBe('ECONNRESET');
    expect(db.closed).toBe(true);
    expect(server.listening).toBe(false);
  });

  it('drains a server without closeIdleConnections and closeAllConnections (a bare TCP server)', async () => {
    const db = await open(tempFile());
    const server = createTcpServer((socket) => socket.end('bye'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    defer(() => (server.listening ? new Promise<void>((resolve) => server.close(() => resolve())) : undefined));
    const shutdown = gracefulShutdown(server, db, { exit: false, timeoutMs: 10, signals: ['SIGUSR2'] });
    await shutdown.shutdown();
    expect(server.listening).toBe(false);
    expect(db.closed).toBe(true);
  });

  it('shares one shutdown between calls, and removes its handlers on dispose', async () => {
    const db = await open(tempFile());
    const close = vi.spyOn(db, 'close');
    const { server } = await listen(createServer());
    const handle = gracefulShutdown(server, db, { exit: false, signals: ['SIGUSR2'] });
    expect(process.listenerCount('SIGUSR2')).toBe(1);
    handle.dispose();
    expect(process.listenerCount('SIGUSR2')).toBe(0);
    const first = handle.shutdown();
    expect(handle.shutdown()).toBe(first);
    await first;
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('reports a failed close to onShutdown and rejects shutdown() with it', async () => {
    const db = await open(tempFile());
    const realClose = db.close.bind(db);
    vi.spyOn(db, 'close').mockImplementation(async () => {
      await realClose();
      throw new RapsqliteError('SQLITE_IOERR', 'the disk went away');
    });
    const { server } = await listen(createServer());
    const onShutdown = vi.fn();
    const shutdown = gracefulShutdown(server, db, { exit: false, signals: ['SIGUSR2'], onShutdown });
    await expect(shutdown.shutdown()).rejects.toMatchObject({ code: 'SQLITE_IOERR' });
    expect(onShutdown).toHaveBeenCalledExactlyOnceWith(expect.objectContaining({ code: 'SQLITE_IOERR' }));
  });

  it('with exit (the default) ends the process by the signal it received, after closing the database', async () => {
    const dir = tempDir();
    const marker = join(dir, 'shutdown.json');
    const child = spawn(process.execPath, [join(import.meta.dirname, 'fixtures/serve-until-signal.mjs'), join(dir, 'app.db'), marker], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    defer(() => void child.kill('SIGKILL'));
    const [port] = (await once(child.stdout, 'data')) as [Buffer];
    expect(await httpGet(`http://127.0.0.1:${String(port).trim()}/`)).toMatchObject({ status: 200, body: 'ok' });
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGTERM' });
    expect(JSON.parse(readFileSync(marker, 'utf8'))).toEqual({ closed: true, error: null });
    await using db = await open(join(dir, 'app.db'), { readonly: true });
    expect(await db.get('SELECT count(*) AS n FROM hits')).toEqual({ n: 1 });
  });

  it('refuses bad arguments at once', async () => {
    const db = await open(':memory:');
    defer(() => db.close());
    const { server } = await listen(createServer());
    const invalid = expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT });
    expect(() => gracefulShutdown({} as never, db)).toThrow(invalid);
    expect(() => gracefulShutdown(undefined as never, db)).toThrow(invalid);
    expect(() => gracefulShutdown({ close() {}, closeAllConnections: true } as never, db)).toThrow(invalid);
    expect(() => gracefulShutdown(server, {} as never)).toThrow(invalid);
    expect(() => gracefulShutdown(server, db, null as never)).toThrow(invalid);
    expect(() => gracefulShutdown(server, db, { signals: ['SIGKILL'] })).toThrow(invalid);
    expect(() => gracefulShutdown(server, db, { signals: 'SIGTERM' as never })).toThrow(invalid);
    expect(() => gracefulShutdown(server, db, { timeoutMs: -1 })).toThrow(invalid);
    expect(() => gracefulShutdown(server, db, { timeoutMs: Number.NaN })).toThrow(invalid);
    expect(() => gracefulShutdown(server, db, { exit: 'no' as never })).toThrow(invalid);
    expect(() => gracefulShutdown(server, db, { onShutdown: 'log' as never })).toThrow(invalid);
    expect(() => gracefulShutdown(server, db, { timeout: 5 } as never)).toThrow(invalid);
    expect(process.listenerCount('SIGTERM')).toBe(0);
  });
});
