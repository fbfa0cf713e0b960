import { QueryToolsErrorCodes, sql } from '@rapsqlite/engine';
import { describe, expect, it } from 'vitest';
import type { Pool } from '../src/index.ts';
import { join } from 'node:path';
import { createPool } from '../src/index.ts';
import { poolTemp, tempDir } from './helpers.ts';

// The tools per call; the last test gives them as the pool's own defaults.
const ADAPT = { adapters: true } as const;

async function seeded(): Promise<Pool> {
  const pool = await poolTemp({ minReaders: 2, maxReaders: 2 });
  await pool.exec(`
    CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, at DATETIME NOT NULL, done BOOLEAN NOT NULL, doc JSON);
    CREATE INDEX events_at ON events (at, id);
  `);
  const start = Date.UTC(2025, 0, 1);
  await pool.runMany(
    'INSERT INTO events (kind, at, done, doc) VALUES (?, ?, ?, ?)',
    Array.from({ length: 30 }, (_, i) => [i % 3 === 0 ? 'login' : 'click', new Date(start + i * 60_000), i % 2 === 0, JSON.stringify({ n: i })]),
    ADAPT,
  );
  return pool;
}

class Event {
  readonly id: number;
  readonly kind: string;
  constructor(row: { id: number; kind: string }) {
    this.id = row.id;
    this.kind = row.kind;
  }
}

