import { describe, expect, it } from 'vitest';
import { QueryToolsErrorCodes, sql, type Database, type Transaction } from '../../src/index.ts';
import { openTemp } from '../helpers.ts';

const SCHEMA = `
  CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, team TEXT, active BOOLEAN, joined DATETIME, prefs JSON, site TEXT, balance DECIMAL);
  CREATE TABLE posts (id INTEGER PRIMARY KEY, author INTEGER NOT NULL REFERENCES users (id), title TEXT NOT NULL);
`;

async function seeded(options?: Parameters<typeof openTemp>[0]): Promise<Database> {
  const db = await openTemp({ adapters: true, ...options });
  await db.exec(SCHEMA);
  await db.runMany('INSERT INTO users (name, team, active, joined, prefs) VALUES (?, ?, ?, ?, ?)', [
    ['Ada', 'red', true, new Date('2024-01-02T03:04:05.678Z'), '{"theme":"dark"}'],
    ['Bob', 'blue', false, new Date('2024-02-03T00:00:00.000Z'), '{"theme":"light"}'],
    ['Cy', 'green', true, new Date('2024-03-04T00:00:00.000Z'), null],
  ]);
  await db.runMany('INSERT INTO posts (author, title) VALUES (?, ?)', [
    [1, 'first'],
    [1, 'second'],
    [2, 'third'],
  ]);
  return db;
}

type Caught = Error & { readonly code?: string; readonly parameter?: unknown; readonly column?: unknown };

async function rejection(promise: Promise<unknown>): Promise<Caught> {
  try {
    await promise;
  } catch (err) {
    return err as Caught;
  }
  throw new Error('expected a rejection');
}

class User {
  readonly id: number;
  readonly name: string;
  constructor(row: { id: number; name: string }) {
    this.id = row.id;
    this.name = row.name;
  }
  greet(): string {
    return `hi ${this.name}`;
  }
}

describe('value adapters on the handle', () => {
  it('refuses Dates and booleans without the option, as before; binds them (ISO text, 1/0) and URLs with adapters: true', async () => {
    const plain = await openTemp();
    expect((await rejection(plain.run('SELECT ?, ?', [1, new Date()]))).code).toBe('ERR_RAPSQLITE_PARAMETER_TYPE');
    expect((await rejection(plain.get('SELECT ?', [true]))).code).toBe('ERR_RAPSQLITE_PARAMETER_TYPE');
    expect(await plain.scalar('SELECT ?', [true], { adapters: true })).toBe(1);
    const db = await seeded();
    await db.run('UPDATE users SET site = ? WHERE id = ?', [new URL('https://example.com/a?b=1'), 1]);
    const row = await db.get('SELECT active, joined, site FROM users WHERE id = 1');
    expect(row).toEqual({ active: 1, joined: '2024-01-02T03:04:05.678Z', site: 'https://example.com/a?b=1' });
  });

  it('takes per-database and per-call adapter options (epoch ms, JSON, a custom class)', async () => {
    class Money {
      readonly cents: bigint;
      constructor(cents: bigint) {
        this.cents = cents;
      }
    }
    const db = await seeded({ adapters: { dates: 'ms', json: true, custom: [{ type: Money, adapt: (m: Money) => m.cents }] } });
    const when = new Date('2025-05-06T07:08:09.000Z');
    await db.run('UPDATE users SET joined = ?, prefs = ?, balance = ? WHERE id = 1', [when, { theme: 'blue', n: [1, 2] }, new Money(2n ** 60n)]);
    expect(await db.get('SELECT joined, prefs, balance FROM users WHERE id = 1', [], { integers: 'bigint' })).toEqual({
      joined: BigInt(when.getTime()),
      prefs: '{"theme":"blue","n":[1,2]}',
      balance: 2n ** 60n,
    });
    // Per call: the call's adapters replace the database's.
    await db.run('UPDATE users SET joined = ? WHERE id = 2', [when], { adapters: { dates: 's' } });
    expect(await db.scalar('SELECT joined FROM users WHERE id = 2')).toBe(when.getTime() / 1000);
    // adapters: false refuses what no adapter takes, with the engine's own code naming the parameter.
    const refused = await rejection(db.run('UPDATE users SET joined = ? WHERE id = 2', [when], { adapters: false }));
    expect(refused.code).toBe('ERR_RAPSQLITE_PARAMETER_TYPE');
  });

  it('fails with PARAMETER_ADAPTER naming the parameter when an adapter throws, and writes nothing', async () => {
    class Secret {}
    const db = await seeded({ adapters: { custom: [{ type: Secret, adapt: () => { throw new Error('no'); } }] } });
    const error = await rejection(db.run('INSERT INTO users (name, team) VALUES (:name, :team)', { name: 'Eve', team: new Secret() }));
    expect(error.code).toBe(QueryToolsErrorCodes.PARAMETER_ADAPTER);
    expect(error.parameter).toBe('team');
    expect(await db.scalar('SELECT count(*) FROM users')).toBe(3);
    // Inside a transaction too: the failing call is refused before it is sent, the transaction still commits.
    await db.transaction(async (tx) => {
      await tx.run('INSERT INTO users (name) VALUES (?)', ['Fay']);
      const inner = await rejection(tx.run('INSERT INTO users (name, team) VALUES (?, ?)', ['Gus', new Secret()]));
      expect(inner.code).toBe(QueryToolsErrorCodes.PARAMETER_ADAPTER);
      expect(inner.parameter).toBe('2');
    });
    expect(await db.all('SELECT name FROM users ORDER BY id', [], { pluck: true })).toEqual(['Ada', 'Bob', 'Cy', 'Fay']);
  });

  it('refuses bad adapter options with INVALID_ARGUMENT before anything runs', async () => {
    const db = await seeded();
    expect((await rejection(db.run('SELECT 1', [], { adapters: { dates: 'weekly' as never } }))).code).toBe('ERR_RAPSQLITE_INVALID_ARGUMENT');
    expect((await rejection(db.run('SELECT 1', [], { rowMode: 'array' } as never))).code).toBe('ERR_RAPSQLITE_INVALID_ARGUMENT');
  });
});

