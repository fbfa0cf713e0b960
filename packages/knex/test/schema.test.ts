import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HANDLE_KINDS, knexOn, type KnexContext } from './helpers.ts';

describe.each(HANDLE_KINDS)('the schema builder on rapsqlite (%s)', (kind) => {
  let ctx: KnexContext;
  beforeEach(async () => {
    ctx = await knexOn(kind);
    await ctx.db.schema.createTable('authors', (t) => {
      t.increments('id');
      t.string('name');
    });
    await ctx.db.schema.createTable('books', (t) => {
      t.increments('id');
      t.integer('author_id').references('authors.id').onDelete('CASCADE');
      t.string('title');
      t.integer('pages');
    });
    await ctx.db('authors').insert([{ name: 'Le Guin' }, { name: 'Banks' }]);
    await ctx.db('books').insert([
      { author_id: 1, title: 'The Dispossessed', pages: 387 },
      { author_id: 2, title: 'Excession', pages: 451 },
    ]);
  });
  afterEach(async () => {
    await ctx.close();
  });

  const foreignKeysOn = async () => (await ctx.db.transaction(async (trx) => (await trx.raw('PRAGMA foreign_keys')) as { foreign_keys: number }[]))[0]?.foreign_keys;

  it("runs knex's ALTER TABLE emulation (copy, drop, rename with foreign keys off), keeping data and constraints", async () => {
    expect(await foreignKeysOn()).toBe(1);
    await ctx.db.schema.alterTable('books', (t) => {
      t.string('title').notNullable().alter();
      t.dropColumn('pages');
      t.renameColumn('author_id', 'writer_id');
    });
    const columns = await ctx.db('books').columnInfo();
    expect(Object.keys(columns).sort()).toEqual(['id', 'title', 'writer_id']);
    expect(columns['title']?.nullable).toBe(false);
    expect(await ctx.db('books').orderBy('id').select()).toEqual([
      { id: 1, writer_id: 1, title: 'The Dispossessed' },
      { id: 2, writer_id: 2, title: 'Excession' },
    ]);
    // Foreign keys were switched back on, on the writer, and still hold for the copied table.
    expect(await foreignKeysOn()).toBe(1);
    await expect(ctx.db('books').insert({ writer_id: 99, title: 'orphan' })).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
    await expect(ctx.db('books').insert({ writer_id: 1, title: null })).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_NOTNULL' });
    await ctx.db('authors').where('id', 1).del();
    expect(await ctx.db('books').pluck('title')).toEqual(['Excession']);
  });

  it('keeps other writers off the writer while an ALTER has foreign keys off, so none skips its checks', async () => {
    // Fired the moment the ALTER switches foreign keys off: without the writer-state lock they would run then, unchecked.
    let orphans: Promise<unknown>[] = [];
    const onQuery = (query: { sql: string }) => {
      if (!/foreign_keys = OFF/i.test(query.sql) || orphans.length > 0) return;
      orphans = Array.from({ length: 20 }, (_, i) =>
        ctx
          .db('books')
          .insert({ author_id: 1000 + i, title: 'orphan' })
          .then(
            () => 'inserted',
            (e: { code?: string }) => e.code,
          ),
      );
    };
    ctx.db.on('query', onQuery);
    await ctx.db.schema.alterTable('books', (t) => {
      t.string('title').notNullable().alter();
    });
    ctx.db.off('query', onQuery);
    expect(orphans).toHaveLength(20);
    expect(new Set(await Promise.all(orphans))).toEqual(new Set(['SQLITE_CONSTRAINT_FOREIGNKEY']));
    expect(await ctx.db('books').count({ n: '*' }).first()).toEqual({ n: 2 });
  });

  it('creates and drops indexes, views and tables, and reports what exists', async () => {
    await ctx.db.schema.alterTable('books', (t) => t.index(['title'], 'books_title'));
    expect((await ctx.db.raw("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'books_title'")).length).toBe(1);
    await ctx.db.schema.createView('long_books', (view) => view.as(ctx.db('books').where('pages', '>', 400).select('title')));
    expect(await ctx.db('long_books').pluck('title')).toEqual(['Excession']);
    expect(await ctx.db.schema.hasTable('books')).toBe(true);
    expect(await ctx.db.schema.hasColumn('books', 'pages')).toBe(true);
    await ctx.db.schema.dropView('long_books');
    await ctx.db.schema.dropTable('books');
    expect(await ctx.db.schema.hasTable('books')).toBe(false);
  });
});
