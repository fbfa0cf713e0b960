import diagnostics from 'node:diagnostics_channel';
import { hasErrorCode } from '@rapsqlite/engine';
import { describe, expect, it } from 'vitest';
import { CHANNELS } from '@rapsqlite/engine/plugin';
import { type CreateEvent, type DestroyEvent, type LeakEvent, type ReplaceEvent } from '../src/index.ts';
import { FUNCTIONS, nextEvent, onCleanup, poolTemp } from './helpers.ts';

const DIAGNOSTICS_FUNCTIONS = new URL('./fixtures/diagnostics-functions.js', import.meta.url);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('leak detection', () => {
  it('reports a transaction held past leakDetectionMs with the stack that opened it, once', async () => {
    const pool = await poolTemp({ leakDetectionMs: 50 });
    await pool.exec('CREATE TABLE t (v)');
    const leaks: LeakEvent[] = [];
    pool.on('leak', (e) => leaks.push(e));
    await pool.transaction(async (tx) => {
      await tx.run('INSERT INTO t VALUES (1)');
      await sleep(150);
    });
    expect(leaks).toHaveLength(1);
    const [leak] = leaks as [LeakEvent];
    expect(leak).toMatchObject({ role: 'writer', kind: 'transaction', summary: 'BEGIN IMMEDIATE' });
    expect(leak.heldMs).toBeGreaterThanOrEqual(45);
    expect(leak.stack).toContain('diagnostics.test.ts');
    expect(leak.stack).not.toMatch(/packages[\\/]pool[\\/]src/);
    // Committed all the same.
    expect(await pool.get('SELECT count(*) AS n FROM t')).toEqual({ n: 1 });
    expect(pool.diagnose().leaks).toEqual({ reported: 1, open: 0 });
  });

  it('reports an iterate loop left open on a reader, and nothing for those that end in time', async () => {
    // Long enough that a loop over 300 rows and a short transaction end in time even on a loaded machine.
    const pool = await poolTemp({ leakDetectionMs: 500 });
    await pool.exec('CREATE TABLE n (v); WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300) INSERT INTO n SELECT x FROM c');
    const leaks: LeakEvent[] = [];
    pool.on('leak', (e) => leaks.push(e));
    for await (const _ of pool.iterate('SELECT v FROM n')) void _;
    await pool.transaction(async (tx) => tx.get('SELECT 1'));
    await sleep(600);
    expect(leaks).toHaveLength(0);

    const leaked = pool.iterate('SELECT v FROM n', [], { chunkSize: 10 });
    await leaked.next();
    const leak = await nextEvent(pool, 'leak');
    expect(leak).toMatchObject({ role: 'reader', kind: 'iterate', summary: 'SELECT n' });
    expect(leak.stack).toContain('diagnostics.test.ts');
    const snapshot = pool.diagnose();
    expect(snapshot.leaks.open).toBe(1);
    const held = snapshot.readers.connections.flatMap((c) => c.calls);
    expect(held).toEqual([expect.objectContaining({ kind: 'iterate', summary: 'SELECT n', leaked: true })]);
    await leaked.return?.();
    expect(pool.diagnose().leaks.open).toBe(0);
  });

  it('warns with RAPSQLITE_POOL_LEAK when nobody listens to the leak event', async () => {
    const pool = await poolTemp({ leakDetectionMs: 30 });
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    onCleanup(() => void process.off('warning', onWarning));
    await pool.transaction(async () => sleep(90));
    await sleep(10);
    expect(warnings.map((w) => (w as Error & { code?: string }).code)).toContain('RAPSQLITE_POOL_LEAK');
  });
});

describe('maxLifetimeMs', () => {
  it('replaces readers and the writer once idle past their jittered lifetime, keeping data, functions and open transactions', async () => {
    const pool = await poolTemp({ minReaders: 2, maxReaders: 2, maxLifetimeMs: 400, maintenanceIntervalMs: 40 });
    await pool.function('twice', { module: FUNCTIONS, export: 'twice', deterministic: true });
    await pool.exec('CREATE TABLE t (v)');
    const firstWriter = pool.diagnose().writer.connections[0]!.connectionId;
    const readerIds = pool.diagnose().readers.connections.map((c) => c.connectionId);
    const retires = pool.diagnose().readers.connections.map((c) => c.retiresInMs!);
    expect(retires.every((ms) => ms > 0 && ms <= 400)).toBe(true);
    const replaced: ReplaceEvent[] = [];
    const lifecycle: Array<CreateEvent | DestroyEvent> = [];
    pool.on('replace', (e) => replaced.push(e));
    pool.on('destroy', (e) => lifecycle.push(e));
    pool.on('create', (e) => lifecycle.push(e));
    // A transaction that holds the writer past its lifetime is not cut short: the swap waits for it.
    await pool.transaction(async (tx) => {
      await tx.run('INSERT INTO t VALUES (twice(21))');
      await sleep(500);
      await tx.run('INSERT INTO t VALUES (2)');
    });
    for (let i = 0; i < 50 && replaced.filter((e) => e.role === 'writer').length === 0; i++) await sleep(40);
    for (let i = 0; i < 50 && replaced.filter((e) => e.role === 'reader').length < 2; i++) await sleep(40);
    const writers = replaced.filter((e) => e.role === 'writer');
    expect(writers[0]).toMatchObject({ connectionId: firstWriter, reason: 'lifetime' });
    expect(writers[0]!.newConnectionId).not.toBe(firstWriter);
    // A replacement lives its own lifetime too: the pool's writer is the last one swapped in.
    expect(pool.diagnose().writer.connections.map((c) => c.connectionId)).toEqual([writers.at(-1)!.newConnectionId]);
    const readers = replaced.filter((e) => e.role === 'reader');
    expect(readers.length).toBeGreaterThanOrEqual(2);
    expect(readers.map((e) => e.connectionId)).toEqual(expect.arrayContaining(readerIds));
    expect(lifecycle.some((e) => e.reason === 'lifetime' && e.role === 'writer')).toBe(true);
    // The new connections have the data and the function.
    expect(await pool.all('SELECT v FROM t ORDER BY rowid')).toEqual([{ v: 42 }, { v: 2 }]);
    await pool.run('INSERT INTO t VALUES (twice(2))');
    expect(await pool.get('SELECT twice(v) AS x FROM t WHERE v = 4')).toEqual({ x: 8 });
  });
});

