import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { call, closeDb, exec, openDb, ours, real, tempDir, type Sqlite3 } from '../helpers.ts';

// Every known difference from node-sqlite3, asserted on both sides so that the documentation
// (docs/migrating-from-sqlite3.md) stays true: if node-sqlite3 changes, or this package does, a test fails here.
describe('known differences from node-sqlite3', () => {
  const both = async <T>(run: (sqlite3: Sqlite3) => Promise<T>): Promise<{ real: T; ours: T }> => ({ real: await run(real), ours: await run(ours) });

  it('binds a bigint exactly, where node-sqlite3 silently binds NULL', async () => {
    const result = await both(async (sqlite3) => {
      const db = await openDb(sqlite3);
      const { value } = await call(db, 'get', 'SELECT typeof(?1) AS t, ?1 AS v', [9007199254740993n]);
      await closeDb(db);
      return value;
    });
    expect(result.real).toEqual({ t: 'null', v: null });
    expect(result.ours).toEqual({ t: 'integer', v: 9007199254740992 });
  });

  it('fails the call for a bigint outside the 64-bit range with SQLITE_MISMATCH, where node-sqlite3 binds NULL', async () => {
    const result = await both(async (sqlite3) => {
      const db = await openDb(sqlite3);
      const outcome = await call(db, 'get', 'SELECT typeof(?1) AS t', [2n ** 63n]);
      await closeDb(db);
      return outcome.err ? [outcome.err.code, outcome.err.errno] : outcome.value;
    });
    expect(result.real).toEqual({ t: 'null' });
    expect(result.ours).toEqual(['SQLITE_MISMATCH', 20]);
  });

  it('keeps a column named __proto__ as an own property, where node-sqlite3 drops it', async () => {
    const result = await both(async (sqlite3) => {
      const db = await openDb(sqlite3);
      const { value } = await call<Record<string, unknown>>(db, 'get', 'SELECT 1 AS "__proto__", 2 AS b');
      await closeDb(db);
      return { keys: Object.keys(value), proto: Object.getPrototypeOf(value) === Object.prototype };
    });
    expect(result.real).toEqual({ keys: ['b'], proto: true });
    expect(result.ours).toEqual({ keys: ['__proto__', 'b'], proto: true });
  });

  it('rejects double-quoted string literals (SQLite built with SQLITE_DQS=0), which node-sqlite3 accepts', async () => {
    const result = await both(async (sqlite3) => {
      const db = await openDb(sqlite3);
      const outcome = await call(db, 'get', 'SELECT "abc" AS s');
      await closeDb(db);
      return outcome.err?.code ?? outcome.value;
    });
    expect(result).toEqual({ real: { s: 'abc' }, ours: 'SQLITE_ERROR' });
  });

  it('keeps tracing with two trace listeners, where node-sqlite3’s second listener switches tracing off', async () => {
    const result = await both(async (sqlite3) => {
      const db = await openDb(sqlite3);
      const traced: string[] = [];
      db.on('trace', (sql: string) => traced.push(`a ${sql}`));
      db.on('trace', (sql: string) => traced.push(`b ${sql}`));
      await call(db, 'run', 'SELECT 1');
      await new Promise((resolve) => setTimeout(resolve, 20));
      await closeDb(db);
      return traced;
    });
    expect(result.real).toEqual([]);
    expect(result.ours).toEqual(['a SELECT 1', 'b SELECT 1']);
  });

  it("emits both 'trace' and 'profile', where node-sqlite3 emits only the one switched on last", async () => {
    const result = await both(async (sqlite3) => {
      const seen: string[] = [];
      for (const [sql, events] of [
        ['SELECT 1', ['trace', 'profile']],
        ['SELECT 2', ['profile', 'trace']],
      ] as const) {
        const db = await openDb(sqlite3);
        for (const event of events) db.on(event, (text: string) => seen.push(`${event} ${text}`));
        db.run(sql);
        // node-sqlite3 delivers these events asynchronously: closing waits for them.
        await closeDb(db);
      }
      return seen;
    });
    expect(result.real).toEqual(['profile SELECT 1', 'trace SELECT 2']);
    expect(result.ours).toEqual(['trace SELECT 1', 'profile SELECT 1', 'trace SELECT 2', 'profile SELECT 2']);
  });

  it("reports changes to every 'change' listener, where node-sqlite3’s second listener switches the update hook off", async () => {
    const result = await both(async (sqlite3) => {
      const db = await openDb(sqlite3);
      await exec(db, 'CREATE TABLE t (a)');
      const changes: string[] = [];
      db.on('change', (type: string, _db: string, _table: string, rowid: number) => changes.push(`a ${type} ${rowid}`));
      db.on('change', (type: string, _db: string, _table: string, rowid: number) => changes.push(`b ${type} ${rowid}`));
      await call(db, 'run', 'INSERT INTO t VALUES (1)');
      await new Promise((resolve) => setTimeout(resolve, 20));
      await closeDb(db);
      return changes;
    });
    expect(result.real).toEqual([]);
    expect(result.ours).toEqual(['a insert 1', 'b insert 1']);
  });

  it("emits each call's changes before its callback, where node-sqlite3 emits them from its thread in no fixed order", async () => {
    const db = await openDb(ours);
    await exec(db, 'CREATE TABLE t (a)');
    const seen: string[] = [];
    db.on('change', (type: string, _db: string, _table: string, rowid: number) => seen.push(`${type} ${rowid}`));
    for (let i = 1; i <= 20; i++) {
      await new Promise<void>((resolve) => db.run('INSERT INTO t VALUES (?)', i, () => resolve(void seen.push(`callback ${i}`))));
    }
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => [`insert ${i + 1}`, `callback ${i + 1}`]).flat());
    await closeDb(db);
  });

  it('does not trace the statements triggers run, which node-sqlite3 traces as "-- TRIGGER" lines', async () => {
    const result = await both(async (sqlite3) => {
      const db = await openDb(sqlite3);
      await exec(db, 'CREATE TABLE a (x); CREATE TABLE b (x); CREATE TRIGGER tr AFTER INSERT ON a BEGIN INSERT INTO b VALUES (new.x); END');
      const traced: string[] = [];
      db.on('trace', (sql: string) => traced.push(sql));
      await call(db, 'run', 'INSERT INTO a VALUES (1)');
      await new Promise((resolve) => setTimeout(resolve, 20));
      await closeDb(db);
      return traced;
    });
    expect(result.real).toEqual(['INSERT INTO a VALUES (1)', '-- TRIGGER tr', '-- INSERT INTO b VALUES (new.x)']);
    expect(result.ours).toEqual(['INSERT INTO a VALUES (1)']);
  });

  it('runs callbacks in the caller’s async context, which node-sqlite3 loses (always for calls made before the open)', async () => {
    const result = await both(async (sqlite3) => {
      const als = new AsyncLocalStorage<string>();
      const db = new sqlite3.Database(':memory:');
      const queued = await new Promise((resolve) => als.run('queued', () => db.get('SELECT 1', () => resolve(als.getStore()))));
      const after = await new Promise((resolve) => als.run('after', () => db.get('SELECT 1', () => resolve(als.getStore()))));
      await closeDb(db);
      return { queued, after };
    });
    // node-sqlite3's callbacks come from N-API async work: Node 22 carries the context into it, Node 24's
    // AsyncContextFrame does not; neither has a context for calls queued while opening.
    expect(result.real).toEqual({ queued: undefined, after: process.versions.node.startsWith('22.') ? 'after' : undefined });
    expect(result.ours).toEqual({ queued: 'queued', after: 'after' });
  });

  it("ends a get()'s read at once, where node-sqlite3's statement keeps its connection's read transaction until reset", async () => {
    const result = await both(async (sqlite3) => {
      const { dir, cleanup } = tempDir();
      try {
        const file = join(dir, 'read.db');
        const reader = await openDb(sqlite3, file);
        const writer = await openDb(sqlite3, file);
        await exec(reader, 'PRAGMA journal_mode = WAL; CREATE TABLE t (x); INSERT INTO t VALUES (1), (2), (3)');
        const statement = reader.prepare('SELECT x FROM t WHERE x >= ?');
        const first = await call(statement, 'get', [1]);
        // Another connection commits while the statement is positioned on its first row.
        await call(writer, 'run', 'INSERT INTO t VALUES (4)');
        const count = await call<{ n: number }>(reader, 'get', 'SELECT count(*) AS n FROM t');
        const checkpoint = await call<{ log: number; checkpointed: number }>(writer, 'get', 'PRAGMA wal_checkpoint(PASSIVE)');
        const write = await call(reader, 'run', 'INSERT INTO t VALUES (5)');
        await call(statement, 'finalize');
        await closeDb(reader);
        await closeDb(writer);
        return {
          first: first.value,
          seen: count.value.n,
          fullyCheckpointed: checkpoint.value.checkpointed === checkpoint.value.log,
          write: write.err?.code ?? 'ok',
        };
      } finally {
        cleanup();
      }
    });
    // node-sqlite3: the reader still sees its old snapshot, the WAL cannot be checkpointed past it, and its own write
    // fails (its snapshot is stale). Here the read ended with the get: nothing is held between calls.
    expect(result.real).toEqual({ first: { x: 1 }, seen: 3, fullyCheckpointed: false, write: 'SQLITE_BUSY' });
    expect(result.ours).toEqual({ first: { x: 1 }, seen: 4, fullyCheckpointed: true, write: 'ok' });
  });

  it("calls finalize()'s callback after the rows of the each() before it, where node-sqlite3 may call it before them", async () => {
    const result = await both(async (sqlite3) => {
      const db = await openDb(sqlite3);
      await exec(db, 'CREATE TABLE t (x); INSERT INTO t VALUES (1), (2), (3)');
      const order: string[] = [];
      const statement = db.prepare('SELECT x FROM t ORDER BY x');
      await new Promise<void>((resolve) => {
        statement.each(
          (_err: unknown, row: { x: number }) => order.push(`row ${row.x}`),
          (_err: unknown, count: number) => order.push(`complete ${count}`),
        );
        statement.finalize(() => order.push('finalized'));
        db.wait(() => setTimeout(resolve, 20));
      });
      await closeDb(db);
      return order;
    });
    // node-sqlite3 finalizes (and calls back) as soon as its each() work ends, which races the rows that work hands to
    // JavaScript through a separate async handle: the callback usually comes first, at times between two rows or
    // last (measured over 200 runs: 192 first, 1 between, 7 last). Here it always comes last.
    const rows = ['row 1', 'row 2', 'row 3', 'complete 3'];
    expect(result.real.filter((entry) => entry !== 'finalized')).toEqual(rows);
    expect(result.real).toContain('finalized');
    expect(result.ours).toEqual([...rows, 'finalized']);
  });

  it('reports the SQLite library the engine runs in VERSION', () => {
    expect(real.VERSION).toBe('3.52.0');
    expect(ours.VERSION).toMatch(/^3\.\d+\.\d+$/);
  });
});
