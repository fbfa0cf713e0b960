import type { Knex } from 'knex';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HANDLE_KINDS, knexOn, knexOnBetterSqlite3, type KnexContext } from './helpers.ts';

/** One scenario of query-builder calls; its results are compared between rapsqlite and knex's better-sqlite3 client. */
async function scenario(db: Knex): Promise<unknown[]> {
  await db.schema.createTable('users', (t) => {
    t.increments('id');
    t.string('email').notNullable().unique();
    t.boolean('active').defaultTo(true);
    t.timestamp('seen_at');
    t.integer('visits').defaultTo(0);
    t.float('score');
    t.binary('avatar');
    t.json('prefs');
  });
  await db.schema.createTable('posts', (t) => {
    t.increments('id');
    t.integer('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.string('title');
  });
  const out: unknown[] = [];
  const when = new Date('2025-05-06T07:08:09.010Z');
  out.push(await db('users').insert({ email: 'ada@example.com', active: false, seen_at: when, score: 1.5, avatar: Buffer.from([1, 2, 3]), prefs: JSON.stringify({ a: 1 }) }));
  out.push(await db('users').insert([{ email: 'bob@example.com' }, { email: 'cy@example.com' }]));
  out.push(await db('users').insert({ email: 'dee@example.com' }, ['id', 'email']));
  out.push(await db('users').insert({ email: 'eve@example.com' }).returning('*'));
  out.push(await db('posts').insert([{ user_id: 1, title: 'one' }, { user_id: 1, title: 'two' }, { user_id: 2, title: 'three' }]));
  out.push(await db('users').select('id', 'email', 'active', 'seen_at', 'visits', 'score', 'avatar', 'prefs').orderBy('id'));
  out.push(await db('users').where({ email: 'ada@example.com' }).first());
  out.push(await db('users').where('active', true).pluck('email'));
  out.push(await db('users').where('seen_at', when).count({ n: '*' }));
  out.push(await db('users').where('id', '>', 3).update({ visits: 10 }));
  out.push(await db('users').where('id', 2).update({ visits: 3 }, ['id', 'visits']));
  out.push(await db('users').increment('visits', 2));
  out.push(await db('users').where('id', 1).decrement({ visits: 1 }));
  out.push(await db('users').sum({ total: 'visits' }).first());
  out.push(await db('users').join('posts', 'posts.user_id', 'users.id').groupBy('users.id').select('users.email').count({ posts: 'posts.id' }).orderBy('users.id'));
  out.push(await db('users').whereIn('id', [1, 2]).orderBy('id', 'desc').limit(1).offset(0).select('email'));
  out.push(await db.raw('SELECT ? AS a, ? AS b, ? AS c', [true, when, 'x']));
  out.push(await db.raw('UPDATE users SET score = 2 WHERE id = ?', [3]));
  out.push(await db('users').where('id', 3).del(['id']));
  out.push(await db('users').where('id', 5).del());
  out.push(await db('posts').count({ n: '*' }));
  out.push(await db('users').columnInfo('email'));
  out.push(await db('users').insert({ email: 'ada@example.com' }).catch((e: { code?: string }) => e.code));
  return out;
}

describe.each(HANDLE_KINDS)('the query builder on rapsqlite (%s)', (kind) => {
  let ctx: KnexContext;
  beforeEach(async () => {
    ctx = await knexOn(kind);
  });
  afterEach(async () => {
    await ctx.close();
  });

  it("returns exactly what knex's better-sqlite3 client returns, call for call", async () => {
    const reference = await knexOnBetterSqlite3();
    let expected: unknown[];
    try {
      expected = await scenario(reference.db);
    } finally {
      await reference.close();
    }
    const actual = await scenario(ctx.db);
    expect(actual).toHaveLength(expected.length);
    for (let i = 0; i < expected.length; i++) expect([i, actual[i]]).toEqual([i, expected[i]]);
    // Spot checks of what the comparison covered.
    expect(actual[0]).toEqual([1]);
    expect(actual.at(-1)).toBe('SQLITE_CONSTRAINT_UNIQUE');
  });

  it('never rounds an integer past 2^53: it fails by default and reads exactly in bigint modes', async () => {
    const big = 2n ** 60n + 7n;
    await ctx.db.schema.createTable('big', (t) => {
      t.integer('id').primary();
      t.bigInteger('n');
    });
    await ctx.db('big').insert({ id: 1, n: big });
    await expect(ctx.db('big').first()).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_INTEGER_OVERFLOW' });
    expect(await ctx.db('big').first().options({ safeIntegers: true })).toEqual({ id: 1n, n: big });
    expect(await ctx.db('big').first().options({ integers: 'auto' })).toEqual({ id: 1, n: big });
    expect(await ctx.db('big').where('n', big as never).count({ c: '*' }).first()).toEqual({ c: 1 });
  });

  it('applies the integers setting of the connection', async () => {
    const auto = await knexOn(kind, { integers: 'auto' });
    try {
      await auto.db.raw('CREATE TABLE big (n INTEGER)');
      await auto.db('big').insert({ n: 2n ** 55n });
      expect(await auto.db('big').pluck('n')).toEqual([2n ** 55n]);
    } finally {
      await auto.close();
    }
  });

  it('runs many queries at once without knex serialising them on one connection', async () => {
    await ctx.db.schema.createTable('t', (t) => t.integer('n'));
    await ctx.db('t').insert(Array.from({ length: 100 }, (_, n) => ({ n })));
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => ctx.db('t').where('n', i % 100).first()));
    expect(results.map((r) => (r as { n: number }).n)).toEqual(Array.from({ length: 200 }, (_, i) => i % 100));
  });
});
