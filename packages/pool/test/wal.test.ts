import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasErrorCode } from '@rapsqlite/engine';
import { createPool } from '../src/index.ts';
import { gate, nextEvent, poolTemp, tempDir, turns } from './helpers.ts';

async function fill(pool: Awaited<ReturnType<typeof poolTemp>>, rows: number): Promise<void> {
  await pool.runMany('INSERT INTO blobs (data) VALUES (randomblob(4000))', Array.from({ length: rows }, () => []));
}

describe('WAL', () => {
  it('refuses a database that cannot use WAL with ERR_RAPSQLITE_POOL_NOT_WAL', async () => {
    const err = await createPool(':memory:').catch((e: unknown) => e);
    expect(hasErrorCode(err, 'ERR_RAPSQLITE_POOL_NOT_WAL')).toBe(true);
  });

  it('puts the file in WAL mode and sets journal_size_limit on the writer', async () => {
    const pool = await poolTemp({ journalSizeLimit: 1_000_000 });
    expect(await pool.get('PRAGMA journal_mode')).toEqual({ journal_mode: 'wal' });
    // A connection setting: read it on the writer, inside a write transaction (a plain read would ask a reader).
    expect(await pool.transaction((tx) => tx.get('PRAGMA journal_size_limit'))).toEqual({ journal_size_limit: 1_000_000 });
  });

  it('checkpoints on request and reports the outcome', async () => {
    const pool = await poolTemp({ checkpointIntervalMs: 0 });
    await pool.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)');
    await fill(pool, 50);
    const event = nextEvent(pool, 'checkpoint');
    const result = await pool.checkpoint('truncate');
    expect(result).toMatchObject({ mode: 'truncate', reason: 'manual', busy: false, walBytesAfter: 0 });
    expect(result.walBytesBefore).toBeGreaterThan(0);
    expect(result.checkpointedFrames).toBe(result.logFrames);
    expect(await event).toEqual(result);
    expect(pool.stats().wal).toMatchObject({ bytes: 0, checkpoints: 1, lastCheckpoint: result });
  });

  it('runs a passive checkpoint when the writer is idle after writes', async () => {
    const pool = await poolTemp({ checkpointIntervalMs: 20, maintenanceIntervalMs: 10 });
    await pool.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)');
    const checkpoint = nextEvent(pool, 'checkpoint');
    await fill(pool, 10);
    expect(await checkpoint).toMatchObject({ mode: 'passive', reason: 'idle', busy: false });
    expect(pool.stats().wal.checkpoints).toBeGreaterThanOrEqual(1);
  });

  it('detects checkpoint starvation by a reader holding a snapshot, then truncates the WAL once readers are idle', async () => {
    const pool = await poolTemp({ walStarvationBytes: 256 * 1024, checkpointIntervalMs: 0, maintenanceIntervalMs: 10 });
    await pool.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)');
    await fill(pool, 10);
    await pool.checkpoint('truncate');

    const hold = gate();
    let started!: () => void;
    const snapshot = new Promise<void>((resolve) => (started = resolve));
    const reader = pool.transaction(
      async (tx) => {
        const before = await tx.get('SELECT count(*) AS n FROM blobs');
        started();
        await hold.promise;
        return before;
      },
      { readonly: true },
    );
    await snapshot;
    const starvation = nextEvent(pool, 'starvation');
    for (let i = 0; i < 10; i++) await fill(pool, 20);
    const event = await starvation;
    expect(event.walBytes).toBeGreaterThan(256 * 1024);
    expect(event.checkpointedFrames).toBeLessThan(event.logFrames);
    expect(event.busyReaders).toBe(1);
    expect(pool.stats().wal).toMatchObject({ starved: true, starvations: 1 });

    const truncated = nextEvent(pool, 'checkpoint', (c) => c.mode === 'truncate');
    hold.open();
    expect(await reader).toEqual({ n: 10 });
    expect(await truncated).toMatchObject({ reason: 'starvation', busy: false, walBytesAfter: 0 });
    await turns(5);
    expect(pool.stats().wal).toMatchObject({ starved: false, starvations: 1, bytes: 0 });
  });

  it('removes the WAL file when the pool closes', async () => {
    const path = join(tempDir(), 'close.db');
    const pool = await createPool(path, { minReaders: 2 });
    await pool.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    await pool.run('INSERT INTO t DEFAULT VALUES');
    await pool.get('SELECT * FROM t');
    await pool.close();
    const { existsSync } = await import('node:fs');
    expect(existsSync(`${path}-wal`)).toBe(false);
  });
});