describe('the replace event', () => {
  it('is emitted when a worker dies during a call, and when one dies idle (found by the maintenance tick)', async () => {
    const pool = await poolTemp({ minReaders: 1, maxReaders: 1, maintenanceIntervalMs: 30 });
    await pool.function('die', { module: FUNCTIONS, export: 'die' });
    await pool.function('die_soon', { module: DIAGNOSTICS_FUNCTIONS, export: 'die_soon' });
    const replaced: ReplaceEvent[] = [];
    pool.on('replace', (e) => replaced.push(e));
    const failure = await pool.get('SELECT die()').catch((e: unknown) => e);
    expect(hasErrorCode(failure, 'ERR_RAPSQLITE_WORKER_DIED')).toBe(true);
    for (let i = 0; i < 50 && replaced.length === 0; i++) await sleep(20);
    expect(replaced).toEqual([expect.objectContaining({ role: 'reader', reason: 'died' })]);
    const generation = pool.diagnose().readers.connections[0]!.generation;
    expect(generation).toBe(1);

    // This call succeeds; its worker exits a moment later, with nothing running.
    expect(await pool.get('SELECT die_soon() AS x')).toEqual({ x: 1 });
    for (let i = 0; i < 100 && replaced.length < 2; i++) await sleep(20);
    expect(replaced[1]).toMatchObject({ role: 'reader', reason: 'died' });
    expect(replaced[1]!.newConnectionId).toBe(replaced[1]!.connectionId);
    expect(await pool.get('SELECT 7 AS x')).toEqual({ x: 7 });
    expect(pool.diagnose().replacements).toBe(2);
  });
});

describe('pool.diagnose()', () => {
  it('shows each connection’s state and the calls holding it, and the queue’s oldest waiter', async () => {
    const pool = await poolTemp({ minReaders: 1, maxReaders: 1 });
    await pool.exec('CREATE TABLE t (v)');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const tx = pool.transaction(async (t) => {
      await t.run('INSERT INTO t VALUES (1)');
      await gate;
    });
    await sleep(20);
    const waiting = pool.run('INSERT INTO t VALUES (2)');
    await sleep(30);
    const snapshot = pool.diagnose();
    expect(snapshot.path).toMatch(/test\.db$/);
    const [writer] = snapshot.writer.connections;
    expect(writer).toMatchObject({ role: 'writer', state: 'transaction', running: 1, generation: 0, retiresInMs: undefined });
    expect(writer!.calls).toEqual([expect.objectContaining({ kind: 'transaction', summary: 'BEGIN IMMEDIATE', leaked: false })]);
    expect(snapshot.writer.pending).toBe(1);
    expect(snapshot.writer.oldestWaitMs).toBeGreaterThanOrEqual(20);
    expect(snapshot.readers.connections[0]).toMatchObject({ state: 'idle', calls: [] });
    expect(Object.isFrozen(snapshot)).toBe(true);
    release();
    await Promise.all([tx, waiting]);
    expect(pool.diagnose().writer).toMatchObject({ pending: 0, connections: [expect.objectContaining({ state: 'idle', calls: [] })] });
  });
});

describe('pool events on diagnostics_channel', () => {
  it('publishes each event on rapsqlite:pool:<event> with the database path, without any listener on the pool', async () => {
    const received: Array<Record<string, unknown>> = [];
    const onAcquire = (message: unknown) => received.push(message as Record<string, unknown>);
    diagnostics.subscribe(`${CHANNELS.pool}acquire`, onAcquire);
    onCleanup(() => void diagnostics.unsubscribe(`${CHANNELS.pool}acquire`, onAcquire));
    const pool = await poolTemp();
    await pool.get('SELECT 1');
    const mine = received.filter((m) => m['path'] === pool.path);
    expect(mine).toEqual([expect.objectContaining({ role: 'reader', kind: 'get', waitMs: expect.any(Number) })]);
  });
});
