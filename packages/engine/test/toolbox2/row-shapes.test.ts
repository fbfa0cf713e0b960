import { describe, expect, it } from 'vitest';
import { withQueryTools } from '../../src/toolbox/query-tools.ts';
import { resolveShape, rowBuilder, toMapper } from '../../src/toolbox/row-shapes.ts';
import { openWith, rejection, thrown } from './helpers.ts';

const SCHEMA = `
  CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, born DATE);
  CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id), total INTEGER);
  INSERT INTO users VALUES (1, 'Ada', '1815-12-10'), (2, 'Grace', '1906-12-09');
  INSERT INTO orders VALUES (10, 1, 500), (11, 1, 700), (12, 2, 300);`;

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

describe('row shapes', () => {
  it('gives object rows by default and array rows on request, per call or per database', async () => {
    const base = await openWith(SCHEMA);
    const db = withQueryTools(base);
    expect(await db.all('SELECT id, name FROM users ORDER BY id')).toEqual([{ id: 1, name: 'Ada' }, { id: 2, name: 'Grace' }]);
    expect(await db.all('SELECT id, name FROM users ORDER BY id', [], { rowMode: 'array' })).toEqual([[1, 'Ada'], [2, 'Grace']]);
    const arrays = withQueryTools(base, { rowMode: 'array' });
    expect(await arrays.get('SELECT u.id, o.id FROM users u JOIN orders o ON o.user_id = u.id ORDER BY o.id')).toEqual([1, 10]);
    expect(await arrays.get('SELECT id FROM users WHERE id = 1', [], { rowMode: 'object' })).toEqual({ id: 1 });
  });

  it('plucks the first column', async () => {
    const db = withQueryTools(await openWith(SCHEMA));
    expect(await db.all('SELECT name, id FROM users ORDER BY id', [], { pluck: true })).toEqual(['Ada', 'Grace']);
    expect(await db.get('SELECT name FROM users WHERE id = 3', [], { pluck: true })).toBeUndefined();
    expect(await db.get('SELECT NULL', [], { pluck: true })).toBeNull();
  });

  it('expands rows by table, expressions under $', async () => {
    const db = withQueryTools(await openWith(SCHEMA));
    const rows = await db.all('SELECT u.id, u.name, o.id, o.total, o.total * 2 AS doubled FROM users u JOIN orders o ON o.user_id = u.id ORDER BY o.id', [], { expand: true });
    expect(rows[0]).toEqual({ users: { id: 1, name: 'Ada' }, orders: { id: 10, total: 500 }, $: { doubled: 1000 } });
    expect(rows).toHaveLength(3);
  });

  it('maps rows with a function or a class, after converters and shape', async () => {
    const db = withQueryTools(await openWith(SCHEMA), { converters: true });
    const users = await db.all('SELECT id, name FROM users ORDER BY id', [], { map: User });
    expect(users[0]).toBeInstanceOf(User);
    expect(users.map((u) => u.greeting)).toEqual(['Hello, Ada', 'Hello, Grace']);
    const years = await db.all('SELECT born FROM users ORDER BY id', [], { pluck: true, map: (born: unknown) => (born as Date).getUTCFullYear() });
    expect(years).toEqual([1815, 1906]);
    const pairs = await db.all('SELECT id, name FROM users ORDER BY id', [], { rowMode: 'array', map: ([id, name]: unknown[]) => `${String(id)}:${String(name)}` });
    expect(pairs).toEqual(['1:Ada', '2:Grace']);
    expect(await db.get('SELECT id, name FROM users WHERE id = 2', [], { map: User })).toEqual(new User({ id: 2, name: 'Grace' }));
  });

  it('shapes streamed rows the same way', async () => {
    const db = withQueryTools(await openWith(SCHEMA), { converters: true });
    const seen: unknown[] = [];
    for await (const born of db.iterate('SELECT born FROM users ORDER BY id', [], { pluck: true })) seen.push(born);
    expect(seen).toEqual([new Date('1815-12-10T00:00:00Z'), new Date('1906-12-09T00:00:00Z')]);
    const mapped: User[] = [];
    for await (const user of db.iterate('SELECT id, name FROM users ORDER BY id', [], { map: User, chunkSize: 1 })) mapped.push(user);
    expect(mapped.map((u) => u.name)).toEqual(['Ada', 'Grace']);
  });

  it('keeps a column named __proto__ as data, in objects and in expanded rows', () => {
    const build = rowBuilder([{ name: '__proto__', table: null }, { name: 'x', table: '__proto__' }], 'object');
    const row = build(['polluted', 1], 0) as Record<string, unknown>;
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(Object.keys(row)).toEqual(['__proto__', 'x']);
    const expanded = rowBuilder([{ name: '__proto__', table: '__proto__' }], 'expand')(['v'], 0) as Record<string, Record<string, unknown>>;
    expect(Object.getPrototypeOf(expanded)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(expanded, '__proto__')?.value).toEqual(expect.objectContaining({}));
  });

  it('refuses shapes that exclude one another, and a map that is not a function', async () => {
    const db = withQueryTools(await openWith(SCHEMA));
    expect(await rejection(db.all('SELECT 1', [], { pluck: true, expand: true } as never))).toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
    for (const bad of [{ pluck: true, rowMode: 'array' }, { rowMode: 'table' }, { map: 'User' }, { pluck: 'yes' }]) {
      expect(thrown(() => resolveShape(bad as never))).toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
    }
    // A constructor function written without class syntax is called, not constructed: wrap it.
    function Legacy(this: unknown, row: unknown) { return { wrapped: row }; }
    expect(toMapper(Legacy)(1)).toEqual({ wrapped: 1 });
  });
});
