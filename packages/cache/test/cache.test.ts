import { join } from 'node:path';
import { hasErrorCode } from '@rapsqlite/engine';
import { createPool } from '@rapsqlite/pool';
import { describe, expect, it } from 'vitest';
import { createQueryCache, LruStore, type QueryCache } from '../src/index.ts';
import { onCleanup, openTemp, otherProcess, tempDir } from './helpers.ts';

const SCHEMA = `
  CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, score INTEGER NOT NULL DEFAULT 0);
  CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, total INTEGER NOT NULL);
  CREATE INDEX orders_user ON orders(user_id);
  CREATE TABLE audit (what TEXT NOT NULL);
  CREATE TRIGGER orders_audit AFTER INSERT ON orders BEGIN INSERT INTO audit VALUES ('order ' || new.id); END;
  CREATE VIEW user_totals AS SELECT u.email, sum(o.total) AS total FROM users u JOIN orders o ON o.user_id = u.id GROUP BY u.id;
  INSERT INTO users (email) VALUES ('a@example.com'), ('b@example.com');
  INSERT INTO orders (user_id, total) VALUES (1, 10), (1, 5), (2, 7);
`;

async function setup(options?: Parameters<typeof createQueryCache>[0], path?: string) {
  const cache = createQueryCache(options);
  const db = await openTemp({ middleware: [cache.tracker], foreignKeys: true }, path);
  await db.exec(SCHEMA);
  return { cache, db, cached: cache.handle(db) };
}

function hitsOf(cache: QueryCache): number {
  return cache.stats().hits;
}