describe('value converters on the handle', () => {
  it('converts by declared type per database, and per column per call', async () => {
    const db = await seeded({ converters: true });
    const ada = await db.get<{ active: boolean; joined: Date; prefs: unknown }>('SELECT active, joined, prefs FROM users WHERE id = 1');
    expect(ada).toEqual({ active: true, joined: new Date('2024-01-02T03:04:05.678Z'), prefs: { theme: 'dark' } });
    const items = await db.scalar("SELECT json_group_array(name) AS items FROM users WHERE team <> 'green'", [], { converters: { columns: { items: 'json' } } });
    expect(items).toEqual(['Ada', 'Bob']);
    // converters: false reads values as stored.
    expect(await db.get('SELECT active FROM users WHERE id = 2', [], { converters: false })).toEqual({ active: 0 });
    // values() converts its cells too, and iterate its rows.
    const { rows } = await db.values('SELECT active FROM users ORDER BY id');
    expect(rows).toEqual([[true], [false], [true]]);
    const seen: unknown[] = [];
    for await (const row of db.iterate('SELECT joined FROM users ORDER BY id', [], { chunkSize: 1 })) seen.push(row);
    expect(seen[2]).toEqual({ joined: new Date('2024-03-04T00:00:00.000Z') });
  });

  it('fails with COLUMN_CONVERTER naming the column when a converter throws (all, get, iterate)', async () => {
    const db = await seeded();
    await db.run("UPDATE users SET prefs = 'not json' WHERE id = 2");
    for (const read of [
      () => db.all('SELECT id, prefs FROM users', [], { converters: true }),
      () => db.get('SELECT prefs FROM users WHERE id = 2', [], { converters: true }),
      async () => {
        for await (const _ of db.iterate('SELECT prefs FROM users ORDER BY id', [], { converters: true, chunkSize: 1 })) void _;
      },
    ]) {
      const error = await rejection(read());
      expect(error.code).toBe(QueryToolsErrorCodes.COLUMN_CONVERTER);
      expect(error.column).toBe('prefs');
    }
    // The cursor was closed: the connection answers the next call.
    expect(await db.scalar('SELECT count(*) FROM users')).toBe(3);
  });

  it('keeps integers exact past 2^53 through converters (the integers mode applies first)', async () => {
    const db = await openTemp({ converters: true, integers: 'auto' });
    await db.exec('CREATE TABLE t (n INTEGER, doc JSON)');
    const big = 2n ** 62n + 1n;
    await db.run('INSERT INTO t VALUES (?, ?)', [big, `{"n":${big}}`]);
    expect(await db.get('SELECT n, doc FROM t')).toEqual({ n: big, doc: { n: big } });
    expect(await db.scalar('SELECT n FROM t')).toBe(big);
  });
});

