import { describe, expect, it, vi } from 'vitest';
import { hasErrorCode, type Middleware } from '@rapsqlite/engine';
import { createPool, type AcquireEvent, type ReleaseEvent } from '../src/index.ts';
import { FUNCTIONS, gate, poolTemp, recorder, tempDir, turns } from './helpers.ts';
import { join } from 'node:path';

describe('handles and middleware', () => {
  it('scopes middleware added with with() to the new handle, sharing the connections', async () => {
    const pool = await poolTemp();
    const a = recorder();
    const b = recorder();
    const scoped = pool.with(a.middleware);
    await pool.get('SELECT 1');
    await scoped.get('SELECT 2');
    const deeper = scoped.with(b.middleware);
    await deeper.run('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    expect(a.seen.map((s) => s.sql)).toEqual(['SELECT 2', 'CREATE TABLE t (id INTEGER PRIMARY KEY)']);
    expect(b.seen.map((s) => s.sql)).toEqual(['CREATE TABLE t (id INTEGER PRIMARY KEY)']);
    expect(scoped.middleware).toEqual([a.middleware]);
    expect(pool.middleware).toEqual([]);
    // The same file and connections: the scoped handle sees the table.
    expect(await pool.all("SELECT name FROM sqlite_schema WHERE type = 'table'")).toEqual([{ name: 't' }]);
  });

  it('adds middleware with use() to every connection, present and future, first registered outermost', async () => {
    const pool = await poolTemp({ minReaders: 1, maxReaders: 3 });
    const order: string[] = [];
    const named = (name: string): Middleware => ({
      name,
      wrap: (next) => async (op) => {
        order.push(`${name}>`);
        try {
          return await next(op);
        } finally {
          order.push(`<${name}:${op.connection?.role}`);
        }
      },
    });
    const before = pool.with();
    pool.use(named('outer'), named('inner'));
    const hold = gate();
    const tx = pool.transaction(() => hold.promise, { readonly: true });
    await turns(10);
    await pool.get('SELECT 1'); // needs a second reader
    hold.open();
    await tx;
    await before.get('SELECT 1');
    // The transaction, BEGIN, the SELECT (on a second reader) and COMMIT each enter outer then inner, and leave inner
    // then outer, on a reader; the SELECT may start before BEGIN has left.
    expect(order.filter((e) => e.endsWith('>'))).toEqual(Array.from({ length: 4 }, () => ['outer>', 'inner>']).flat());
    expect(order.filter((e) => e.startsWith('<'))).toEqual(Array.from({ length: 4 }, () => ['<inner:reader', '<outer:reader']).flat());
    expect(pool.stats().readers.total).toBe(2);
  });

  it('refuses something that is not a middleware', async () => {
    const pool = await poolTemp();
    expect(() => pool.use({ name: 'x' } as unknown as Middleware)).toThrowError(expect.objectContaining({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' }));
  });

  it('registers aggregates on every connection', async () => {
    const pool = await poolTemp({ minReaders: 2 });
    await pool.aggregate('product', { module: FUNCTIONS, export: 'product' });
    await pool.exec('CREATE TABLE t (x INTEGER)');
    await pool.runMany('INSERT INTO t VALUES (?)', [[2], [3], [7]]);
    const rows = await Promise.all([pool.get('SELECT product(x) AS p FROM t'), pool.get('SELECT product(x) AS p FROM t')]);
    expect(rows).toEqual([{ p: 42 }, { p: 42 }]);
  });

  it('passes connection options to every connection', async () => {
    const pool = await poolTemp({ integers: 'bigint', pragmas: ['cache_size = -4000'] });
    expect(await pool.get('SELECT 1 AS x')).toEqual({ x: 1n });
    expect(await pool.get('PRAGMA cache_size')).toEqual({ cache_size: -4000n });
  });

  it('passes every engine connection option, statement timing included, to readers and the writer', async () => {
    const seen: Array<[string | undefined, unknown]> = [];
    const timing: Middleware = {
      name: 'timing',
      wrap: (next) => async (op) => {
        try {
          return await next(op);
        } finally {
          seen.push([op.connection?.role, op.attributes['rapsqlite.sqliteTimeNs']]);
        }
      },
    };
    const pool = await poolTemp({ statementTiming: true, spinMicros: 0, middleware: [timing] });
    await pool.exec('CREATE TABLE t (x)');
    await pool.get('SELECT count(*) AS n FROM t');
    expect(seen.map(([role]) => role)).toEqual(['writer', 'reader']);
    for (const [, ns] of seen) expect(typeof ns).toBe('number');
  });
});

describe('cancellation and authorizer (native companion)', () => {
  const companion = process.env['RAPSQLITE_NO_COMPANION'] !== '1';

  it.skipIf(!companion)('interrupts the statements running on its connections', async () => {
    const pool = await poolTemp({ minReaders: 1, maxReaders: 1 });
    const slow = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000000000) SELECT count(*) AS n FROM c';
    const read = pool.get(slow).catch((e: unknown) => e);
    let stopped = false;
    // The read must have reached SQLite before it can be interrupted: try until it has.
    while (!stopped) {
      await new Promise((r) => setTimeout(r, 5));
      stopped = pool.interrupt();
    }
    expect(hasErrorCode(await read, 'ERR_RAPSQLITE_ABORTED')).toBe(true);
    expect(await pool.get('SELECT 1 AS x')).toEqual({ x: 1 });
    expect(pool.interrupt()).toBe(false);
  });

  it.skipIf(!companion)('installs an authorizer on every connection, present and future', async () => {
    const pool = await poolTemp({ minReaders: 1, maxReaders: 2 });
    await pool.exec('CREATE TABLE secrets (v TEXT); CREATE TABLE notes (v TEXT)');
    await pool.authorizer({ denyTables: ['secrets'] });
    const hold = gate();
    const tx = pool.transaction(() => hold.promise, { readonly: true });
    await turns(10);
    // The first reader is held: these run on the writer's and on a new reader's rules.
    const denied = await Promise.all([
      pool.all('SELECT * FROM secrets').catch((e: unknown) => e),
      pool.run("INSERT INTO secrets VALUES ('x')").catch((e: unknown) => e),
    ]);
    for (const err of denied) expect(hasErrorCode(err, 'SQLITE_AUTH')).toBe(true);
    expect(await pool.all('SELECT * FROM notes')).toEqual([]);
    expect(pool.stats().readers.total).toBe(2);
    hold.open();
    await tx;
    await pool.authorizer(null);
    expect(await pool.all('SELECT * FROM secrets')).toEqual([]);
  });
});

describe('options', () => {
  it.each([
    [{ readonly: true }],
    [{ journalMode: 'delete' }],
    [{ minReaders: 3, maxReaders: 2 }],
    [{ pipelining: 0 }],
    [{ maxReaders: -1 }],
    [{ readYourWrites: 'yes' }],
    [{ poolSize: 4 }],
  ])('refuses %o with ERR_RAPSQLITE_INVALID_ARGUMENT', async (options) => {
    const err = await createPool(join(tempDir(), 'x.db'), options as never).catch((e: unknown) => e);
    expect(hasErrorCode(err, 'ERR_RAPSQLITE_INVALID_ARGUMENT')).toBe(true);
  });
});

describe('events and statistics', () => {
  it('reports acquire and release with wait and use times, and the connection that ran the call', async () => {
    const { middleware, seen } = recorder();
    const pool = await poolTemp({ middleware: [middleware] });
    const acquired: AcquireEvent[] = [];
    const released: ReleaseEvent[] = [];
    pool.on('acquire', (e) => acquired.push(e)).on('release', (e) => released.push(e));
    await pool.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    await pool.get('SELECT count(*) AS n FROM t');
    await pool.run('INSERT INTO t (id) VALUES (1)').catch(() => undefined);
    await pool.run('INSERT INTO t (id) VALUES (1)').catch(() => undefined);
    expect(acquired.map((e) => `${e.kind}:${e.role}`)).toEqual(['exec:writer', 'get:reader', 'run:writer', 'run:writer']);
    expect(acquired.map((e) => e.connectionId)).toEqual(seen.map((s) => s.id));
    expect(released.map((e) => e.error)).toEqual([undefined, undefined, undefined, 'SQLITE_CONSTRAINT_PRIMARYKEY']);
    for (const e of [...acquired, ...released]) expect(Object.isFrozen(e)).toBe(true);
    for (const e of acquired) expect(e.waitMs).toBeGreaterThanOrEqual(0);
    for (const e of released) expect(e.useMs).toBeGreaterThanOrEqual(0);
    expect(pool.stats()).toMatchObject({
      writer: { total: 1, idle: 1, used: 0, pending: 0, running: 0, min: 1, max: 1, created: 1, destroyed: 0, acquired: 3, timeouts: 0 },
      readers: { total: 1, acquired: 1 },
      routing: { cached: 0 },
    });
  });

  it('never lets a throwing listener break a call', async () => {
    const pool = await poolTemp();
    const warning = vi.fn();
    process.on('warning', warning);
    try {
      pool.on('acquire', () => {
        throw new Error('listener bug');
      });
      expect(await pool.get('SELECT 1 AS x')).toEqual({ x: 1 });
      await new Promise((r) => setImmediate(r));
      expect(warning).toHaveBeenCalled();
    } finally {
      process.off('warning', warning);
    }
  });
});

describe('close', () => {
  it('lets queued calls finish, then refuses new ones with ERR_RAPSQLITE_CLOSED', async () => {
    const pool = await createPool(join(tempDir(), 'c.db'), { minReaders: 1, maxReaders: 1 });
    await pool.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    const hold = gate();
    const tx = pool.transaction(() => hold.promise, { readonly: true });
    await turns(10);
    const queuedRead = pool.get('SELECT count(*) AS n FROM t');
    const queuedWrite = pool.run('INSERT INTO t DEFAULT VALUES');
    const closed = pool.close();
    expect(pool.closed).toBe(true);
    const late = await pool.get('SELECT 1').catch((e: unknown) => e);
    expect(hasErrorCode(late, 'ERR_RAPSQLITE_CLOSED')).toBe(true);
    hold.open();
    await Promise.all([tx, queuedRead, queuedWrite, closed]);
    expect(pool.stats()).toMatchObject({ writer: { total: 0 }, readers: { total: 0 } });
    await pool.close(); // idempotent
  });

  it('does not wait for an abandoned iterator', async () => {
    const pool = await createPool(join(tempDir(), 'i.db'));
    await pool.exec('CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t DEFAULT VALUES; INSERT INTO t DEFAULT VALUES;');
    const it = pool.iterate('SELECT * FROM t', [], { chunkSize: 1 });
    await it.next();
    await pool.close();
    // Closing ended the cursor: at most the chunk already fetched remains, then the closed connection says so.
    const rest = await (async () => {
      for (;;) if ((await it.next()).done === true) return 'done';
    })().catch((e: unknown) => e);
    expect(rest === 'done' || hasErrorCode(rest, 'ERR_RAPSQLITE_CLOSED')).toBe(true);
    await it.return?.();
  });

  it('closes at the end of an await using block', async () => {
    const path = join(tempDir(), 'u.db');
    let handle: Awaited<ReturnType<typeof createPool>> | undefined;
    {
      await using pool = await createPool(path);
      handle = pool;
      await pool.get('SELECT 1');
    }
    expect(handle.closed).toBe(true);
  });
});
