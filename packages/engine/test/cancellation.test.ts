import { describe, expect, it } from 'vitest';
import { companionUnavailableReason, loadCompanion } from '../src/native/companion.ts';
import { openTemp, slowQuery } from './helpers.ts';

const hasCompanion = loadCompanion() !== undefined;
const LONG = slowQuery(200); // minutes of work if nothing stops it

describe('the native companion', () => {
  // The companion-only tests below run when it loads; this one fails when `npm install` should have built it and
  // did not, so a broken build can never pass as skipped tests.
  it.skipIf(process.env['RAPSQLITE_SKIP_COMPANION_BUILD'] === '1')('was built by npm install and loads', () => {
    expect(companionUnavailableReason()).toBeUndefined();
    expect(hasCompanion).toBe(true);
  });
});

describe.runIf(hasCompanion)('cancellation with the native companion', () => {
  it('still loads after every connection closed and Node unloaded better-sqlite3 with the last worker', async () => {
    const first = await openTemp();
    await first.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = await openTemp();
    await expect(second.get(LONG, undefined, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_TIMEOUT' });
    expect(await second.get('SELECT 1 AS ok')).toEqual({ ok: 1 });
  });

  it('stops a running query through its AbortSignal, and the connection serves the next call', async () => {
    const db = await openTemp();
    const controller = new AbortController();
    const running = db.get(LONG, undefined, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const start = performance.now();
    controller.abort(new Error('client went away'));
    const error = await running.catch((e: unknown) => e);
    const elapsed = performance.now() - start;
    expect(error).toMatchObject({ code: 'ERR_RAPSQLITE_ABORTED' });
    expect((error as Error).cause).toEqual(new Error('client went away'));
    expect(elapsed).toBeLessThan(5000);
    expect(await db.get('SELECT 1 AS ok')).toEqual({ ok: 1 });
  });

  it('stops a running query at its timeoutMs deadline', async () => {
    const db = await openTemp();
    await expect(db.get(LONG, undefined, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_TIMEOUT' });
    expect(await db.get('SELECT 2 AS ok')).toEqual({ ok: 2 });
  });

  it('applies the database default timeout to calls that set none', async () => {
    const db = await openTemp({ timeoutMs: 100 });
    await expect(db.all(LONG)).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_TIMEOUT' });
    expect(await db.get('SELECT 3 AS ok')).toEqual({ ok: 3 });
  });

  it('stops whatever runs now with db.interrupt(), and only that', async () => {
    const db = await openTemp();
    const running = db.get(LONG);
    const queued = db.get('SELECT 4 AS ok');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(db.interrupt()).toBe(true);
    await expect(running).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_ABORTED' });
    expect(await queued).toEqual({ ok: 4 });
    expect(db.interrupt()).toBe(false);
  });

  it('rolls back a transaction past its deadline and leaves the data unchanged', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    const error = await db
      .transaction(
        async (tx) => {
          await tx.run('UPDATE t SET x = 2');
          await tx.get(LONG);
        },
        { timeoutMs: 150 },
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_RAPSQLITE_TIMEOUT' });
    expect(await db.all('SELECT x FROM t')).toEqual([{ x: 1 }]);
  });

  it('rolls back at the deadline even when the callback is stuck outside the database', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    const controller = new AbortController();
    const stuck = db.transaction(async (tx) => {
      await tx.run('UPDATE t SET x = 3');
      await new Promise((resolve) => setTimeout(resolve, 60_000).unref());
    }, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    await expect(stuck).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_ABORTED' });
    expect(await db.all('SELECT x FROM t')).toEqual([{ x: 1 }]);
  });
});

describe('cancellation without a running statement', () => {
  it('never runs a queued call cancelled before it starts', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE side_effects (x)');
    const controller = new AbortController();
    const busy = db.get(slowQuery(3));
    const queued = db.run('INSERT INTO side_effects VALUES (1)', undefined, { signal: controller.signal });
    controller.abort();
    await expect(queued).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_ABORTED' });
    await busy;
    expect(await db.get('SELECT count(*) AS n FROM side_effects')).toEqual({ n: 0 });
  });

  it('never sends a call cancelled while it waited for a transaction', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE side_effects (x)');
    const controller = new AbortController();
    let waiting!: Promise<unknown>;
    let startOutside!: () => void;
    const outside = new Promise<void>((resolve) => (startOutside = resolve)).then(() => {
      waiting = db.run('INSERT INTO side_effects VALUES (1)', undefined, { signal: controller.signal }).catch((e: unknown) => e);
    });
    await db.transaction(async (tx) => {
      startOutside();
      await outside;
      controller.abort();
      await tx.get('SELECT 1');
    });
    expect(await waiting).toMatchObject({ code: 'ERR_RAPSQLITE_ABORTED' });
    expect(await db.get('SELECT count(*) AS n FROM side_effects')).toEqual({ n: 0 });
  });

  it('rejects at once when the signal is already aborted', async () => {
    const db = await openTemp();
    await expect(db.get('SELECT 1', undefined, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_ABORTED' });
  });

  it('is harmless to interrupt after close', async () => {
    const db = await openTemp();
    await db.close();
    expect(db.interrupt()).toBe(false);
  });
});

describe('cancellation fallback without the companion', () => {
  it('abandons a running read by replacing its worker, and keeps serving', async () => {
    process.env['RAPSQLITE_NO_COMPANION'] = '1';
    try {
      const db = await openTemp();
      await db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (7)');
      const start = performance.now();
      await expect(db.get(LONG, undefined, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_TIMEOUT' });
      expect(performance.now() - start).toBeLessThan(5000);
      expect(db.interrupt()).toBe(false);
      expect(await db.all('SELECT x FROM t')).toEqual([{ x: 7 }]);
    } finally {
      delete process.env['RAPSQLITE_NO_COMPANION'];
    }
  });

  it('rejects a transaction at its deadline and rolls it back once the running read returns', async () => {
    process.env['RAPSQLITE_NO_COMPANION'] = '1';
    try {
      const db = await openTemp();
      await db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
      const error = await db
        .transaction(async (tx) => {
          await tx.run('UPDATE t SET x = 2');
          await tx.get(slowQuery(3));
        }, { timeoutMs: 100 })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'ERR_RAPSQLITE_TIMEOUT' });
      // This read waits for the lease, which is held until the rollback ran.
      expect(await db.all('SELECT x FROM t')).toEqual([{ x: 1 }]);
    } finally {
      delete process.env['RAPSQLITE_NO_COMPANION'];
    }
  });

  it('refuses the authorizer option without the companion', async () => {
    process.env['RAPSQLITE_NO_COMPANION'] = '1';
    try {
      await expect(openTemp({ authorizer: { deny: ['ATTACH'] } })).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_UNSUPPORTED' });
    } finally {
      delete process.env['RAPSQLITE_NO_COMPANION'];
    }
  });
});

describe.runIf(hasCompanion)('authorizer', () => {
  it('denies what the rules deny with SQLITE_AUTH and allows the rest', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE public (x); CREATE TABLE secret (y); INSERT INTO public VALUES (1)');
    await db.authorizer({ deny: ['write', 'ATTACH', 'PRAGMA'], denyTables: ['secret'], allowPragmas: ['table_info'] });
    expect(await db.all('SELECT x FROM public')).toEqual([{ x: 1 }]);
    await expect(db.get('SELECT y FROM secret')).rejects.toMatchObject({ code: 'SQLITE_AUTH' });
    await expect(db.run('INSERT INTO public VALUES (2)')).rejects.toMatchObject({ code: 'SQLITE_AUTH' });
    await expect(db.exec("ATTACH ':memory:' AS other")).rejects.toMatchObject({ code: 'SQLITE_AUTH' });
    await expect(db.get('PRAGMA user_version')).rejects.toMatchObject({ code: 'SQLITE_AUTH' });
    expect(await db.all('PRAGMA table_info(public)')).toHaveLength(1);
    await db.authorizer(null);
    await db.run('INSERT INTO public VALUES (2)');
  });

  it('applies the authorizer option from open', async () => {
    const db = await openTemp({ authorizer: { deny: ['ATTACH'] } });
    await expect(db.exec("ATTACH ':memory:' AS other")).rejects.toMatchObject({ code: 'SQLITE_AUTH' });
    expect(await db.get('SELECT 1 AS ok')).toEqual({ ok: 1 });
  });
});