describe('createQueryCache', () => {
  it('serves the second identical read from the cache, as a copy the caller may change', async () => {
    const { cache, cached } = await setup();
    const sql = 'SELECT id, email FROM users WHERE id = ?';
    const first = await cached.get<{ id: number; email: string }>(sql, [1]);
    const second = await cached.get<{ id: number; email: string }>(sql, [1]);
    expect(second).toEqual({ id: 1, email: 'a@example.com' });
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, stores: 1 });
    second!.email = 'changed';
    first!.email = 'changed too';
    expect(await cached.get(sql, [1])).toEqual({ id: 1, email: 'a@example.com' });
    // Other parameters are another entry.
    expect(await cached.get(sql, [2])).toEqual({ id: 2, email: 'b@example.com' });
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 2 });
  });

  it('drops the entries of a table when a write to it commits, and keeps the others', async () => {
    const { cache, db, cached } = await setup();
    await cached.all('SELECT * FROM users');
    await cached.all('SELECT * FROM orders');
    await db.run('UPDATE users SET score = score + 1 WHERE id = ?', [1]);
    expect(cache.stats().invalidations).toBe(1);
    expect(await cached.all('SELECT id, score FROM users ORDER BY id')).toEqual([
      { id: 1, score: 1 },
      { id: 2, score: 0 },
    ]);
    const before = hitsOf(cache);
    await cached.all('SELECT * FROM orders');
    expect(hitsOf(cache)).toBe(before + 1);
  });

  it('follows views, indexes, triggers and foreign-key cascades to the tables behind them', async () => {
    const { db, cached } = await setup();
    const totals = 'SELECT * FROM user_totals ORDER BY email';
    expect(await cached.all(totals)).toEqual([
      { email: 'a@example.com', total: 15 },
      { email: 'b@example.com', total: 7 },
    ]);
    await cached.get('SELECT count(*) AS n FROM audit');
    // The view reads orders: an insert there changes it; the trigger writes audit.
    await db.run('INSERT INTO orders (user_id, total) VALUES (?, ?)', [2, 100]);
    expect(await cached.all(totals)).toEqual([
      { email: 'a@example.com', total: 15 },
      { email: 'b@example.com', total: 107 },
    ]);
    expect(await cached.get('SELECT count(*) AS n FROM audit')).toEqual({ n: 4 });
    // Read through the index only.
    expect(await cached.get('SELECT count(*) AS n FROM orders WHERE user_id = ?', [1])).toEqual({ n: 2 });
    // Deleting a user cascades to its orders.
    await db.run('DELETE FROM users WHERE id = ?', [1]);
    expect(await cached.get('SELECT count(*) AS n FROM orders WHERE user_id = ?', [1])).toEqual({ n: 0 });
    expect(await cached.all(totals)).toEqual([{ email: 'b@example.com', total: 107 }]);
  });

  it('invalidates on a committed transaction, not on a rolled-back one (nested savepoints too)', async () => {
    const { cache, db, cached } = await setup();
    const users = 'SELECT email FROM users ORDER BY id';
    await cached.all(users);
    await db
      .transaction(async (tx) => {
        await tx.run('INSERT INTO users (email) VALUES (?)', ['c@example.com']);
        throw new Error('no');
      })
      .catch(() => undefined);
    const hits = hitsOf(cache);
    expect(await cached.all(users)).toEqual([{ email: 'a@example.com' }, { email: 'b@example.com' }]);
    expect(hitsOf(cache)).toBe(hits + 1);

    await db.transaction(async (tx) => {
      await tx.transaction(async (inner) => inner.run('INSERT INTO users (email) VALUES (?)', ['d@example.com']));
      await tx.transaction(async (inner) => {
        await inner.run('INSERT INTO users (email) VALUES (?)', ['e@example.com']);
        throw new Error('undo e');
      }).catch(() => undefined);
    });
    expect(await cached.all(users)).toEqual([{ email: 'a@example.com' }, { email: 'b@example.com' }, { email: 'd@example.com' }]);
  });

  it('inside an IMMEDIATE transaction serves only tables the transaction did not write, and nothing in a deferred one', async () => {
    const { cache, cached } = await setup();
    await cached.all('SELECT email FROM users ORDER BY id');
    await cached.all('SELECT total FROM orders ORDER BY id');
    // A transaction begun on the cached handle caches its reads (its tx runs the handle's chain).
    await cached.transaction(async (tx) => {
      await tx.run('INSERT INTO users (email) VALUES (?)', ['t@example.com']);
      const before = cache.stats().hits;
      const users = await tx.all('SELECT email FROM users ORDER BY id');
      expect(users.map((r) => r['email'])).toContain('t@example.com');
      expect(await tx.all('SELECT total FROM orders ORDER BY id')).toEqual([{ total: 10 }, { total: 5 }, { total: 7 }]);
      expect(cache.stats().hits).toBe(before + 1);
    });
    expect((await cached.all('SELECT email FROM users ORDER BY id')).map((r) => r['email'])).toContain('t@example.com');
    const bypassed = cache.stats().bypasses.transaction;
    await cached.transaction(async (tx) => tx.all('SELECT total FROM orders ORDER BY id'), { mode: 'deferred' });
    expect(cache.stats().bypasses.transaction).toBe(bypassed + 1);
  });

  it('sees another process’s commit through PRAGMA data_version before serving', async () => {
    const path = join(tempDir(), 'shared.db');
    const { cache, cached } = await setup({}, path);
    const other = await otherProcess(path);
    expect(await cached.get('SELECT score FROM users WHERE id = 1')).toEqual({ score: 0 });
    expect(await cached.get('SELECT score FROM users WHERE id = 1')).toEqual({ score: 0 });
    await other.run('UPDATE users SET score = 42 WHERE id = 1');
    expect(await cached.get('SELECT score FROM users WHERE id = 1')).toEqual({ score: 42 });
    expect(cache.stats().foreignChanges).toBe(1);
    // Without the check, the stale entry would be served: the option is for files nobody else writes.
    const blind = createQueryCache({ crossProcess: false });
    const db2 = await openTemp({ middleware: [blind.tracker] }, path);
    const blindHandle = blind.handle(db2);
    await blindHandle.get('SELECT score FROM users WHERE id = 1');
    await other.run('UPDATE users SET score = 43 WHERE id = 1');
    expect(await blindHandle.get('SELECT score FROM users WHERE id = 1')).toEqual({ score: 42 });
  });

  it('never caches non-deterministic queries, the clock, or virtual tables', async () => {
    const { cache, cached } = await setup();
    for (const sql of ['SELECT random() % 100 AS r', "SELECT datetime('now') AS t", 'SELECT CURRENT_TIMESTAMP AS t', "SELECT * FROM pragma_table_info('users')", 'SELECT changes() AS c']) {
      await cached.all(sql);
      await cached.all(sql);
    }
    expect(cache.stats().hits).toBe(0);
    expect(cache.stats().bypasses).toMatchObject({ nondeterministic: 8, 'virtual-table': 2 });
    // A date function of a column is deterministic.
    await cached.all("SELECT date('2026-01-01', '+1 day') AS d");
    await cached.all("SELECT date('2026-01-01', '+1 day') AS d");
    expect(cache.stats().hits).toBe(1);
  });

  it('expires entries after their TTL and reports statistics', async () => {
    const cache = createQueryCache({ ttlMs: 400 });
    const db = await openTemp({ middleware: [cache.tracker] });
    await db.exec('CREATE TABLE t (v)');
    const cached = cache.handle(db);
    const short = cache.handle(db, { ttlMs: 1 });
    await cached.all('SELECT * FROM t');
    await cached.all('SELECT * FROM t');
    await new Promise((resolve) => setTimeout(resolve, 450));
    await cached.all('SELECT * FROM t');
    await short.get('SELECT count(*) AS n FROM t');
    await new Promise((resolve) => setTimeout(resolve, 5));
    await short.get('SELECT count(*) AS n FROM t');
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 4, expirations: 2, entries: 2 });
    expect(cache.stats().bytes).toBeGreaterThan(0);
  });

  it('evicts the least recently used entries past maxEntries and maxBytes', async () => {
    const cache = createQueryCache({ store: new LruStore(2, 1 << 20) });
    const db = await openTemp({ middleware: [cache.tracker] });
    await db.exec('CREATE TABLE t (v)');
    const cached = cache.handle(db);
    for (const n of [1, 2, 1, 3]) await cached.get('SELECT ? AS n FROM t', [n]);
    expect(cache.stats()).toMatchObject({ entries: 2, evictions: 1 });
    await cached.get('SELECT ? AS n FROM t', [1]);
    expect(cache.stats().hits).toBe(2);
  });

  it('keeps big integers, blobs and dates exact, and keys them exactly', async () => {
    const { db, cached } = await setup();
    const bigDb = db.with();
    await bigDb.exec('CREATE TABLE vals (i INTEGER, b BLOB, d TEXT)');
    const big = 2n ** 62n + 1n;
    await bigDb.run('INSERT INTO vals VALUES (?, ?, ?)', [big, Buffer.from([0, 255, 7]), new Date(Date.UTC(2026, 0, 2)).toISOString()]);
    const sql = 'SELECT i, b, d FROM vals WHERE i = ?';
    const first = await cached.get<{ i: bigint; b: Buffer; d: string }>(sql, [big], { integers: 'bigint' });
    const again = await cached.get<{ i: bigint; b: Buffer; d: string }>(sql, [big], { integers: 'bigint' });
    expect(again).toEqual(first);
    expect(again!.i).toBe(big);
    again!.b[0] = 9;
    expect((await cached.get<{ b: Buffer }>(sql, [big], { integers: 'bigint' }))!.b[0]).toBe(0);
    // 2^62 + 1 and 2^62 are distinct keys even though they are the same as doubles.
    expect(await cached.get(sql, [2n ** 62n], { integers: 'bigint' })).toBeUndefined();
    // The integer mode is part of the key: 'number' refuses the unsafe value with its code.
    const failure = await cached.get(sql, [big]).catch((err: unknown) => err);
    expect(hasErrorCode(failure, 'ERR_RAPSQLITE_INTEGER_OVERFLOW') || hasErrorCode(failure, 'ERR_RAPSQLITE_UNSAFE_INTEGER')).toBe(true);
  });

  it('keeps a constraint failure’s code and caches nothing when a read fails', async () => {
    const { cache, db, cached } = await setup();
    const failure = await db.run('INSERT INTO users (email) VALUES (?)', ['a@example.com']).catch((err: unknown) => err);
    expect(hasErrorCode(failure, 'SQLITE_CONSTRAINT_UNIQUE')).toBe(true);
    await expect(cached.all('SELECT nope FROM users')).rejects.toMatchObject({ code: 'SQLITE_ERROR' });
    expect(cache.stats().stores).toBe(0);
  });

  it('neither serves nor stores a call whose query tools reshape the result, and keeps array rows as arrays', async () => {
    const { cache, cached } = await setup();
    const sql = 'SELECT id, email FROM users ORDER BY id';
    expect(await cached.all(sql)).toEqual([{ id: 1, email: 'a@example.com' }, { id: 2, email: 'b@example.com' }]);
    // Each shape gets the result it asked for, never the cached object rows.
    expect(await cached.all(sql, [], { rowMode: 'array' })).toEqual([[1, 'a@example.com'], [2, 'b@example.com']]);
    expect(await cached.all('SELECT email FROM users ORDER BY id', [], { pluck: true })).toEqual(['a@example.com', 'b@example.com']);
    expect(await cached.get(sql, [], { map: (row: { email: string }) => row.email.toUpperCase() })).toBe('A@EXAMPLE.COM');
    expect(cache.stats()).toMatchObject({ stores: 1, bypasses: { shape: 3 } });
    expect(await cached.all(sql)).toEqual([{ id: 1, email: 'a@example.com' }, { id: 2, email: 'b@example.com' }]);
    expect(cache.stats().hits).toBe(1);
    // A handle opened with array rows is served arrays from the cache, as copies.
    const arrays = createQueryCache();
    const db = await openTemp({ middleware: [arrays.tracker], rowMode: 'array' });
    await db.exec("CREATE TABLE t (a INTEGER, b BLOB); INSERT INTO t VALUES (1, x'0102')");
    const handle = arrays.handle(db);
    const first = (await handle.all('SELECT a, b FROM t')) as unknown as unknown[][];
    const second = (await handle.all('SELECT a, b FROM t')) as unknown as unknown[][];
    expect(arrays.stats()).toMatchObject({ hits: 1 });
    expect(second).toEqual([[1, Buffer.from([1, 2])]]);
    (second[0]![1] as Uint8Array)[0] = 9;
    expect(first).toEqual([[1, Buffer.from([1, 2])]]);
  });

  it('invalidates everything on a schema change and refuses to cache through an untracked handle', async () => {
    const { cache, db, cached } = await setup();
    await cached.all('SELECT * FROM users');
    await db.exec('ALTER TABLE users ADD COLUMN nick TEXT');
    expect(Object.keys((await cached.all('SELECT * FROM users'))[0]!)).toContain('nick');
    const plain = await openTemp();
    const untracked = cache.handle(plain);
    await untracked.get('SELECT 1 AS one');
    expect(cache.stats().bypasses.untracked).toBe(1);
  });

  it('works on a pool: reads cached from readers, writes on the writer invalidate, data_version on the writer', async () => {
    const path = join(tempDir(), 'pool.db');
    const cache = createQueryCache();
    const pool = await createPool(path, { middleware: [cache.tracker], maxReaders: 2 });
    onCleanup(() => pool.close());
    await pool.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)');
    await pool.run('INSERT INTO t (v) VALUES (1)');
    const cached = cache.handle(pool);
    expect(await cached.get('SELECT v FROM t WHERE id = 1')).toEqual({ v: 1 });
    expect(await cached.get('SELECT v FROM t WHERE id = 1')).toEqual({ v: 1 });
    await pool.run('UPDATE t SET v = 2 WHERE id = 1');
    expect(await cached.get('SELECT v FROM t WHERE id = 1')).toEqual({ v: 2 });
    // The pool's own writer commits do not count as another process's.
    expect(cache.stats()).toMatchObject({ hits: 1, foreignChanges: 0 });
    const other = await otherProcess(path);
    await other.run('UPDATE t SET v = 3 WHERE id = 1');
    expect(await cached.get('SELECT v FROM t WHERE id = 1')).toEqual({ v: 3 });
    expect(cache.stats().foreignChanges).toBe(1);
  });

  it('refuses bad options with ERR_RAPSQLITE_INVALID_ARGUMENT', () => {
    for (const options of [{ ttlMs: 0 }, { maxEntries: 0 }, { crossProcess: 'sometimes' }, { rules: [{ match: 3 }] }, { colour: 1 }, { store: {} }]) {
      expect(() => createQueryCache(options as never)).toThrow(expect.objectContaining({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' }));
    }
  });

  it('caches reads that match a rule on every tracked handle', async () => {
    const cache = createQueryCache({ rules: [{ match: /FROM settings/ }] });
    const db = await openTemp({ middleware: [cache.tracker] });
    await db.exec("CREATE TABLE settings (k TEXT PRIMARY KEY, v TEXT); INSERT INTO settings VALUES ('theme', 'dark')");
    await db.get('SELECT v FROM settings WHERE k = ?', ['theme']);
    await db.get('SELECT v FROM settings WHERE k = ?', ['theme']);
    await db.all('SELECT 1');
    expect(cache.stats()).toMatchObject({ hits: 1, stores: 1 });
    // Through a cached handle too, a rule's read is looked up once.
    await cache.handle(db).get('SELECT v FROM settings WHERE k = ?', ['theme']);
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 1, stores: 1 });
  });
});
