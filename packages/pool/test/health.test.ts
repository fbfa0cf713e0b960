import { describe, expect, it } from 'vitest';
import { hasErrorCode } from '@rapsqlite/engine';
import type { CreateEvent, DestroyEvent } from '../src/index.ts';
import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FUNCTIONS, nextEvent, poolTemp, recorder, tempDir } from './helpers.ts';

const die = { module: FUNCTIONS, export: 'die' } as const;

describe('worker death', () => {
  it('replaces a dead reader and replays its functions', async () => {
    const pool = await poolTemp({ minReaders: 1, maxReaders: 1 });
    await pool.function('die', die);
    await pool.function('twice', { module: FUNCTIONS, export: 'twice', deterministic: true });
    const events: Array<CreateEvent | DestroyEvent> = [];
    pool.on('destroy', (e) => events.push(e));
    pool.on('create', (e) => events.push(e));
    const err = await pool.get('SELECT die()').catch((e: unknown) => e);
    expect(hasErrorCode(err, 'ERR_RAPSQLITE_WORKER_DIED')).toBe(true);
    expect(await pool.get('SELECT twice(21) AS x')).toEqual({ x: 42 });
    expect(events.map((e) => `${e.role}:${'reason' in e ? e.reason : ''}`)).toEqual(['reader:died', 'reader:replace']);
    expect(new Set(events.map((e) => e.connectionId)).size).toBe(1);
    expect(pool.stats().readers).toMatchObject({ total: 1, created: 2, destroyed: 1 });
  });

  it('keeps serving reads on the other readers while one is replaced', async () => {
    // One call per connection: only the call that kills a reader dies with it.
    const pool = await poolTemp({ minReaders: 2, maxReaders: 2, pipelining: 1 });
    await pool.function('die', die);
    await pool.get('SELECT 1 AS x');
    const reads = Array.from({ length: 200 }, (_, i) => (i === 50 ? pool.get('SELECT die()') : pool.get('SELECT 1 AS x')));
    const results = await Promise.allSettled(reads);
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [i] : []));
    expect(failed).toEqual([50]);
    expect(pool.stats().readers.total).toBe(2);
  });

  it('loses and duplicates no write when the writer dies under load', async () => {
    const { middleware, seen } = recorder();
    // One call per connection: only the write that kills the writer fails (pipelining 8 has its own test).
    const pool = await poolTemp({ middleware: [middleware], pipelining: 1 });
    await pool.function('die', die);
    await pool.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT NOT NULL UNIQUE)');
    const writes = Array.from({ length: 300 }, (_, i) =>
      i === 120 ? pool.run('INSERT INTO t (k) VALUES (die())') : pool.run('INSERT INTO t (k) VALUES (?)', [`k${i}`]),
    );
    const reads = Array.from({ length: 100 }, () => pool.get<{ n: number }>('SELECT count(*) AS n FROM t'));
    const results = await Promise.allSettled(writes);
    await Promise.all(reads);
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [[i, (r.reason as { code: string }).code]] : []));
    // With pipelining 1 only the call that killed the worker was in it; the others waited in the pool's queue.
    expect(failed).toEqual([[120, 'ERR_RAPSQLITE_OUTCOME_UNKNOWN']]);
    const rows = await pool.all<{ k: string }>('SELECT k FROM t ORDER BY id');
    expect(rows).toHaveLength(299);
    expect(new Set(rows.map((r) => r.k)).size).toBe(299);
    expect(seen.filter((s) => s.kind === 'run').every((s) => s.role === 'writer')).toBe(true);
  });

  it('loses and duplicates no acknowledged write with pipelining, and reports the rest as of unknown outcome', async () => {
    const pool = await poolTemp({ pipelining: 8 });
    await pool.function('die', die);
    await pool.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT NOT NULL UNIQUE)');
    const writes = Array.from({ length: 300 }, (_, i) =>
      i === 120 ? pool.run('INSERT INTO t (k) VALUES (die())') : pool.run('INSERT INTO t (k) VALUES (?)', [`k${i}`]),
    );
    const results = await Promise.allSettled(writes);
    const ok = new Set(results.flatMap((r, i) => (r.status === 'fulfilled' ? [`k${i}`] : [])));
    const unknown = new Set(
      results.flatMap((r, i) => (r.status === 'rejected' && hasErrorCode(r.reason, 'ERR_RAPSQLITE_OUTCOME_UNKNOWN') ? [`k${i}`] : [])),
    );
    expect(ok.size + unknown.size).toBe(300);
    expect(unknown.has('k120')).toBe(true);
    const stored = (await pool.all<{ k: string }>('SELECT k FROM t')).map((r) => r.k);
    expect(new Set(stored).size).toBe(stored.length);
    for (const k of ok) expect(stored).toContain(k);
    for (const k of stored) expect(ok.has(k) || unknown.has(k)).toBe(true);
    // The writer works again.
    await pool.run('INSERT INTO t (k) VALUES (?)', ['after']);
  });

  it('rolls back a write transaction whose worker died, and the writer recovers', async () => {
    const pool = await poolTemp();
    await pool.function('die', die);
    await pool.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    const err = await pool
      .transaction(async (tx) => {
        await tx.run('INSERT INTO t DEFAULT VALUES');
        await tx.get('SELECT die()');
      })
      .catch((e: unknown) => e);
    expect(hasErrorCode(err, 'ERR_RAPSQLITE_WORKER_DIED')).toBe(true);
    await pool.run('INSERT INTO t DEFAULT VALUES');
    expect(await pool.get('SELECT count(*) AS n FROM t')).toEqual({ n: 1 });
  });

  it('gives readers opened later the functions registered before', async () => {
    const pool = await poolTemp({ minReaders: 0, maxReaders: 2 });
    await pool.function('twice', { module: FUNCTIONS, export: 'twice' });
    expect(pool.stats().readers.total).toBe(0);
    expect(await pool.get('SELECT twice(2) AS x')).toEqual({ x: 4 });
    expect(pool.stats().readers.total).toBe(1);
  });

  it('pings idle connections without keeping them from being reaped', async () => {
    const pool = await poolTemp({ minReaders: 0, maxReaders: 1, keepAliveMs: 5, idleTimeoutMs: 150, maintenanceIntervalMs: 10 });
    await pool.function('calls', { module: FUNCTIONS, export: 'calls_in_worker' });
    expect(await pool.get('SELECT calls() AS n')).toEqual({ n: 1 });
    const reaped = await new Promise<DestroyEvent>((resolve) => pool.on('destroy', resolve));
    expect(reaped.reason).toBe('idle');
    expect(pool.stats().warnings).toBe(0);
  });

  it('fails waiting reads with the cause when no reader can be opened', async () => {
    const dir = tempDir();
    const module = join(dir, 'functions.js');
    copyFileSync(fileURLToPath(FUNCTIONS), module);
    const pool = await poolTemp({ minReaders: 0, maxReaders: 1 });
    await pool.function('twice', { module, export: 'twice' });
    rmSync(module);
    const warned = nextEvent(pool, 'warning');
    const err = await pool.get('SELECT 1').catch((e: unknown) => e);
    expect(hasErrorCode(err, 'ERR_RAPSQLITE_FUNCTION_LOAD')).toBe(true);
    expect((await warned).task).toBe('create');
    expect(pool.stats()).toMatchObject({ readers: { total: 0, pending: 0 }, warnings: 1 });
  });
});
