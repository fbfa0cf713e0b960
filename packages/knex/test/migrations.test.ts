import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HANDLE_KINDS, knexOn, type KnexContext } from './helpers.ts';

const MIGRATIONS: Record<string, string> = {
  '20260101000000_create_users.mjs': `
export async function up(knex) {
  await knex.schema.createTable('users', (t) => { t.increments('id'); t.string('email').notNullable().unique(); });
}
export async function down(knex) { await knex.schema.dropTable('users'); }`,
  '20260102000000_add_name.mjs': `
export async function up(knex) {
  await knex.schema.alterTable('users', (t) => { t.string('name'); });
  await knex.schema.alterTable('users', (t) => { t.string('email', 320).notNullable().alter(); });
}
export async function down(knex) { await knex.schema.alterTable('users', (t) => { t.dropColumn('name'); }); }`,
  '20260103000000_create_posts.mjs': `
export async function up(knex) {
  await knex.schema.createTable('posts', (t) => { t.increments('id'); t.integer('user_id').references('users.id'); t.string('title'); });
}
export async function down(knex) { await knex.schema.dropTable('posts'); }`,
};

const SEED = `
export async function seed(knex) {
  await knex('posts').del();
  await knex('users').del();
  await knex('users').insert([{ id: 1, email: 'ada@example.com', name: 'Ada' }, { id: 2, email: 'bob@example.com', name: 'Bob' }]);
  await knex('posts').insert([{ user_id: 1, title: 'Notes' }]);
}`;

describe.each(HANDLE_KINDS)('knex migrations and seeds on rapsqlite (%s)', (kind) => {
  let ctx: KnexContext;
  let config: { directory: string; loadExtensions: string[] };
  let seeds: { directory: string; loadExtensions: string[] };
  beforeEach(async () => {
    ctx = await knexOn(kind);
    config = { directory: join(ctx.dir, 'migrations'), loadExtensions: ['.mjs'] };
    seeds = { directory: join(ctx.dir, 'seeds'), loadExtensions: ['.mjs'] };
    await mkdir(config.directory);
    await mkdir(seeds.directory);
    for (const [name, source] of Object.entries(MIGRATIONS)) await writeFile(join(config.directory, name), source);
    await writeFile(join(seeds.directory, '01_users.mjs'), SEED);
  });
  afterEach(async () => {
    await ctx.close();
  });

  it('runs migrations from files (an emulated ALTER among them), seeds, rolls back and migrates again', async () => {
    const [batch, applied] = (await ctx.db.migrate.latest(config)) as [number, string[]];
    expect(batch).toBe(1);
    expect(applied.map((f) => f.split('/').pop())).toEqual(Object.keys(MIGRATIONS));
    expect(await ctx.db.migrate.currentVersion(config)).toBe('20260103000000');
    expect(await ctx.db('knex_migrations').orderBy('id').pluck('name')).toEqual(Object.keys(MIGRATIONS));

    await ctx.db.seed.run(seeds);
    expect(await ctx.db('users').orderBy('id').select('email', 'name')).toEqual([
      { email: 'ada@example.com', name: 'Ada' },
      { email: 'bob@example.com', name: 'Bob' },
    ]);
    expect(await ctx.db('posts').count({ n: '*' }).first()).toEqual({ n: 1 });

    await ctx.db.migrate.down(config);
    expect(await ctx.db.schema.hasTable('posts')).toBe(false);
    expect(await ctx.db.schema.hasTable('users')).toBe(true);
    expect(await ctx.db.migrate.latest(config)).toEqual([2, ['20260103000000_create_posts.mjs']]);
    const [, pending] = (await ctx.db.migrate.list(config)) as [unknown[], unknown[]];
    expect(pending).toEqual([]);
  });

  it('uses the migration lock table and rejects a failed migration, leaving the schema as it was', async () => {
    await writeFile(join(config.directory, '20260104000000_broken.mjs'), `export async function up(knex) { await knex.schema.createTable('tmp', (t) => t.integer('x')); await knex.raw('SELEC nonsense'); }\nexport async function down() {}`);
    await expect(ctx.db.migrate.latest(config)).rejects.toMatchObject({ code: 'SQLITE_ERROR' });
    // knex runs each batch in a transaction: nothing of it stayed, and the lock was released.
    expect(await ctx.db.schema.hasTable('tmp')).toBe(false);
    expect(await ctx.db.schema.hasTable('users')).toBe(false);
    expect(await ctx.db('knex_migrations_lock').first()).toEqual({ index: 1, is_locked: 0 });
  });
});
