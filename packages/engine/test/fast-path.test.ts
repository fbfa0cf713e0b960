import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Database, open, type DatabaseOptions } from '../src/index.ts';
import { loadCompanion } from '../src/native/companion.ts';
import { openConnection, resolveOptions, SingleConnectionProvider, type WorkerConnection } from '../src/plugin.ts';
import { onCleanup, slowQuery, tempDir } from './helpers.ts';
import { slowCount } from './reliability/storm.ts';
import { WorkerWatch } from './reliability/workers.ts';

const companion = loadCompanion() !== undefined;

/** A database on a fresh file with its connection at hand (to count the calls that took the fast path). */
async function openWithConnection(path: string, options: DatabaseOptions = {}): Promise<{ db: Database; connection: WorkerConnection }> {
  const resolved = resolveOptions(options);
  const connection = await openConnection(path, resolved, 'writer');
  const settings = { integers: resolved.integers, timeoutMs: resolved.timeoutMs, statementTiming: false, readonly: false };
  const db = new Database({ provider: new SingleConnectionProvider(connection), settings }, []);
  onCleanup(() => db.close());
  return { db, connection };
}

/**
 * Awaits calls until one took the fast path: the worker serves it once its JavaScript is idle, and a call made
 * before that (the first one after open) goes the regular way. From then on, calls awaited one at a time go fast.
 */
async function untilFast(db: Database, connection: WorkerConnection): Promise<void> {
  const start = connection.fastCalls;
  for (let i = 0; i < 100 && connection.fastCalls === start; i++) await db.get('SELECT 1 AS warm');
  expect(connection.fastCalls).toBeGreaterThan(start);
}

/** The same calls on two databases, one with the fast path, one without: both give the same answer, or fail alike. */
async function both(fast: Database, slow: Database, call: (db: Database) => Promise<unknown>): Promise<unknown> {
  const outcome = async (db: Database): Promise<unknown> => {
    try {
      return { value: await call(db) };
    } catch (err) {
      const e = err as { code?: unknown; message?: unknown; name?: unknown };
      return { error: { code: e.code, message: e.message, name: e.name } };
    }
  };
  const a = await outcome(fast);
  expect(await outcome(slow)).toEqual(a);
  return a;
}

