import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '@rapsqlite/engine';
import type { DqliteDatabase } from '../src/index.ts';
import { codeOf, openFresh, rejection } from './helpers/handles.ts';

/** A query that keeps the server busy for a few hundred milliseconds here, then ends by itself. */
const SLOW = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 400000) SELECT count(*) AS n FROM c';

describe('cancellation on dqlite', () => {
  let db: DqliteDatabase;
  afterEach(async () => {
    await db?.close();
  });

  it('rejects a running read at its timeoutMs with ERR_RAPSQLITE_TIMEOUT, drops its late answer, and stays usable', async () => {
    db = await openFresh();
    expect(codeOf(await rejection(db.get(SLOW, [], { timeoutMs: 30 })))).toBe(ErrorCodes.TIMEOUT);
    expect(await db.get('SELECT 1 AS ok')).toEqual({ ok: 1 });
    expect(await db.get(SLOW)).toEqual({ n: 400000 });
  });

  it('rejects a running read when its signal aborts with ERR_RAPSQLITE_ABORTED, and db.interrupt() stops reads in flight', async () => {
    // One reader, connected first, so the reads below are in flight at once.
    db = await openFresh({ readers: 1 });
    await db.get('SELECT 1');
    const controller = new AbortController();
    const running = db.get(SLOW, [], { signal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    expect(codeOf(await rejection(running))).toBe(ErrorCodes.ABORTED);
    const interrupted = db.get(SLOW);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(db.interrupt()).toBe(true);
    expect(codeOf(await rejection(interrupted))).toBe(ErrorCodes.ABORTED);
    expect(db.interrupt()).toBe(false);
    expect(await db.get('SELECT 2 AS ok')).toEqual({ ok: 2 });
  });

  it('reports a write whose deadline passes after it was sent as ERR_RAPSQLITE_OUTCOME_UNKNOWN: the server may still commit it', async () => {
    db = await openFresh();
    await db.exec('CREATE TABLE w (n INTEGER)');
    const error = await rejection(db.run(`INSERT INTO w ${SLOW}`, [], { timeoutMs: 30 }));
    expect(codeOf(error)).toBe(ErrorCodes.OUTCOME_UNKNOWN);
    expect(codeOf(error.cause)).toBe(ErrorCodes.TIMEOUT);
    // It was not stopped: the next write runs after it, and then the row is there.
    await db.run('INSERT INTO w VALUES (0)');
    expect(await db.all('SELECT n FROM w ORDER BY n')).toEqual([{ n: 0 }, { n: 400000 }]);
  });

  it('rolls back a transaction that passes its timeoutMs, and never runs a queued call whose signal aborted', async () => {
    db = await openFresh();
    await db.exec('CREATE TABLE items (name TEXT)');
    const doomed = db.transaction(
      async (tx) => {
        await tx.run("INSERT INTO items VALUES ('doomed')");
        await tx.get(SLOW);
      },
      { timeoutMs: 60 },
    );
    const controller = new AbortController();
    const queued = db.run("INSERT INTO items VALUES ('queued')", [], { signal: controller.signal });
    controller.abort();
    expect(codeOf(await rejection(queued))).toBe(ErrorCodes.ABORTED);
    expect(codeOf(await rejection(doomed))).toBe(ErrorCodes.TIMEOUT);
    expect(await db.get('SELECT count(*) AS n FROM items')).toEqual({ n: 0 });
    await db.transaction((tx) => tx.run("INSERT INTO items VALUES ('kept')"));
    expect(await db.all('SELECT name FROM items')).toEqual([{ name: 'kept' }]);
  });
});
