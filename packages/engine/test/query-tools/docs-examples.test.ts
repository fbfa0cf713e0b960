import { describe, expect, it } from 'vitest';
import { expandArrayParams } from '../../src/toolbox/in-arrays.ts';
import { sql, type DatabaseOptions } from '../../src/index.ts';
import { openTemp } from '../helpers.ts';
import { rejection } from '../toolbox2/helpers.ts';

// The examples of docs/types.md and docs/queries.md, run as written through the engine's own handles:
// `open(path, options)` on a file in a temporary folder, with `adapters: true` as the pages assume.
async function openDoc(_name: string, options: DatabaseOptions = {}) {
  return openTemp({ adapters: true, ...options });
}

class Money {
  readonly cents: bigint;
  constructor(cents: bigint) {
    this.cents = cents;
  }
}

class User {
  readonly id: number;
  readonly name: string;
  constructor(row: { id: number; name: string }) {
    this.id = row.id;
    this.name = row.name;
  }
  get greeting(): string {
    return `Hello, ${this.name}`;
  }
}

describe('docs/types.md', () => {
  it('adapters on request, per call, and off', async () => {
    const db = await openDoc('app.db');
    await db.exec('CREATE TABLE events (id INTEGER PRIMARY KEY, at DATETIME, done BOOLEAN); INSERT INTO events VALUES (1, NULL, 1)');
    const at = new Date('2026-03-01T09:30:00Z');
    await db.run('UPDATE events SET at = ? WHERE id = ?', [at, 1]);
    expect(await db.scalar('SELECT at FROM events')).toBe('2026-03-01T09:30:00.000Z');
    await db.run('UPDATE events SET at = ? WHERE id = ?', [at, 1], { adapters: { dates: 'ms' } });
    expect(await db.scalar('SELECT at FROM events')).toBe(1772357400000);
    expect(await rejection(db.run('UPDATE events SET at = ? WHERE id = ?', [at, 1], { adapters: false }))).toMatchObject({ code: 'ERR_RAPSQLITE_PARAMETER_TYPE', parameter: '1' });
    expect(await db.get('SELECT at, done FROM events WHERE id = ?', [1], { converters: false })).toEqual({ at: 1772357400000, done: 1 });
    // Without the option, as before the tools: refused.
    const strict = await openTemp();
    expect(await rejection(strict.run('SELECT ?', [at]))).toMatchObject({ code: 'ERR_RAPSQLITE_PARAMETER_TYPE', parameter: '1' });
    expect(await strict.scalar('SELECT ?', [at], { adapters: true })).toBe('2026-03-01T09:30:00.000Z');
  });

  it('the opening example', async () => {
    const db = await openDoc('app.db', { converters: true });
    await db.exec(`CREATE TABLE IF NOT EXISTS events (
      id INTEGER PRIMARY KEY, title TEXT NOT NULL, at DATETIME NOT NULL, done BOOLEAN NOT NULL DEFAULT 0, meta JSON)`);
    await db.run('INSERT INTO events (title, at, done, meta) VALUES (?, ?, ?, ?)', ['launch', new Date('2026-03-01T09:30:00Z'), true, JSON.stringify({ room: 'A', seats: 40 })]);
    expect(await db.get('SELECT * FROM events WHERE title = ?', ['launch'])).toEqual({
      id: 1, title: 'launch', at: new Date('2026-03-01T09:30:00.000Z'), done: true, meta: { room: 'A', seats: 40 },
    });
  });

  it('the Date formats table', async () => {
    const at = new Date('2026-03-01T09:30:00Z');
    const expected = { iso: '2026-03-01T09:30:00.000Z', sqlite: '2026-03-01 09:30:00.000', ms: 1772357400000, s: 1772357400 } as const;
    for (const dates of ['iso', 'sqlite', 'ms', 's'] as const) {
      const db = await openDoc(`dates-${dates}.db`, { adapters: { dates } });
      expect(await db.scalar('SELECT ?', [at])).toBe(expected[dates]);
    }
  });

  it('your adapters', async () => {
    const db = await openDoc('shop.db', {
      adapters: {
        json: true,
        custom: [
          { type: Money, adapt: (m: Money) => m.cents },
          { name: 'point', test: (v) => typeof v === 'object' && v !== null && 'lat' in v && 'lng' in v, adapt: (p: { lat: number; lng: number }) => `${p.lat},${p.lng}` },
        ],
      },
    });
    await db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER, tags TEXT, at TEXT)');
    await db.run('INSERT INTO orders (total, tags) VALUES (?, ?)', [new Money(1999n), ['gift', 'express']]);
    await db.run('INSERT INTO orders (at) VALUES (?)', [{ lat: 1.5, lng: 2 }]);
    expect(await db.all('SELECT total, tags, at FROM orders ORDER BY id', [], { rowMode: 'array' })).toEqual([[1999, '["gift","express"]', null], [null, null, '1.5,2']]);
  });

  it('converters by type and column, and expressions named per call', async () => {
    const db = await openDoc('app.db', {
      converters: { types: { POINT: (v) => String(v).split(',').map(Number), NUMERIC: false }, columns: { tags: 'json' } },
    });
    await db.exec("CREATE TABLE users (name TEXT, at POINT, score NUMERIC, tags TEXT); INSERT INTO users VALUES ('Ada', '1,2', 12.5, '[\"a\"]'), ('Grace', NULL, 3, '[]')");
    expect(await db.all('SELECT at, score, tags FROM users ORDER BY name')).toEqual([{ at: [1, 2], score: 12.5, tags: ['a'] }, { at: null, score: 3, tags: [] }]);
    expect(await db.scalar('SELECT json_group_array(name) AS names FROM users', [], { converters: { columns: { names: 'json' } } })).toEqual(['Ada', 'Grace']);
  });

  it('DECIMAL is not exact in SQLite, and a TEXT-affinity type of your own is', async () => {
    const db = await openDoc('money.db', { converters: { types: { DECTEXT: 'decimal' } } });
    await db.exec("CREATE TABLE t (a DECIMAL(10, 2), b DECTEXT); INSERT INTO t VALUES ('12.30', '12.30'), ('123456789012345.6789', '123456789012345.6789')");
    expect(await db.all('SELECT a, b FROM t', [], { rowMode: 'array' })).toEqual([['12.3', '12.30'], ['123456789012345.67', '123456789012345.6789']]);
  });
});