describe('array parameters for IN (?)', () => {
  it('binds 0, 3 and 100 000 elements with one SQL text', async () => {
    const db = await seeded();
    expect(await db.all('SELECT name FROM users WHERE id IN (?) ORDER BY id', [[1, 3]], { pluck: true })).toEqual(['Ada', 'Cy']);
    expect(await db.all('SELECT name FROM users WHERE id IN (?)', [[]])).toEqual([]);
    expect(await db.all('SELECT name FROM users WHERE id NOT IN (?) ORDER BY id', [[]], { pluck: true })).toEqual(['Ada', 'Bob', 'Cy']);
    const many = Array.from({ length: 100_000 }, (_, i) => i + 2);
    expect(await db.scalar('SELECT count(*) FROM users WHERE id IN (?)', [many])).toBe(2);
    expect(await db.all('SELECT name FROM users WHERE team IN (:teams) ORDER BY id', { teams: ['red', 'green'] }, { pluck: true })).toEqual(['Ada', 'Cy']);
    // Composite keys: (a, b) IN (?) with pairs.
    expect(await db.all('SELECT title FROM posts WHERE (author, id) IN (?) ORDER BY id', [[[1, 2], [2, 3], [2, 1]]], { pluck: true })).toEqual(['second', 'third']);
    // Dates in a list go through the adapters.
    expect(await db.scalar('SELECT count(*) FROM users WHERE joined IN (?)', [[new Date('2024-02-03T00:00:00.000Z')]])).toBe(1);
  });

  it('works in run, runMany, iterate and inside transactions; a BLOB element is ARRAY_PARAMETER', async () => {
    const db = await seeded();
    await db.transaction(async (tx) => {
      expect((await tx.run('UPDATE users SET team = ? WHERE id IN (?)', ['gold', [1, 2]])).changes).toBe(2);
      await tx.runMany('DELETE FROM posts WHERE id IN (?)', [[[1]], [[2, 3]]]);
      const names: unknown[] = [];
      for await (const name of tx.iterate('SELECT name FROM users WHERE team IN (?) ORDER BY id', [['gold']], { pluck: true })) names.push(name);
      expect(names).toEqual(['Ada', 'Bob']);
    });
    expect(await db.scalar('SELECT count(*) FROM posts')).toBe(0);
    const error = await rejection(db.all('SELECT * FROM users WHERE name IN (?)', [[Buffer.from('x')]]));
    expect(error.code).toBe(QueryToolsErrorCodes.ARRAY_PARAMETER);
  });
});

describe('row shapes', () => {
  it('rowMode, pluck, expand and map (a function or a class) on get, all and iterate', async () => {
    const db = await seeded();
    expect(await db.get('SELECT id, name FROM users WHERE id = 1', [], { rowMode: 'array' })).toEqual([1, 'Ada']);
    expect(await db.all('SELECT id, id FROM users WHERE id < 3 ORDER BY id', [], { rowMode: 'array' })).toEqual([[1, 1], [2, 2]]);
    expect(await db.all('SELECT name FROM users ORDER BY id', undefined, { pluck: true })).toEqual(['Ada', 'Bob', 'Cy']);
    const expanded = await db.get('SELECT u.name, p.title, 1 + 1 AS two FROM users u JOIN posts p ON p.author = u.id WHERE p.id = 3', [], { expand: true });
    expect(expanded).toEqual({ users: { name: 'Bob' }, posts: { title: 'third' }, $: { two: 2 } });
    const users = await db.all('SELECT id, name FROM users ORDER BY id', [], { map: User });
    expect(users[0]).toBeInstanceOf(User);
    expect(users[1]!.greet()).toBe('hi Bob');
    const lengths = await db.all('SELECT name FROM users ORDER BY id', [], { pluck: true, map: (name: unknown) => String(name).length });
    expect(lengths).toEqual([3, 3, 2]);
    expect(await db.get('SELECT id, name FROM users WHERE id = 99', [], { map: User })).toBeUndefined();
    const streamed: User[] = [];
    for await (const user of db.iterate('SELECT id, name FROM users ORDER BY id', [], { map: User, chunkSize: 2 })) streamed.push(user);
    expect(streamed.map((u) => u.greet())).toEqual(['hi Ada', 'hi Bob', 'hi Cy']);
    const arrays: unknown[][] = [];
    for await (const row of db.iterate('SELECT id, name FROM users ORDER BY id', [], { rowMode: 'array', chunkSize: 2 })) arrays.push(row);
    expect(arrays).toEqual([[1, 'Ada'], [2, 'Bob'], [3, 'Cy']]);
  });

  it('takes a per-database rowMode and prepared statements pass the options on', async () => {
    const db = await seeded({ rowMode: 'array' });
    expect(await db.get('SELECT id, name FROM users WHERE id = 2')).toEqual([2, 'Bob']);
    expect(await db.get('SELECT id, name FROM users WHERE id = 2', [], { rowMode: 'object' })).toEqual({ id: 2, name: 'Bob' });
    const statement = await db.prepare('SELECT name FROM users WHERE id IN (?) ORDER BY id');
    expect(await statement.all([[1, 2]] as never, { pluck: true } as never)).toEqual(['Ada', 'Bob']);
  });

  it('refuses combined shapes and a bad map with INVALID_ARGUMENT', async () => {
    const db = await seeded();
    expect((await rejection(db.all('SELECT 1', [], { pluck: true, expand: true } as never))).code).toBe('ERR_RAPSQLITE_INVALID_ARGUMENT');
    expect((await rejection(db.all('SELECT 1', [], { map: 42 } as never))).code).toBe('ERR_RAPSQLITE_INVALID_ARGUMENT');
    expect((await rejection(db.values('SELECT 1', [], { pluck: true } as never))).code).toBe('ERR_RAPSQLITE_INVALID_ARGUMENT');
  });
});