describe.runIf(companion)('the native fast path', () => {
  it('answers awaited calls without a message, with exactly what the regular path answers', async () => {
    const dir = tempDir();
    const { db: fast, connection } = await openWithConnection(join(dir, 'fast.db'));
    const { db: slow, connection: slowConnection } = await openWithConnection(join(dir, 'slow.db'), { fastPath: false });
    for (const db of [fast, slow]) await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, b BLOB, u)');
    await untilFast(fast, connection);
    const before = connection.fastCalls;
    const rows: unknown[][] = [
      [1, 0, 0.5, '', Buffer.alloc(0), null],
      [2, 2 ** 53 - 1, -1.25e300, 'é😀 中文', Buffer.from([0, 1, 255]), 7],
      [3, -(2 ** 53 - 1), Number.NaN, 'x'.repeat(5000), Buffer.alloc(70_000, 9), 'text'],
      [4, 9007199254740993n, 3, 'big', null, 2.5],
      [2n ** 62n, -(2n ** 63n), 0, 'rowid past 2^53', Buffer.from('b'), Buffer.from('u')],
    ];
    for (const row of rows) await both(fast, slow, (db) => db.run('INSERT INTO t (id, i, r, s, b, u) VALUES (?, ?, ?, ?, ?, ?)', row));
    for (const integers of ['number', 'auto', 'bigint'] as const) {
      await both(fast, slow, (db) => db.get('SELECT * FROM t WHERE id = ?', [2], { integers }));
      await both(fast, slow, (db) => db.all('SELECT * FROM t ORDER BY id', [], { integers }));
      await both(fast, slow, (db) => db.all('SELECT i FROM t WHERE id IN (1, 2, 3) ORDER BY id', undefined, { integers }));
      await both(fast, slow, (db) => db.run('UPDATE t SET u = u WHERE id > ?', [0n], { integers }));
      await both(fast, slow, (db) => db.run('INSERT INTO t (s) VALUES (?)', ['after the big rowid'], { integers }));
    }
    await both(fast, slow, (db) => db.get('SELECT 1 AS a, 2 AS a, 3 AS b'));
    await both(fast, slow, (db) => db.get('SELECT * FROM t WHERE id = ?', [-1]));
    await both(fast, slow, (db) => db.all('SELECT * FROM t WHERE id = ?', [-1]));
    await both(fast, slow, (db) => db.get('SELECT ?1 AS one, ?2 AS two, ?1 AS again', ['a', 'b']));
    await both(fast, slow, (db) => db.get('SELECT ? AS lone', 42));
    expect(connection.fastCalls - before).toBeGreaterThan(20);
    expect(slowConnection.fastCalls).toBe(0);
    // The same data on both sides, as read by the regular path.
    expect(await fast.all('SELECT * FROM t ORDER BY id', [], { integers: 'bigint' })).toEqual(await slow.all('SELECT * FROM t ORDER BY id', [], { integers: 'bigint' }));
  });

  it('fails as the regular path fails: constraint, syntax, integer overflow, parameters, a statement without rows', async () => {
    const dir = tempDir();
    const { db: fast, connection } = await openWithConnection(join(dir, 'fast.db'));
    const { db: slow } = await openWithConnection(join(dir, 'slow.db'), { fastPath: false });
    for (const db of [fast, slow]) await db.exec('CREATE TABLE u (a TEXT UNIQUE, n INTEGER); INSERT INTO u VALUES (\'x\', 9007199254740993)');
    const failures = [
      await both(fast, slow, (db) => db.run('INSERT INTO u (a) VALUES (?)', ['x'])),
      await both(fast, slow, (db) => db.get('SELEC 1')),
      await both(fast, slow, (db) => db.get('SELECT n FROM u')),
      await both(fast, slow, (db) => db.all('SELECT n, a FROM u')),
      await both(fast, slow, (db) => db.get('SELECT ? AS a, ? AS b', [1])),
      await both(fast, slow, (db) => db.get('SELECT ? AS a', [1, 2])),
      await both(fast, slow, (db) => db.get('SELECT :x AS x', [1])),
      await both(fast, slow, (db) => db.get("INSERT INTO u (a) VALUES ('y')")),
      await both(fast, slow, (db) => db.run('SELECT 1; SELECT 2')),
      await both(fast, slow, (db) => db.get('SELECT no_such_function(1)')),
    ];
    const codes = failures.map((f) => (f as { error?: { code: unknown } }).error?.code);
    expect(codes).toEqual([
      'SQLITE_CONSTRAINT_UNIQUE',
      'SQLITE_ERROR',
      'ERR_RAPSQLITE_INTEGER_OVERFLOW',
      'ERR_RAPSQLITE_INTEGER_OVERFLOW',
      'ERR_RAPSQLITE_PARAMETER_COUNT',
      'ERR_RAPSQLITE_PARAMETER_COUNT',
      expect.any(String),
      'ERR_RAPSQLITE_NOT_A_QUERY',
      'ERR_RAPSQLITE_INVALID_ARGUMENT',
      'SQLITE_ERROR',
    ]);
    expect((failures[0] as { error: { message: string } }).error.message).toContain('UNIQUE constraint failed: u.a');
    // The INSERT that get() refused ran nowhere: the fast path hands back what it cannot do before it runs it.
    expect(await fast.all("SELECT a FROM u WHERE a = 'y'")).toEqual([]);
    expect(connection.fastCalls).toBeGreaterThan(0);
  });

  it('keeps the order of calls whichever way each goes, with calls made while one is in flight', async () => {
    const { db, connection } = await openWithConnection(join(tempDir(), 'order.db'));
    await db.exec('CREATE TABLE log (n INTEGER)');
    const seen: number[] = [];
    for (let round = 0; round < 50; round++) {
      // An awaited call (fast), then a burst in one tick (the first may go fast, the rest wait for it), then a script.
      await db.run('INSERT INTO log VALUES (?)', [round * 10]);
      const burst = [db.run('INSERT INTO log VALUES (?)', [round * 10 + 1]), db.get('SELECT max(n) AS m FROM log'), db.run('INSERT INTO log VALUES (?)', [round * 10 + 2])];
      const [, max] = await Promise.all(burst);
      seen.push((max as { m: number }).m);
      await db.exec(`INSERT INTO log VALUES (${round * 10 + 3})`);
      expect(await db.get('SELECT count(*) AS c FROM log')).toEqual({ c: (round + 1) * 4 });
    }
    expect(seen).toEqual(Array.from({ length: 50 }, (_, round) => round * 10 + 1));
    // Both ways were taken (how many went fast depends on when the worker got back to waiting in the companion).
    expect(connection.fastCalls).toBeGreaterThan(0);
    expect(connection.fastCalls).toBeLessThan(connection.requests);
  });

  it('runs transactions through it: a commit keeps, a rollback undoes, and others wait for the transaction', async () => {
    const { db, connection } = await openWithConnection(join(tempDir(), 'tx.db'));
    await db.exec('CREATE TABLE t (x INTEGER)');
    await untilFast(db, connection);
    const before = connection.fastCalls;
    await db.transaction(async (tx) => {
      for (let i = 0; i < 20; i++) await tx.run('INSERT INTO t VALUES (?)', [i]);
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.run('INSERT INTO t VALUES (?)', [100]);
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    // Raw BEGIN and COMMIT through run(), as the sqlite3 drop-in and ORMs send them.
    await db.run('BEGIN IMMEDIATE');
    await db.run('INSERT INTO t VALUES (?)', [200]);
    await db.run('ROLLBACK');
    expect(await db.get('SELECT count(*) AS c, max(x) AS m FROM t')).toEqual({ c: 20, m: 19 });
    expect(connection.fastCalls - before).toBeGreaterThan(20);
  });

  it('stops a running call with db.interrupt(), and the connection goes on', async () => {
    const { db, connection } = await openWithConnection(join(tempDir(), 'interrupt.db'));
    await untilFast(db, connection);
    const before = connection.fastCalls;
    const running = db.get(slowQuery(200));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(db.interrupt()).toBe(true);
    await expect(running).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_ABORTED' });
    expect(connection.fastCalls - before).toBe(1);
    expect(await db.get('SELECT 5 AS ok')).toEqual({ ok: 5 });
  });

  it('fails a call whose worker dies under it, and the next call runs on a fresh worker', async () => {
    const watch = new WorkerWatch();
    onCleanup(() => watch.stop());
    const { db, connection } = await openWithConnection(join(tempDir(), 'death.db'));
    await untilFast(db, connection);
    const before = connection.fastCalls;
    const running = db.get(`SELECT ${slowCount(3_000_000)} AS n`);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const generation = connection.generation;
    await WorkerWatch.kill(watch.latest);
    // Terminating a thread cannot stop SQLite's C code: the statement ends first, and its answer, sent from C, may
    // still arrive (on the regular path the JavaScript that would send it is stopped: always WORKER_DIED).
    const outcome = await running.then(
      (row) => row,
      (err: unknown) => (err as { code?: unknown }).code,
    );
    expect([{ n: 3_000_000 }, 'ERR_RAPSQLITE_WORKER_DIED']).toContainEqual(outcome);
    expect(await db.get('SELECT 6 AS ok')).toEqual({ ok: 6 });
    expect(connection.generation).toBeGreaterThan(generation);
    expect(connection.fastCalls).toBeGreaterThan(before);
  });

  it('is off where SQLite could call JavaScript (user functions), and off by option', async () => {
    const { db, connection } = await openWithConnection(join(tempDir(), 'functions.db'));
    await untilFast(db, connection);
    const before = connection.fastCalls;
    await db.function('twice', { module: new URL('./reliability/fixtures/functions.js', import.meta.url), export: 'twice' });
    expect(await db.get('SELECT twice(?) AS x', [21])).toEqual({ x: 42 });
    expect(await db.get('SELECT 2 AS y')).toEqual({ y: 2 });
    expect(connection.fastCalls).toBe(before);
    const { db: off, connection: offConnection } = await openWithConnection(join(tempDir(), 'off.db'), { fastPath: false });
    await off.get('SELECT 1');
    expect(offConnection.fastCalls).toBe(0);
    await expect(open(join(tempDir(), 'bad.db'), { fastPath: 'yes' as unknown as boolean })).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
  });

  it('gives way to a backup running in the background, which finishes', async () => {
    const { db } = await openWithConnection(join(tempDir(), 'backup.db'));
    await db.exec("CREATE TABLE t (x); INSERT INTO t SELECT value FROM json_each('[1,2,3]')");
    const target = join(tempDir(), 'copy.db');
    const backup = db.backup(target);
    for (let i = 0; i < 20; i++) expect(await db.get('SELECT count(*) AS c FROM t')).toEqual({ c: 3 });
    await backup;
    const copy = await open(target);
    onCleanup(() => copy.close());
    expect(await copy.get('SELECT count(*) AS c FROM t')).toEqual({ c: 3 });
  });
});