describe('the query tools through a pool', () => {
  it('binds Dates and booleans, converts and shapes rows read on readers', async () => {
    const pool = await seeded();
    const roles = new Set<string | undefined>();
    const seen = pool.with({
      name: 'roles',
      wrap: (next) => async (op) => {
        const result = await next(op);
        roles.add(op.connection?.role);
        return result;
      },
    });
    const first = await seen.get<{ at: Date; done: boolean; doc: { n: number } }>('SELECT at, done, doc FROM events WHERE id = ?', [1], { converters: true });
    expect(first).toEqual({ at: new Date(Date.UTC(2025, 0, 1)), done: true, doc: { n: 0 } });
    expect(await seen.all('SELECT id FROM events WHERE id IN (?) ORDER BY id', [[3, 5, 8]], { pluck: true })).toEqual([3, 5, 8]);
    expect(await seen.scalar('SELECT count(*) FROM events WHERE done = ?', [true], ADAPT)).toBe(15);
    expect(await seen.exists(sql`SELECT 1 FROM events WHERE at > ${new Date(Date.UTC(2030, 0, 1))}`, ADAPT)).toBe(false);
    // Without adapters a pool refuses a Date, as it always did.
    expect(await seen.exists('SELECT 1 WHERE ? > 0', [new Date()]).catch((e: unknown) => (e as { code?: string }).code)).toBe('ERR_RAPSQLITE_PARAMETER_TYPE');
    const mapped = await seen.all(sql`SELECT id, kind FROM events WHERE kind = ${'login'} ORDER BY id LIMIT 2`, { map: Event });
    expect(mapped[1]).toBeInstanceOf(Event);
    expect(mapped.map((e) => e.id)).toEqual([1, 4]);
    const streamed: unknown[] = [];
    for await (const row of seen.iterate('SELECT id, done FROM events ORDER BY id LIMIT 5', [], { rowMode: 'array', converters: true, chunkSize: 2 })) streamed.push(row);
    expect(streamed).toEqual([[1, true], [2, false], [3, true], [4, false], [5, true]]);
    expect(roles).toEqual(new Set(['reader']));
  });

  it('inserts and pages on the writer and in transactions, read-only ones on a reader', async () => {
    const pool = await seeded();
    const id = await pool.insert('INSERT INTO events (kind, at, done) VALUES (?, ?, ?)', ['logout', new Date(Date.UTC(2025, 0, 2)), false], ADAPT);
    expect(id).toBe(31);
    await pool.transaction(async (tx) => {
      expect(await tx.insert(sql`INSERT INTO events (kind, at, done) VALUES (${'x'}, ${new Date()}, ${true})`, ADAPT)).toBe(32);
      expect((await tx.run('DELETE FROM events WHERE id IN (?)', [[31, 32]])).changes).toBe(2);
    });
    const roles: Array<string | undefined> = [];
    const recorded = pool.with({
      name: 'roles',
      wrap: (next) => async (op) => {
        const result = await next(op);
        if (op.kind === 'values') roles.push(op.connection?.role);
        return result;
      },
    });
    const page = await recorded.transaction(
      async (tx) => {
        const one = await tx.paginate<{ id: number; at: Date }>('SELECT id, at FROM events', { orderBy: ['at', 'id'], limit: 10, converters: true });
        const two = await tx.paginate<{ id: number; at: Date }>('SELECT id, at FROM events', { orderBy: ['at', 'id'], limit: 10, converters: true, after: one.next as string });
        return { one, two };
      },
      { readonly: true },
    );
    expect(page.one.rows[0]!.at).toEqual(new Date(Date.UTC(2025, 0, 1)));
    expect(page.two.rows.map((r) => r.id)).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    expect(roles.length).toBeGreaterThanOrEqual(2);
    expect(new Set(roles)).toEqual(new Set(['reader']));
    const bad = await pool.paginate('SELECT id, at FROM events', { orderBy: ['at', 'id'], after: 'AAAA.BBBB' }).then(() => ({}), (e: unknown) => e as { code?: string });
    expect((bad as { code?: string }).code).toBe(QueryToolsErrorCodes.PAGINATION_CURSOR);
  });

  it('keeps coded errors: a throwing adapter writes nothing, a throwing converter names its column', async () => {
    const pool = await seeded();
    class Broken {}
    const adapters = { custom: [{ type: Broken, adapt: (): never => { throw new Error('broken'); } }] };
    const failed = await pool.run('INSERT INTO events (kind, at, done) VALUES (?, ?, ?)', ['k', new Broken(), true], { adapters }).catch((e: unknown) => e as { code?: string; parameter?: string });
    expect(failed).toMatchObject({ code: QueryToolsErrorCodes.PARAMETER_ADAPTER, parameter: '2' });
    expect(await pool.scalar('SELECT count(*) FROM events')).toBe(30);
    await pool.run("UPDATE events SET doc = '{broken' WHERE id = 7");
    const converter = await pool.all('SELECT id, doc FROM events', [], { converters: true }).catch((e: unknown) => e as { code?: string; column?: string });
    expect(converter).toMatchObject({ code: QueryToolsErrorCodes.COLUMN_CONVERTER, column: 'doc' });
  });

  it('takes adapters, converters and rowMode as defaults of the pool, on readers, the writer and in transactions', async () => {
    const pool = await poolTemp({ minReaders: 1, maxReaders: 2, adapters: true, converters: true, rowMode: 'array' });
    await pool.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, at DATETIME NOT NULL, done BOOLEAN NOT NULL)');
    const at = new Date('2026-03-04T05:06:07.000Z');
    await pool.run('INSERT INTO t (at, done) VALUES (?, ?)', [at, true]);
    // A read on a reader: converted, as arrays.
    expect(await pool.all('SELECT id, at, done FROM t')).toEqual([[1, at, true]]);
    await pool.transaction(async (tx) => {
      await tx.run('INSERT INTO t (at, done) VALUES (?, ?)', [at, false]);
      expect(await tx.get('SELECT done FROM t WHERE id = 2')).toEqual([false]);
    });
    // A call's own options still win.
    expect(await pool.get('SELECT id FROM t WHERE id = 2', [], { rowMode: 'object' })).toEqual({ id: 2 });
    // The pool's own statements (health, checkpoints, stats) are not shaped: it keeps working.
    expect((await pool.checkpoint()).busy).toBe(false);
    expect(pool.stats().writer.total).toBe(1);
    await expect(createPool(join(tempDir(), 'bad.db'), { rowMode: 'rows' as never })).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
  });
});