describe('the sql tag and the conveniences', () => {
  it('binds interpolated values, quotes sql.id, refuses other interpolations', async () => {
    const db = await seeded({ converters: true });
    const team = 'red';
    const column = sql.id('name');
    expect(await db.all(sql`SELECT ${column} FROM users WHERE team = ${team} AND joined < ${new Date('2030-01-01')}`, { pluck: true })).toEqual(['Ada']);
    expect(await db.get(sql`SELECT count(*) AS n FROM users WHERE id IN (${[1, 2]})`)).toEqual({ n: 2 });
    const id = await db.insert(sql`INSERT INTO users (name, active) VALUES (${'Dee'}, ${true})`);
    expect(id).toBe(4);
    expect(await db.scalar(sql`SELECT active FROM users WHERE id = ${id as number}`)).toBe(true);
    expect(await db.exists(sql`SELECT 1 FROM users WHERE name = ${'Dee'}`)).toBe(true);
    expect((await db.run(sql`DELETE FROM users WHERE id = ${4}`)).changes).toBe(1);
    expect((await db.values(sql`SELECT id FROM users WHERE id = ${1}`)).rows).toEqual([[1]]);
    let caught: unknown;
    try {
      void sql`SELECT * FROM users WHERE id = ${(() => 1) as never}`;
    } catch (err) {
      caught = err;
    }
    expect((caught as { code?: string }).code).toBe(QueryToolsErrorCodes.SQL_INTERPOLATION);
  });

  it('insert returns the rowid (bigint past 2^53), undefined for an ignored row, refuses upserts', async () => {
    const db = await seeded();
    expect(await db.insert('INSERT INTO users (name, joined) VALUES (?, ?)', ['Eve', new Date()])).toBe(4);
    expect(await db.insert('INSERT INTO users (id, name) VALUES (?, ?)', [2n ** 60n, 'Big'])).toBe(2n ** 60n);
    expect(await db.insert('INSERT OR IGNORE INTO users (id, name) VALUES (1, ?)', ['dup'])).toBeUndefined();
    const upsert = await rejection(db.insert('INSERT INTO users (id, name) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name', ['x']));
    expect(upsert.code).toBe('ERR_RAPSQLITE_INVALID_ARGUMENT');
    expect((await rejection(db.insert('UPDATE users SET name = ?', ['x']))).code).toBe('ERR_RAPSQLITE_INVALID_ARGUMENT');
    // A constraint error keeps its code.
    const constraint = await rejection(db.insert('INSERT INTO users (id, name) VALUES (1, ?)', ['again']));
    expect(constraint.code).toBe('SQLITE_CONSTRAINT_PRIMARYKEY');
  });

  it('scalar and exists, on the database and in nested transactions that commit and roll back', async () => {
    const db = await seeded();
    expect(await db.scalar('SELECT name FROM users WHERE id = ?', [99])).toBeUndefined();
    expect(await db.scalar('SELECT NULL')).toBeNull();
    expect(await db.exists('SELECT 1 FROM users WHERE active = ?', [false])).toBe(true);
    expect(await db.exists('SELECT 1 FROM users WHERE id = ?', [99])).toBe(false);
    await db.transaction(async (tx: Transaction) => {
      const id = await tx.insert('INSERT INTO users (name) VALUES (?)', ['Tx']);
      await rejection(
        tx.transaction(async (inner) => {
          await inner.insert('INSERT INTO users (name) VALUES (?)', ['Rolled back']);
          expect(await inner.scalar('SELECT count(*) FROM users')).toBe(5);
          throw new Error('undo the savepoint');
        }),
      );
      expect(await tx.exists('SELECT 1 FROM users WHERE id = ?', [id as number])).toBe(true);
      expect(await tx.scalar('SELECT count(*) FROM users')).toBe(4);
    });
    expect(await db.all('SELECT name FROM users ORDER BY id', [], { pluck: true })).toEqual(['Ada', 'Bob', 'Cy', 'Tx']);
    const open = await db.begin();
    await open.insert('INSERT INTO users (name) VALUES (?)', ['Open']);
    expect(await open.all('SELECT name FROM users WHERE id > ?', [4], { pluck: true })).toEqual(['Open']);
    await open.rollback();
    expect(await db.exists('SELECT 1 FROM users WHERE name = ?', ['Open'])).toBe(false);
  });
});