describe('docs/queries.md', () => {
  it('the opening example: every handle, per-database defaults, per-call options', async () => {
    const db = await openDoc('app.db', { converters: true });
    await db.exec(`CREATE TABLE IF NOT EXISTS users (
      id INTEGER PRIMARY KEY, name TEXT NOT NULL, team TEXT, active BOOLEAN NOT NULL DEFAULT 1, joined DATETIME)`);
    const joined = new Date('2026-03-01T09:30:00Z');
    const id = await db.insert('INSERT INTO users (name, team, joined) VALUES (?, ?, ?)', ['Ada', 'red', joined]);
    expect(id).toBe(1);
    expect(await db.all('SELECT name FROM users WHERE team IN (?)', [['red', 'blue']], { pluck: true })).toEqual(['Ada']);
    expect(await db.get(sql`SELECT * FROM users WHERE id = ${id as number}`)).toEqual({ id: 1, name: 'Ada', team: 'red', active: true, joined });
    const count = await db.transaction(async (tx) => {
      if (!(await tx.exists('SELECT 1 FROM users WHERE name = ?', ['Grace']))) await tx.insert('INSERT INTO users (name) VALUES (?)', ['Grace']);
      return tx.scalar<number>('SELECT count(*) FROM users WHERE active = ?', [true]);
    });
    expect(count).toBe(2);
  });

  it('arrays for IN (?), and the SQL they become', async () => {
    const db = await openDoc('users.db');
    await db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, team TEXT, active INTEGER); INSERT INTO users VALUES (1, 'red', 1), (2, 'blue', 1), (3, 'green', 1), (4, 'red', 0)");
    expect(await db.all('SELECT id FROM users WHERE id IN (?)', [[1, 2, 3]], { pluck: true })).toEqual([1, 2, 3]);
    expect(await db.all('SELECT id FROM users WHERE team IN (:teams) AND active = 1', { teams: ['red', 'blue'] }, { pluck: true })).toEqual([1, 2]);
    expect(await rejection(db.all('SELECT * FROM users WHERE id IN (?)', [1, 2, 3]))).toMatchObject({ code: 'ERR_RAPSQLITE_PARAMETER_COUNT' });
    expect(expandArrayParams('x IN (?)', [[1]], undefined).sql).toBe('x IN (SELECT +value FROM json_each(?))');
    expect(expandArrayParams('x NOT IN (:ids)', { ids: [1] }, undefined).sql).toBe('x NOT IN (SELECT +value FROM json_each(:ids))');
    expect(expandArrayParams('(a, b) IN (?)', [[[1, 'x'], [2, 'y']]], undefined).sql).toBe('(a, b) IN (SELECT value->>0, value->>1 FROM json_each(?))');
  });

  it('row shapes', async () => {
    const db = await openDoc('shapes.db');
    await db.exec(`CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER, total INTEGER);
      INSERT INTO users VALUES (1, 'Ada'); INSERT INTO orders VALUES (10, 1, 2)`);
    expect(await db.all('SELECT name FROM users ORDER BY id', [], { pluck: true })).toEqual(['Ada']);
    expect((await db.all('SELECT id, name FROM users ORDER BY id', [], { map: User }))[0]!.greeting).toBe('Hello, Ada');
    expect(await db.all('SELECT u.id, o.id FROM users u JOIN orders o ON o.user_id = u.id', [], { rowMode: 'array' })).toEqual([[1, 10]]);
    expect(await db.all('SELECT u.id, u.name, o.id, o.total, o.total * 1 AS doubled FROM users u JOIN orders o ON o.user_id = u.id', [], { expand: true })).toEqual([
      { users: { id: 1, name: 'Ada' }, orders: { id: 10, total: 2 }, $: { doubled: 2 } },
    ]);
    const greetings: string[] = [];
    for await (const user of db.iterate('SELECT id, name FROM users', [], { map: User })) greetings.push(user.greeting);
    expect(greetings).toEqual(['Hello, Ada']);
  });

  it('keyset pagination', async () => {
    const db = await openDoc('posts.db');
    await db.exec(`CREATE TABLE posts (id INTEGER PRIMARY KEY, author_id INTEGER, title TEXT, created_at TEXT);
      CREATE INDEX posts_author_created ON posts (author_id, created_at, id);
      WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 50)
      INSERT INTO posts SELECT x, x % 2, 'post ' || x, datetime('2026-01-01', '+' || (x / 3) || ' days') FROM c;`);
    const authorId = 1;
    const secret = 'the same on every server';
    const listing = { params: [authorId], orderBy: [{ column: 'created_at', direction: 'desc' as const }, { column: 'id', direction: 'desc' as const }], limit: 20, secret };
    const first = await db.paginate<{ id: number }>('SELECT id, title, created_at FROM posts WHERE author_id = ?', listing);
    expect(first.rows).toHaveLength(20);
    expect(first.previous).toBeUndefined();
    const second = await db.paginate<{ id: number }>('SELECT id, title, created_at FROM posts WHERE author_id = ?', { ...listing, after: first.next! });
    expect(second.rows.map((r) => r.id)).toEqual([9, 7, 5, 3, 1]);
    expect(second.next).toBeUndefined();
    const back = await db.paginate<{ id: number }>('SELECT id, title, created_at FROM posts WHERE author_id = ?', { ...listing, before: second.previous! });
    expect(back.rows).toEqual(first.rows);
  });

  it('conveniences', async () => {
    const db = await openDoc('users.db');
    await db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT, active INTEGER DEFAULT 1)');
    expect(await db.insert('INSERT INTO users (name) VALUES (?)', ['Ada'])).toBe(1);
    expect(await db.scalar('SELECT count(*) FROM users WHERE active = ?', [true])).toBe(1);
    expect(await db.exists('SELECT 1 FROM users WHERE email = ?', ['ada@example.com'])).toBe(false);
  });

  it('the sql tag', async () => {
    const db = await openDoc('orders.db');
    await db.exec("CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT, owner_id INTEGER); INSERT INTO orders VALUES (1, 'open', 7), (2, 'open', 8);");
    const status = 'open';
    const ownerId: number | undefined = 7;
    const byOwner = ownerId === undefined ? sql.empty : sql`AND owner_id = ${ownerId}`;
    const query = sql`SELECT * FROM ${sql.id('orders')} WHERE status = ${status} ${byOwner} ORDER BY id`;
    expect([query.sql, query.params]).toEqual(['SELECT * FROM "orders" WHERE status = ? AND owner_id = ? ORDER BY id', ['open', 7]]);
    expect(await db.all(query)).toEqual([{ id: 1, status: 'open', owner_id: 7 }]);
    await db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, team TEXT); INSERT INTO users VALUES (1, 'red'), (2, 'red'), (3, 'blue')");
    const team = 'red';
    const ids = [2, 3];
    const where = sql.join([sql`team = ${team}`, sql`id IN (${ids})`], sql` AND `);
    expect(await db.scalar(sql`SELECT count(*) FROM users WHERE ${where}`)).toBe(1);
    expect(sql.id('order "items"').text).toBe('"order ""items"""');
  });
});
