import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes, open } from '@rapsqlite/engine';
import { createPool } from '@rapsqlite/pool';
import { LitestreamErrorCodes, replicate, restore, type Litestream, type LitestreamLag } from '../src/index.ts';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function codeOf(error: unknown): string {
  return String((error as { code?: unknown }).code);
}

async function removeDatabase(path: string): Promise<void> {
  for (const suffix of ['', '-wal', '-shm']) await rm(`${path}${suffix}`, { force: true });
}

describe('Litestream beside a pool', () => {
  let dir: string;
  let path: string;
  let replicaPath: string;
  const running: Litestream[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rapsqlite-litestream-'));
    path = join(dir, 'app.db');
    replicaPath = join(dir, 'replica');
  });

  afterEach(async () => {
    for (const replication of running.splice(0)) await replication.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('replicates every commit, reports lag, and restores them all after the database is deleted — or the state at a timestamp', async () => {
    const pool = await createPool(path);
    await pool.exec('CREATE TABLE commits (n INTEGER PRIMARY KEY, note TEXT NOT NULL)');
    const replication = await replicate(pool, { replica: { type: 'file', path: replicaPath }, monitorIntervalMs: 100, syncIntervalMs: 100, lagIntervalMs: 100 });
    running.push(replication);
    const lags: LitestreamLag[] = [];
    replication.on('lag', (lag) => lags.push(lag));

    for (let n = 1; n <= 50; n++) await pool.transaction((tx) => tx.run('INSERT INTO commits (n, note) VALUES (?, ?)', [n, `first ${n}`]));
    const first = await replication.caughtUp();
    expect(first.behind).toBe(false);
    expect(first.behindBytes).toBe(0);
    expect(first.replica).toEqual(first.local);
    // Segments are told apart by time: leave a clear gap around the point to restore to.
    await sleep(1500);
    const between = new Date();
    await sleep(1500);
    for (let n = 51; n <= 80; n++) await pool.run('INSERT INTO commits (n, note) VALUES (?, ?)', [n, `second ${n}`]);
    await pool.runMany('INSERT INTO commits (n, note) VALUES (?, ?)', Array.from({ length: 20 }, (_, i) => [81 + i, `batch ${81 + i}`]));
    const second = await replication.caughtUp();
    expect(second.behind).toBe(false);
    expect(lags.length).toBeGreaterThan(0);
    expect(replication.stats()).toMatchObject({ running: true, restarts: 0 });
    const committed = await pool.all('SELECT n, note FROM commits ORDER BY n');
    expect(committed).toHaveLength(100);

    await pool.close();
    await replication.stop();
    expect(replication.stats().running).toBe(false);
    await removeDatabase(path);
    expect(existsSync(path)).toBe(false);

    await restore(path, { replica: { type: 'file', path: replicaPath } });
    const restored = await open(path, { readonly: true });
    expect(await restored.all('SELECT n, note FROM commits ORDER BY n')).toEqual(committed);
    expect(await restored.get('PRAGMA integrity_check')).toEqual({ integrity_check: 'ok' });
    await restored.close();

    const earlier = join(dir, 'earlier.db');
    await restore(earlier, { replica: { type: 'file', path: replicaPath }, timestamp: between });
    const past = await open(earlier, { readonly: true });
    expect(await past.all('SELECT n, note FROM commits ORDER BY n')).toEqual(committed.slice(0, 50));
    await past.close();
    expect(codeOf(await restore(earlier, { replica: { type: 'file', path: replicaPath } }).catch((e: unknown) => e))).toBe(LitestreamErrorCodes.EXISTS);
  });

  it('reports the replica as behind while WAL waits to be shipped, then caught up', async () => {
    const pool = await createPool(path);
    await pool.exec('CREATE TABLE t (v TEXT)');
    // Frames are captured every 100 ms and shipped every 3 s: in between, the replica is behind.
    const replication = await replicate(path, { replica: { type: 'file', path: replicaPath }, monitorIntervalMs: 100, syncIntervalMs: 3000, lagIntervalMs: 0 });
    running.push(replication);
    await replication.caughtUp();
    await pool.run('INSERT INTO t VALUES (?)', ['x'.repeat(5000)]);
    let lag = await replication.lag();
    const deadline = performance.now() + 2500;
    while (!lag.behind && performance.now() < deadline) {
      await sleep(50);
      lag = await replication.lag();
    }
    expect(lag.behind).toBe(true);
    expect(lag.behindBytes).toBeGreaterThan(0);
    const caught = await replication.caughtUp();
    expect([caught.behind, caught.behindMs]).toEqual([false, 0]);
    await pool.close();
  });

  it('starts Litestream again when it dies', async () => {
    const pool = await createPool(path);
    await pool.exec('CREATE TABLE t (v TEXT)');
    const replication = await replicate(pool, { replica: { type: 'file', path: replicaPath }, monitorIntervalMs: 100, syncIntervalMs: 100, lagIntervalMs: 0 });
    running.push(replication);
    const restarted = new Promise<number>((resolve) => replication.on('restart', ({ attempt }) => resolve(attempt)));
    process.kill(replication.stats().pid as number, 'SIGKILL');
    expect(await restarted).toBe(1);
    const deadline = performance.now() + 10_000;
    while (!replication.stats().running && performance.now() < deadline) await sleep(50);
    await pool.run("INSERT INTO t VALUES ('after restart')");
    const lag = await replication.caughtUp();
    expect(lag.behind).toBe(false);
    expect(replication.stats().restarts).toBe(1);
    expect(replication.stats().lastError).toMatch(/exited/);
    await pool.close();
  });

  it('refuses bad options and fails clearly when there is nothing to restore', async () => {
    expect(codeOf(await replicate(':memory:', { replica: { type: 'file', path: replicaPath } }).catch((e: unknown) => e))).toBe(ErrorCodes.INVALID_ARGUMENT);
    expect(codeOf(await replicate(path, { replica: { type: 'ftp' } as never }).catch((e: unknown) => e))).toBe(ErrorCodes.INVALID_ARGUMENT);
    expect(codeOf(await replicate(path, { replica: { type: 'file', path: replicaPath }, syncIntervalMs: -1 }).catch((e: unknown) => e))).toBe(ErrorCodes.INVALID_ARGUMENT);
    expect(codeOf(await replicate(path, { replica: { type: 'file', path: replicaPath }, binary: '/nowhere/litestream' }).catch((e: unknown) => e))).toBe(LitestreamErrorCodes.BINARY_MISSING);
    expect(codeOf(await restore(path, { replica: { type: 'file', path: join(dir, 'empty') } }).catch((e: unknown) => e))).toBe(LitestreamErrorCodes.NO_BACKUP);
  });
});
