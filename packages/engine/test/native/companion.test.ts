import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { companionUnavailableReason, loadCompanion, type Companion } from '../../src/native/companion.ts';
import { startWorker, type TestWorker } from './fixtures/harness.ts';

/** A recursive CTE counting to `n`: about 0.3 µs a row here, so 30 M rows run for several seconds. */
function countTo(n: number): string {
  return `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${n}) SELECT sum(x) AS s FROM c`;
}
const LONG = countTo(30_000_000);
const MEDIUM = countTo(2_000_000);

// Run with RAPSQLITE_NO_COMPANION=1 to test the fallback path: then only the loader tests run. Otherwise a missing
// binary is a failure, not a skip, so that a broken build cannot pass CI unnoticed.
const disabled = process.env['RAPSQLITE_NO_COMPANION'] === '1';

let directory: string;
let dbCount = 0;
const workers: TestWorker[] = [];

function newDatabasePath(): string {
  return join(directory, `db-${++dbCount}.sqlite`);
}

async function worker(path = newDatabasePath()): Promise<TestWorker> {
  const started = await startWorker(path);
  workers.push(started);
  return started;
}

function requireCompanion(): Companion {
  const companion = loadCompanion();
  if (companion === undefined) {
    throw new Error(`native companion unavailable: ${companionUnavailableReason()} (build it: node native/build.mjs)`);
  }
  return companion;
}

beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), 'rapsqlite-companion-'));
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
});

afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

describe('loadCompanion', () => {
  it('returns undefined when RAPSQLITE_NO_COMPANION=1, and the companion again once it is unset', () => {
    const saved = process.env['RAPSQLITE_NO_COMPANION'];
    try {
      process.env['RAPSQLITE_NO_COMPANION'] = '1';
      expect(loadCompanion()).toBeUndefined();
      expect(companionUnavailableReason()).toMatch(/RAPSQLITE_NO_COMPANION/);
      if (disabled) return;
      delete process.env['RAPSQLITE_NO_COMPANION'];
      const companion = requireCompanion();
      expect(loadCompanion()).toBe(companion);
      expect(companionUnavailableReason()).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env['RAPSQLITE_NO_COMPANION'];
      else process.env['RAPSQLITE_NO_COMPANION'] = saved;
    }
  });
});

