import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Database, type Middleware, type Operation } from '../../src/index.ts';
import { openConnection, resolveOptions, SingleConnectionProvider, type WorkerConnection } from '../../src/plugin.ts';
import { onCleanup, openTemp, tempDir } from '../helpers.ts';

/** A database built as a provider author builds one, keeping its connection at hand. */
async function openWithConnection(statementCacheSize?: number): Promise<{ db: Database; connection: WorkerConnection }> {
  // The regular path's statement cache is what these tests count: the native fast path prepares nothing there.
  const resolved = resolveOptions(statementCacheSize === undefined ? { fastPath: false } : { statementCacheSize, fastPath: false });
  const connection = await openConnection(join(tempDir(), 'seam.db'), resolved, 'writer');
  const settings = { integers: resolved.integers, timeoutMs: resolved.timeoutMs, statementTiming: false, readonly: false };
  const db = new Database({ provider: new SingleConnectionProvider(connection), settings }, []);
  onCleanup(() => db.close());
  return { db, connection };
}

describe('the handle and its provider (issue 11)', () => {
  it('prepares a statement once for all() (and not at all the second time)', async () => {
    const { db, connection } = await openWithConnection();
    await db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1), (2)');
    const start = (await connection.execute({ kind: 'inspect', sql: '' })).statementsPrepared;
    expect(await db.all('SELECT x FROM t ORDER BY x')).toEqual([{ x: 1 }, { x: 2 }]);
    const afterFirst = (await connection.execute({ kind: 'inspect', sql: '' })).statementsPrepared;
    await db.all('SELECT x FROM t ORDER BY x');
    const afterSecond = (await connection.execute({ kind: 'inspect', sql: '' })).statementsPrepared;
    expect([afterFirst - start, afterSecond - afterFirst]).toEqual([1, 0]);
  });

  it('prepares once per all() without a statement cache (it used to prepare twice: run, then again to send rows)', async () => {
    const { db, connection } = await openWithConnection(0);
    await db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1), (2)');
    const start = (await connection.execute({ kind: 'inspect', sql: '' })).statementsPrepared;
    await db.all('SELECT x FROM t');
    await db.all('SELECT x FROM t');
    expect((await connection.execute({ kind: 'inspect', sql: '' })).statementsPrepared - start).toBe(2);
  });

  it('leaves op.connection unset before next and sets it once next settles, for every operation', async () => {
    const seen: Array<{ kind: string; before: unknown; after: unknown }> = [];
    const spy: Middleware = {
      name: 'spy',
      wrap: (next) => async (op: Operation) => {
        const before = op.connection;
        try {
          return await next(op);
        } finally {
          seen.push({ kind: op.kind, before, after: op.connection });
        }
      },
    };
    const db = (await openTemp()).with(spy);
    await db.exec('CREATE TABLE t (x)');
    await db.run('INSERT INTO t VALUES (1)');
    await db.get('SELECT x FROM t');
    await db.all('SELECT x FROM t');
    await db.values('SELECT x FROM t');
    await db.runMany('INSERT INTO t VALUES (?)', [[2], [3]]);
    for await (const _row of db.iterate('SELECT x FROM t')) void _row;
    await db.prepare('SELECT x FROM t');
    await db.transaction(async (tx) => tx.run('INSERT INTO t VALUES (4)'));
    expect(new Set(seen.map((s) => s.kind))).toEqual(new Set(['exec', 'run', 'get', 'all', 'values', 'runMany', 'iterate', 'prepare', 'transaction', 'begin', 'commit']));
    for (const entry of seen) {
      expect(entry.before).toBeUndefined();
      expect(entry.after).toMatchObject({ role: 'writer', id: expect.any(Number) });
    }
  });

  it('leaves op.connection unset for an operation a middleware answered itself', async () => {
    let after: unknown = 'not seen';
    const db = (await openTemp()).with(
      {
        name: 'spy',
        wrap: (next) => async (op) => {
          try {
            return await next(op);
          } finally {
            after = op.connection;
          }
        },
      },
      { name: 'canned', wrap: () => async () => [{ id: 1 }] },
    );
    expect(await db.all('SELECT * FROM nowhere')).toEqual([{ id: 1 }]);
    expect(after).toBeUndefined();
  });

  it('keeps a running transaction on the chain it began with, whatever use() adds meanwhile', async () => {
    const db = await openTemp();
    const kinds: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const tx = db.transaction(async (t) => {
      await gate;
      await t.get('SELECT 1');
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    db.use({ name: 'late', wrap: (next) => (op) => (kinds.push(op.kind), next(op)) });
    release();
    await tx;
    // The transaction's statements did not see the late middleware; a new call does.
    expect(kinds).toEqual([]);
    await db.get('SELECT 1');
    expect(kinds).toEqual(['get']);
  });

  it('runs begin() transactions that the caller commits or rolls back, and nests savepoints', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE t (x)');
    const tx = await db.begin();
    await tx.run('INSERT INTO t VALUES (1)');
    const inner = await tx.begin();
    await inner.run('INSERT INTO t VALUES (2)');
    await inner.rollback();
    // Other calls wait for the transaction; a call made "inside" it is a deadlock, reported at once.
    const outside = db.get<{ n: number }>('SELECT count(*) AS n FROM t');
    await expect(tx.within(() => db.get('SELECT 1'))).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_TRANSACTION_DEADLOCK' });
    await tx.commit();
    expect(await outside).toEqual({ n: 1 });
    expect(tx.active).toBe(false);
    const doomed = await db.begin();
    await doomed.run('INSERT INTO t VALUES (3)');
    await doomed.rollback();
    await doomed.rollback();
    expect(await db.all('SELECT x FROM t')).toEqual([{ x: 1 }]);
    await expect(doomed.run('INSERT INTO t VALUES (4)')).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_TRANSACTION_CLOSED' });
  });

  it('ends a begin() transaction at its deadline, rolled back, and commit() reports it', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE t (x)');
    const tx = await db.begin({ timeoutMs: 50 });
    await tx.run('INSERT INTO t VALUES (1)');
    await new Promise((resolve) => setTimeout(resolve, 120));
    await expect(tx.commit()).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_TIMEOUT' });
    await tx.rollback();
    expect(await db.get('SELECT count(*) AS n FROM t')).toEqual({ n: 0 });
  });
});