describe('keyset pagination on the handle', () => {
  async function posts(): Promise<Database> {
    const db = await openTemp({ adapters: true, converters: true });
    await db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, created DATETIME NOT NULL, title TEXT NOT NULL); CREATE INDEX items_created ON items (created, id)');
    const day = Date.UTC(2024, 0, 1);
    await db.runMany(
      'INSERT INTO items (created, title) VALUES (?, ?)',
      Array.from({ length: 25 }, (_, i) => [new Date(day + Math.floor(i / 2) * 86_400_000), `item ${i + 1}`]),
    );
    return db;
  }

  it('pages forward and backward with converted, shaped rows, stable under inserts', async () => {
    const db = await posts();
    const options = { orderBy: ['created', 'id'], limit: 10 } as const;
    const first = await db.paginate<{ id: number; created: Date }>('SELECT id, created FROM items', options);
    expect(first.rows.map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(first.rows[0]!.created).toEqual(new Date(Date.UTC(2024, 0, 1)));
    expect(first.next).toMatch(/^[A-Za-z0-9_.-]+$/);
    // A row inserted before the cursor does not shift the next page.
    await db.run('INSERT INTO items (created, title) VALUES (?, ?)', [new Date(Date.UTC(2023, 0, 1)), 'older']);
    const second = await db.paginate('SELECT id, created FROM items', { ...options, after: first.next as string, pluck: true });
    expect(second.rows).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    const back = await db.paginate('SELECT id, created FROM items', { ...options, before: second.previous as string, pluck: true });
    expect(back.rows).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // With parameters, IN arrays and the sql tag.
    const tagged = await db.paginate(sql`SELECT id FROM items WHERE id IN (${[3, 5, 7, 9]})`, { orderBy: ['id'], limit: 2, pluck: true });
    expect(tagged.rows).toEqual([3, 5]);
  });

  it('refuses a tampered token (PAGINATION_CURSOR) and a NULL key (PAGINATION_KEY), also inside a transaction', async () => {
    const db = await posts();
    const page = await db.paginate('SELECT id FROM items', { orderBy: ['id'], limit: 5 });
    const token = page.next as string;
    const tampered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
    expect((await rejection(db.paginate('SELECT id FROM items', { orderBy: ['id'], after: tampered }))).code).toBe(QueryToolsErrorCodes.PAGINATION_CURSOR);
    expect((await rejection(db.paginate('SELECT id FROM items', { orderBy: ['id'], after: 'not a token' }))).code).toBe(QueryToolsErrorCodes.PAGINATION_CURSOR);
    await db.transaction(async (tx) => {
      const error = await rejection(tx.paginate('SELECT id, NULL AS k FROM items', { orderBy: ['k'], limit: 5 }));
      expect(error.code).toBe(QueryToolsErrorCodes.PAGINATION_KEY);
      const inTx = await tx.paginate('SELECT id FROM items', { orderBy: ['id'], limit: 5, after: token, pluck: true });
      expect(inTx.rows).toEqual([6, 7, 8, 9, 10]);
    });
  });
});