describe.skipIf(disabled)('native companion', () => {
  let companion: Companion;
  beforeAll(() => {
    companion = requireCompanion();
  });

  it('describes itself and loads as an SQLite extension in the main thread too', () => {
    expect(companion.abiVersion).toBe(4);
    expect(companion.entryPoint).toBe('sqlite3_rapsqlitecompanion_init');
    expect(companion.extensionPath).toMatch(/rapsqlite_companion\.node$/);
    const Database = createRequire(import.meta.url)('better-sqlite3') as new (path: string) => {
      loadExtension(path: string, entry: string): void;
      prepare(sql: string): { pluck(): { get(): unknown } };
      close(): void;
    };
    const db = new Database(':memory:');
    const before = companion.liveSlots();
    db.loadExtension(companion.extensionPath, companion.entryPoint);
    const slot = db.prepare(companion.slotSql).pluck().get() as number;
    expect(Number.isSafeInteger(slot) && slot > 0).toBe(true);
    expect(companion.isLive(slot)).toBe(true);
    expect(companion.liveSlots()).toBe(before + 1);
    db.close();
    expect(companion.isLive(slot)).toBe(false);
    expect(companion.liveSlots()).toBe(before);
  });

  it('schemaProbe changes exactly when a statement was recompiled after a schema change', () => {
    type Db = {
      loadExtension(path: string, entry: string): void;
      exec(sql: string): void;
      prepare(sql: string): { pluck(): { get(): unknown }; raw(on: boolean): { get(...args: unknown[]): unknown } };
      close(): void;
    };
    const Database = createRequire(import.meta.url)('better-sqlite3') as new (path: string) => Db;
    const path = newDatabasePath();
    const db = new Database(path);
    const other = new Database(path);
    try {
      db.loadExtension(companion.extensionPath, companion.entryPoint);
      const slot = db.prepare(companion.slotSql).pluck().get() as number;
      db.exec('CREATE TABLE t (a, b); INSERT INTO t VALUES (1, 2)');
      const select = db.prepare('SELECT * FROM t').raw(true);
      expect(select.get()).toEqual([1, 2]);
      const quiet = companion.schemaProbe(slot);
      expect(select.get()).toEqual([1, 2]);
      expect(companion.schemaProbe(slot)).toBe(quiet);
      other.exec('ALTER TABLE t ADD COLUMN c DEFAULT 3');
      // Nothing ran on db yet: SQLite has not noticed.
      expect(companion.schemaProbe(slot)).toBe(quiet);
      expect(select.get()).toEqual([1, 2, 3]);
      const after = companion.schemaProbe(slot);
      expect(after).not.toBe(quiet);
      expect(companion.schemaProbe(slot)).toBe(after);
      expect(() => companion.schemaProbe(slot + 1e6)).toThrow(expect.objectContaining({ code: 'ERR_RAPSQLITE_CLOSED' }));
    } finally {
      other.close();
      db.close();
    }
  });

  it('stops a long query in a worker with SQLITE_INTERRUPT, and the connection serves the next query', async () => {
    const w = await worker();
    const query = w.send({ op: 'all', sql: LONG });
    await query.started;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const interruptedAt = Number(process.hrtime.bigint()) / 1e6;
    expect(companion.interrupt(w.slot, query.id)).toBe(true);
    const reply = await query.done;
    const receivedAt = Number(process.hrtime.bigint()) / 1e6;
    expect(reply.type).toBe('error');
    expect(reply.type === 'error' && reply.code).toBe('SQLITE_INTERRUPT');
    const inWorker = reply.at - interruptedAt;
    console.log(
      `interrupt latency: ${inWorker.toFixed(3)} ms until the worker saw SQLITE_INTERRUPT, ` +
        `${(receivedAt - interruptedAt).toFixed(3)} ms until the main thread got the error`,
    );
    // A sanity bound only: the query alone runs for seconds.
    expect(inWorker).toBeLessThan(1000);

    expect(await w.call({ op: 'all', sql: 'SELECT 42 AS answer' })).toEqual([{ answer: 42 }]);
    expect(await w.call({ op: 'isInterrupted' })).toBe(false);
  });

  it('ignores an interrupt whose token is not the running request', async () => {
    const w = await worker();
    const query = w.send({ op: 'all', sql: MEDIUM });
    await query.started;
    expect(companion.interrupt(w.slot, query.id + 1_000_000)).toBe(false);
    expect(companion.interrupt(w.slot, 0)).toBe(false);
    const reply = await query.done;
    expect(reply.type).toBe('ok');
    // Once a request is over its token is stale: an interrupt meant for it cannot cancel the next one.
    expect(companion.interrupt(w.slot, query.id)).toBe(false);
    const next = w.send({ op: 'all', sql: MEDIUM });
    await next.started;
    expect(companion.interrupt(w.slot, query.id)).toBe(false);
    expect((await next.done).type).toBe('ok');
  });

  it('cancels a request even when the interrupt lands before its first statement starts', async () => {
    const w = await worker();
    for (const op of ['all', 'exec'] as const) {
      // SQLite clears its interrupt flag when a statement starts on an idle connection: without the companion's
      // sticky cancellation this interrupt would be lost and the query would run for seconds.
      const gate = new SharedArrayBuffer(4);
      const request = w.send({ op, sql: op === 'all' ? LONG : `SELECT 1; ${LONG};`, gate });
      await request.started;
      expect(companion.interrupt(w.slot, request.id)).toBe(true);
      Atomics.store(new Int32Array(gate), 0, 1);
      Atomics.notify(new Int32Array(gate), 0);
      const reply = await request.done;
      expect(reply.type === 'error' && reply.code, op).toBe('SQLITE_INTERRUPT');
    }
    expect(await w.call({ op: 'all', sql: 'SELECT 7 AS seven' })).toEqual([{ seven: 7 }]);
  });

  it('returns false and does not crash for a slot whose connection was closed or whose worker ended', async () => {
    const closing = await worker();
    const terminated = await worker();
    expect(companion.isLive(closing.slot)).toBe(true);
    expect(companion.isLive(terminated.slot)).toBe(true);

    await closing.call({ op: 'close' });
    expect(companion.isLive(closing.slot)).toBe(false);
    expect(companion.interrupt(closing.slot)).toBe(false);
    expect(companion.setActive(closing.slot, 5)).toBe(false);
    const closed = expect.objectContaining({ code: 'ERR_RAPSQLITE_CLOSED' });
    expect(() => companion.takeProfile(closing.slot)).toThrow(closed);

    // No close: better-sqlite3 closes the connection when the worker's environment is torn down.
    await terminated.terminate();
    expect(companion.isLive(terminated.slot)).toBe(false);
    expect(companion.interrupt(terminated.slot)).toBe(false);
    expect(companion.interrupt(terminated.slot, 1)).toBe(false);
  });

  it('survives interrupts racing with connections that open and close', async () => {
    const w = await worker();
    const shared = new SharedArrayBuffer(16);
    const flags = new Int32Array(shared, 0, 2);
    const current = new BigInt64Array(shared, 8, 1);
    const churn = w.send({ op: 'churn', rounds: 200, shared });
    let calls = 0;
    let hits = 0;
    // Spin on the main thread (the worker runs on its own): interrupt whatever slot the worker published last.
    const deadline = Date.now() + 20_000;
    while (Atomics.load(flags, 1) === 0 && Date.now() < deadline) {
      if (Atomics.load(flags, 0) > 0 && companion.interrupt(Number(Atomics.load(current, 0)))) hits++;
      calls++;
    }
    const reply = await churn.done;
    expect(reply.type).toBe('ok');
    expect(calls).toBeGreaterThan(0);
    expect(hits).toBeGreaterThan(0);
    expect(companion.interrupt(Number(Atomics.load(current, 0)))).toBe(false);
  });

  it('gives two workers distinct slots and interrupts only the targeted one', async () => {
    const path = newDatabasePath();
    const [a, b] = await Promise.all([worker(path), worker(path)]);
    expect(a.slot).not.toBe(b.slot);
    const long = a.send({ op: 'all', sql: LONG });
    const medium = b.send({ op: 'all', sql: countTo(4_000_000) });
    await Promise.all([long.started, medium.started]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(companion.interrupt(a.slot, medium.id)).toBe(false);
    expect(companion.interrupt(a.slot, long.id)).toBe(true);
    const [longReply, mediumReply] = await Promise.all([long.done, medium.done]);
    expect(longReply.type === 'error' && longReply.code).toBe('SQLITE_INTERRUPT');
    expect(mediumReply.type).toBe('ok');
    expect(mediumReply.type === 'ok' && mediumReply.result).toEqual([{ s: (4_000_000 * 4_000_001) / 2 }]);
  });

  it('denies ATTACH, writes, pragmas and a table with SQLITE_AUTH, allows the rest, and lifts the rules', async () => {
    const w = await worker();
    await w.call({
      op: 'exec',
      sql: 'CREATE TABLE t(a); CREATE TABLE secret(k); INSERT INTO t VALUES (1); INSERT INTO secret VALUES (2);',
    });
    await w.call({ op: 'keep', sql: 'SELECT k FROM secret' });
    await w.call({
      op: 'authorize',
      rules: {
        deny: ['ATTACH', 'write', 'PRAGMA'],
        denyTables: ['SECRET'],
        allowPragmas: ['table_info', 'user_version'],
      },
    });
    const denied = [
      `ATTACH DATABASE ':memory:' AS other`,
      'INSERT INTO t VALUES (2)',
      'UPDATE t SET a = 3',
      'DELETE FROM t',
      'CREATE TABLE u(x)',
      'PRAGMA journal_mode',
      'PRAGMA user_version = 5',
      'SELECT k FROM secret',
      'SELECT count(*) FROM secret',
      'SELECT a FROM t JOIN secret ON secret.k = t.a',
    ];
    for (const sql of denied) {
      await expect(w.call({ op: 'all', sql }), sql).rejects.toMatchObject({ code: 'SQLITE_AUTH' });
    }
    // Installing an authorizer expires prepared statements: one prepared before is checked again when it runs.
    await expect(w.call({ op: 'runKept', sql: 'SELECT k FROM secret' })).rejects.toMatchObject({ code: 'SQLITE_AUTH' });

    expect(await w.call({ op: 'all', sql: 'SELECT a FROM t' })).toEqual([{ a: 1 }]);
    expect(await w.call({ op: 'all', sql: 'PRAGMA user_version' })).toEqual([{ user_version: 0 }]);
    expect(await w.call({ op: 'all', sql: 'PRAGMA table_info(t)' })).toHaveLength(1);

    await w.call({ op: 'authorize', rules: null });
    await w.call({ op: 'exec', sql: `INSERT INTO t VALUES (2); ATTACH DATABASE ':memory:' AS other; DETACH other;` });
    expect(await w.call({ op: 'all', sql: 'SELECT k FROM secret' })).toEqual([{ k: 2 }]);
    expect(await w.call({ op: 'runKept', sql: 'SELECT k FROM secret' })).toEqual([{ k: 2 }]);
  });

  it('refuses setAuthorizer and takeProfile from a thread that does not own the connection', async () => {
    const w = await worker();
    const notOwner = expect.objectContaining({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
    expect(() => companion.setAuthorizer(w.slot, { deny: ['write'] })).toThrow(notOwner);
    expect(() => companion.takeProfile(w.slot)).toThrow(notOwner);
  });

  it('reports how many statements finished and how long they ran, then resets', async () => {
    const w = await worker();
    await w.call({ op: 'profile' });
    await w.call({ op: 'all', sql: 'SELECT 1' });
    await w.call({ op: 'all', sql: MEDIUM });
    await w.call({ op: 'all', sql: 'SELECT 2' });
    const profile = (await w.call({ op: 'profile' })) as { count: number; totalNs: number; lastNs: number };
    console.log(
      `profile: ${profile.count} statements, ${(profile.totalNs / 1e6).toFixed(3)} ms in SQLite, ` +
        `last ${(profile.lastNs / 1e3).toFixed(1)} µs`,
    );
    expect(profile.count).toBe(3);
    // MEDIUM runs for roughly half a second here; the bounds only catch nonsense (zero, milliseconds as ns…).
    expect(profile.totalNs).toBeGreaterThan(20e6);
    expect(profile.totalNs).toBeLessThan(60e9);
    // SQLite's own profile clock has millisecond steps; the companion's does not, so a trivial query is not 0.
    expect(profile.lastNs).toBeGreaterThan(0);
    expect(profile.lastNs).toBeLessThan(50e6);
    expect(await w.call({ op: 'profile' })).toEqual({ count: 0, totalNs: 0, lastNs: 0 });
  });
});
