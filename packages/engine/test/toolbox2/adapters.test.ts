import { describe, expect, it } from 'vitest';
import { adaptParams, resolveAdapters } from '../../src/toolbox/adapters.ts';
import { withQueryTools } from '../../src/toolbox/query-tools.ts';
import { openWith, rejection, thrown } from './helpers.ts';

class Money {
  readonly cents: bigint;
  constructor(cents: bigint) {
    this.cents = cents;
  }
}

const SCHEMA = 'CREATE TABLE events (id INTEGER PRIMARY KEY, at TEXT, done INTEGER, link TEXT, doc TEXT, price INTEGER)';

describe('value adapters', () => {
  it('binds Dates as ISO-8601 text, booleans as 1/0 and URLs as text by default', async () => {
    const db = withQueryTools(await openWith(SCHEMA));
    const at = new Date('2026-03-01T09:30:00.123Z');
    await db.run('INSERT INTO events (at, done, link) VALUES (?, ?, ?)', [at, true, new URL('https://example.com/a?b=1')]);
    await db.run('INSERT INTO events (at, done) VALUES (:at, :done)', { at, done: false });
    expect(await db.base.all('SELECT at, typeof(at) AS t, done, link FROM events ORDER BY id')).toEqual([
      { at: '2026-03-01T09:30:00.123Z', t: 'text', done: 1, link: 'https://example.com/a?b=1' },
      { at: '2026-03-01T09:30:00.123Z', t: 'text', done: 0, link: null },
    ]);
    // Booleans and epoch numbers are bound as INTEGERs: a number would be a REAL, stored as '1.0' in a TEXT column.
    expect(await db.scalar("SELECT typeof(?) || ' ' || CAST(? AS TEXT)", [true, true])).toBe('integer 1');
  });

  it("writes Dates as epoch ms, whole seconds or SQLite's own text on request", async () => {
    const at = new Date('2026-03-01T09:30:00.999Z');
    const base = await openWith('');
    for (const [dates, expected] of [
      ['ms', at.getTime()],
      ['s', Math.floor(at.getTime() / 1000)],
      ['sqlite', '2026-03-01 09:30:00.999'],
    ] as const) {
      const db = withQueryTools(base, { adapters: { dates } });
      expect(await db.scalar('SELECT ?', [at])).toBe(expected);
    }
    // SQLite's form compares correctly with CURRENT_TIMESTAMP-style text, the ISO form does not (the T sorts after the space).
    const sqliteForm = withQueryTools(base, { adapters: { dates: 'sqlite' } });
    expect(await sqliteForm.scalar("SELECT ? > '2026-03-01 09:30:00'", [at])).toBe(1);
    expect(await sqliteForm.scalar("SELECT datetime(?) = '2026-03-01 09:30:00'", [at])).toBe(1);
  });

  it('writes plain objects and arrays as JSON only when asked, with bigints exact', async () => {
    const db = await openWith(SCHEMA);
    const off = withQueryTools(db);
    expect(await rejection(off.run('INSERT INTO events (doc) VALUES (?)', [{ a: 1 }]))).toMatchObject({ code: 'ERR_RAPSQLITE_PARAMETER_TYPE', parameter: '1' });
    const on = withQueryTools(db, { adapters: { json: true } });
    await on.run('INSERT INTO events (doc) VALUES (?)', [{ tags: ['a', 'b'], big: 2n ** 63n - 1n, nested: { ok: true } }]);
    expect(await db.get('SELECT doc, doc ->> \'$.big\' AS big FROM events', [], { integers: 'bigint' })).toEqual({
      doc: '{"tags":["a","b"],"big":9223372036854775807,"nested":{"ok":true}}',
      big: 2n ** 63n - 1n,
    });
  });

  it('runs user adapters by class or predicate, before the built-ins', async () => {
    const db = withQueryTools(await openWith(SCHEMA), {
      adapters: {
        custom: [
          { type: Money, adapt: (m: Money) => m.cents },
          { test: (v) => v instanceof Date, adapt: (d: Date) => BigInt(d.getTime()), name: 'date-as-ms' },
        ],
      },
    });
    await db.run('INSERT INTO events (price, at) VALUES (?, ?)', [new Money(2n ** 60n), new Date(5)]);
    expect(await db.base.get('SELECT price, at FROM events', [], { integers: 'bigint' })).toEqual({ price: 2n ** 60n, at: '5' });
  });

  it('names the parameter when an adapter throws, and writes nothing', async () => {
    const db = withQueryTools(await openWith(SCHEMA), {
      adapters: { custom: [{ type: Money, adapt: () => { throw new Error('no currency'); } }] },
    });
    const error = await rejection(db.run('INSERT INTO events (at, price) VALUES (:at, :price)', { at: new Date(0), price: new Money(1n) }));
    expect(error).toMatchObject({ code: 'ERR_RAPSQLITE_PARAMETER_ADAPTER', parameter: 'price' });
    expect((error.cause as Error).message).toBe('no currency');
    const invalidDate = await rejection(db.run('INSERT INTO events (at) VALUES (?)', [new Date('nope')]));
    expect(invalidDate).toMatchObject({ code: 'ERR_RAPSQLITE_PARAMETER_ADAPTER', parameter: '1' });
    await db.transaction(async (tx) => {
      await tx.run('INSERT INTO events (done) VALUES (?)', [true]);
      expect(await rejection(tx.run('INSERT INTO events (price) VALUES (?)', [new Money(1n)]))).toMatchObject({ code: 'ERR_RAPSQLITE_PARAMETER_ADAPTER' });
    }).catch(() => undefined);
    expect(await db.scalar('SELECT count(*) FROM events')).toBe(1);
  });

  it('refuses an adapter that returns something SQLite cannot bind', async () => {
    const db = withQueryTools(await openWith(SCHEMA), { adapters: { custom: [{ type: Money, adapt: () => undefined as never }] } });
    expect(await rejection(db.run('INSERT INTO events (price) VALUES (?)', [new Money(1n)]))).toMatchObject({ code: 'ERR_RAPSQLITE_PARAMETER_ADAPTER', parameter: '1' });
    expect(await db.scalar('SELECT count(*) FROM events')).toBe(0);
  });

  it('keeps the coded error naming the parameter for types no adapter takes', async () => {
    const db = withQueryTools(await openWith(SCHEMA));
    expect(await rejection(db.run('INSERT INTO events (doc) VALUES (?)', [new Map()]))).toMatchObject({ code: 'ERR_RAPSQLITE_PARAMETER_TYPE', parameter: '1' });
    expect(await rejection(db.run('INSERT INTO events (doc) VALUES (:doc)', { doc: Symbol('s') as never }))).toMatchObject({ code: 'ERR_RAPSQLITE_PARAMETER_TYPE', parameter: 'doc' });
    const strict = withQueryTools(db.base, { adapters: false });
    expect(await rejection(strict.run('INSERT INTO events (at) VALUES (?)', [new Date()]))).toMatchObject({ code: 'ERR_RAPSQLITE_PARAMETER_TYPE', parameter: '1' });
  });

  it('takes per-call adapters that replace the database ones', async () => {
    const db = withQueryTools(await openWith(''));
    expect(await db.scalar('SELECT ?', [new Date(1000)], { adapters: { dates: 's' } })).toBe(1);
    expect(await rejection(db.scalar('SELECT ?', [true], { adapters: false }))).toMatchObject({ code: 'ERR_RAPSQLITE_PARAMETER_TYPE' });
  });

  it('returns the same parameters object when nothing needs adapting, and never changes the caller\'s', () => {
    const adapters = resolveAdapters(undefined);
    const plain = [1, 'a', null, 2n, Buffer.from('x')];
    expect(adaptParams(plain, adapters, 'SELECT ?')).toBe(plain);
    const named = { a: 1 };
    expect(adaptParams(named, adapters, 'SELECT :a')).toBe(named);
    const mixed = [1, true];
    expect(adaptParams(mixed, adapters, 'SELECT ?, ?')).toEqual([1, 1n]);
    expect(mixed).toEqual([1, true]);
    expect(adaptParams(new Date(0), adapters, 'SELECT ?')).toBe('1970-01-01T00:00:00.000Z');
  });

  it('refuses bad adapter options with ERR_RAPSQLITE_INVALID_ARGUMENT', () => {
    for (const bad of [{ dates: 'julian' }, { json: 'yes' }, { custom: [{ adapt: () => 1 }] }, { custom: [{ type: Money, test: () => true, adapt: () => 1 }] }, { datess: 'iso' }, 'iso']) {
      expect(thrown(() => resolveAdapters(bad as never))).toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
    }
  });
});
