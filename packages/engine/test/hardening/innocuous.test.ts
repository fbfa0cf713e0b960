import { describe, expect, it } from 'vitest';
import { loadCompanion } from '../../src/native/companion.ts';
import { openTemp } from '../helpers.ts';

const functions = new URL('../fixtures/functions.js', import.meta.url);
const companion = loadCompanion() !== undefined;

describe('deterministic functions in the schema (defect 11)', () => {
  it('refuses a function that is not innocuous in an index, as SQLite does under trusted_schema = OFF', async () => {
    const db = await openTemp();
    await db.function('slugify', { module: functions, export: 'slugify', deterministic: true });
    await db.exec('CREATE TABLE posts (title TEXT)');
    await expect(db.exec('CREATE INDEX posts_slug ON posts (slugify(title))')).rejects.toMatchObject({ code: 'SQLITE_ERROR' });
  });

  it.runIf(companion)('uses an innocuous function in an index, a generated column and a view, on a replacement worker too', async () => {
    const db = await openTemp();
    const source = { module: functions, export: 'slugify', deterministic: true, innocuous: true } as const;
    await db.function('slugify', source);
    await db.function('die', { module: functions, export: 'die' });
    await db.exec(`
      CREATE TABLE posts (title TEXT, slug TEXT GENERATED ALWAYS AS (slugify(title)) VIRTUAL);
      CREATE INDEX posts_slug ON posts (slugify(title));
      CREATE VIEW slugs AS SELECT slugify(title) AS s FROM posts;
    `);
    await db.run('INSERT INTO posts (title) VALUES (?)', ['Hello World']);
    expect(await db.get('SELECT slug FROM posts')).toEqual({ slug: 'hello-world' });
    expect(await db.all('SELECT s FROM slugs')).toEqual([{ s: 'hello-world' }]);
    const plan = await db.all<{ detail: string }>("EXPLAIN QUERY PLAN SELECT * FROM posts WHERE slugify(title) = 'hello-world'");
    expect(plan.some((row) => row.detail.includes('posts_slug'))).toBe(true);
    await db.get('SELECT die()').catch(() => undefined);
    await db.run('INSERT INTO posts (title) VALUES (?)', ['Second Post']);
    expect(await db.all('SELECT s FROM slugs ORDER BY s')).toEqual([{ s: 'hello-world' }, { s: 'second-post' }]);
    expect(await db.get('PRAGMA integrity_check')).toEqual({ integrity_check: 'ok' });
  });

  it.runIf(companion)('reports what an innocuous function throws as a user function error', async () => {
    const db = await openTemp();
    await db.function('fail', { module: functions, export: 'fail', innocuous: true });
    await expect(db.get('SELECT fail() AS x')).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_USER_FUNCTION' });
    expect(await db.get('SELECT 1 AS one')).toEqual({ one: 1 });
  });

  it('refuses an innocuous aggregate, or one that is also directOnly', async () => {
    const db = await openTemp();
    await expect(db.aggregate('p', { module: functions, export: 'product', innocuous: true })).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
    await expect(db.function('s', { module: functions, export: 'slugify', innocuous: true, directOnly: true })).rejects.toMatchObject({
      code: 'ERR_RAPSQLITE_INVALID_ARGUMENT',
    });
  });
});
