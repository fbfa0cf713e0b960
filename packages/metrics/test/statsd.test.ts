import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import StatsD from 'hot-shots';
import { describe, expect, it, vi } from 'vitest';
import { statsd, type StatsdClient } from '../src/index.ts';
import { FakePool, nextTurn, onCleanup, openTemp, until } from './helpers.ts';

/** A UDP socket on 127.0.0.1 that collects the StatsD lines it receives. */
async function listen(): Promise<{ port: number; lines: string[]; socket: Socket }> {
  const socket = createSocket('udp4');
  const lines: string[] = [];
  socket.on('message', (message) => lines.push(...message.toString('utf8').split('\n').filter((l) => l !== '')));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  onCleanup(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return { port: (socket.address() as AddressInfo).port, lines, socket };
}

function mockLines(client: StatsdClient): string[] {
  return (client as unknown as { mockBuffer: string[] }).mockBuffer;
}

describe('statsd()', () => {
  it('sends timings in milliseconds, counters and tags over a real UDP socket', async () => {
    const { port, lines } = await listen();
    const stats = statsd({ clientOptions: { host: '127.0.0.1', port } });
    onCleanup(() => stats.close());
    const db = await openTemp({ middleware: [stats] });
    await db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)');
    await db.run('INSERT INTO users (name) VALUES (?)', ['ada']);
    await db.all('SELECT name FROM users');
    await until(() => lines.some((l) => l.startsWith('rapsqlite.query.rows')));

    const timing = lines.find((l) => l.startsWith('rapsqlite.query.duration:') && l.includes('kind:all'));
    expect(timing).toMatch(/^rapsqlite\.query\.duration:\d+(\.\d+)?\|ms\|#kind:all,summary:SELECT_users,role:writer,status:ok$/);
    expect(lines).toContain('rapsqlite.query.rows:1|c|#kind:all,summary:SELECT_users,role:writer');
    await until(() => lines.some((l) => l.startsWith('rapsqlite.query.changes')));
    expect(lines).toContain('rapsqlite.query.changes:1|c|#kind:run,summary:INSERT_users,role:writer');
    expect(lines.join('\n')).not.toContain('ada');
  });

  it('records to mockBuffer in mock mode, with error counters by code', async () => {
    const stats = statsd({ clientOptions: { mock: true }, tags: { service: 'api' } });
    const db = await openTemp({ middleware: [stats] });
    await expect(db.get('SELECT * FROM missing')).rejects.toMatchObject({ code: 'SQLITE_ERROR' });
    // Lines are sent at the end of the event-loop turn, off the query's path.
    expect(mockLines(stats.client)).toEqual([]);
    await nextTurn();
    const lines = mockLines(stats.client);
    expect(lines).toContain('rapsqlite.query.errors:1|c|#service:api,kind:get,summary:SELECT_missing,role:writer,code:SQLITE_ERROR');
    expect(lines.some((l) => /^rapsqlite\.query\.duration:[\d.]+\|ms\|#service:api,kind:get,summary:SELECT_missing,role:writer,status:error$/.test(l))).toBe(true);
  });

  it('writes Telegraf tags, or no tags for a plain StatsD server, and applies the prefix', async () => {
    const telegraf = statsd({ clientOptions: { mock: true, telegraf: true }, prefix: 'app.db.' });
    const plain = statsd({ clientOptions: { mock: true }, tags: false });
    const db = await openTemp({ middleware: [telegraf, plain] });
    await db.get('SELECT 1 AS x');
    await nextTurn();
    expect(mockLines(telegraf.client).find((l) => l.startsWith('app.db.query.duration'))).toMatch(
      /^app\.db\.query\.duration,kind=get,summary=SELECT,role=writer,status=ok:[\d.]+\|ms$/,
    );
    expect(mockLines(plain.client).find((l) => l.startsWith('rapsqlite.query.duration'))).toMatch(/^rapsqlite\.query\.duration:[\d.]+\|ms$/);
  });

  it('sends pool gauges on an interval and pool timings as they happen', async () => {
    const stats = statsd({ clientOptions: { mock: true }, poolIntervalMs: 10 });
    const pool = new FakePool();
    const observation = stats.observePool(pool, { name: 'main' });
    pool.emit('acquire', { role: 'reader', waitMs: 3 });
    pool.emit('release', { role: 'reader', useMs: 12 });
    pool.emit('create', { role: 'writer', createMs: 25 });
    pool.emit('timeout', { role: 'writer', waitMs: 250 });
    const lines = mockLines(stats.client);
    expect(lines).toEqual([
      'rapsqlite.pool.wait_time:3|ms|#pool:main,role:reader',
      'rapsqlite.pool.use_time:12|ms|#pool:main,role:reader',
      'rapsqlite.pool.create_time:25|ms|#pool:main,role:writer',
      'rapsqlite.pool.timeouts:1|c|#pool:main,role:writer',
    ]);
    await until(() => lines.some((l) => l.startsWith('rapsqlite.pool.max_wait') && l.includes('role:reader')));
    expect(lines).toEqual(
      expect.arrayContaining([
        'rapsqlite.pool.connections:0|g|#pool:main,role:writer,state:idle',
        'rapsqlite.pool.connections:1|g|#pool:main,role:writer,state:used',
        'rapsqlite.pool.connections:2|g|#pool:main,role:reader,state:idle',
        'rapsqlite.pool.max:4|g|#pool:main,role:reader',
        'rapsqlite.pool.min:1|g|#pool:main,role:reader',
        'rapsqlite.pool.pending:3|g|#pool:main,role:writer',
        'rapsqlite.pool.max_wait:40|g|#pool:main,role:writer',
      ]),
    );
    observation.stop();
    expect(pool.listenerCount('acquire')).toBe(0);
    await stats.close();
  });

  it('never throws into the query path when the client fails', async () => {
    const errors: unknown[] = [];
    const broken: StatsdClient = {
      timing: () => {
        throw new Error('socket exploded');
      },
      increment: () => undefined,
      gauge: () => undefined,
    };
    const stats = statsd({ client: broken, onError: (e) => errors.push(e) });
    const db = await openTemp({ middleware: [stats] });
    expect(await db.get('SELECT 1 AS x')).toEqual({ x: 1 });
    await nextTurn();
    expect(errors).toHaveLength(1);
  });

  it('sends what is queued when closed', async () => {
    const stats = statsd({ clientOptions: { mock: true } });
    const db = await openTemp({ middleware: [stats] });
    await db.get('SELECT 1 AS x');
    const lines = mockLines(stats.client);
    await stats.close();
    expect(lines.some((l) => l.startsWith('rapsqlite.query.duration:'))).toBe(true);
  });

  it('closes the client it made but not one it was given', async () => {
    const given = new StatsD({ mock: true });
    const close = vi.spyOn(given, 'close');
    await statsd({ client: given }).close();
    expect(close).not.toHaveBeenCalled();
    given.close();

    const owned = statsd({ clientOptions: { mock: true } });
    const ownedClose = vi.spyOn(owned.client as InstanceType<typeof StatsD>, 'close');
    await owned.close();
    expect(ownedClose).toHaveBeenCalledTimes(1);
  });
});
