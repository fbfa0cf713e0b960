import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { open, type Database } from 'sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMPLEMENTATIONS, tempDir } from '../helpers.ts';

const MIGRATIONS = fileURLToPath(new URL('../fixtures/sqlite-migrations', import.meta.url));

describe.each(IMPLEMENTATIONS)('the sqlite wrapper with driver: %s', (_name, sqlite3) => {
  const { dir, cleanup } = tempDir();
  let db: Database;

  beforeAll(async () => {
    db = await open({ filename: join(dir, 'wrapper.db'), driver: sqlite3.Database });
    await db.exec('PRAGMA foreign_keys = ON');
    await db.migrate({ migrationsPath: MIGRATIONS });
  });
  afterAll(async () => {
    await db.close();
    cleanup();
  });

  it('applies the migrations in order and records them', async () => {
    expect(await db.all('SELECT id, name FROM migrations ORDER BY id')).toEqual([
      { id: 1, name: 'initial' },
      { id: 2, name: 'tags' },
    ]);
    expect(await db.all('SELECT name FROM category ORDER BY id')).toEqual([{ name: 'news' }, { name: 'tech' }]);
  });

  it('runs with lastID and changes, gets, and iterates with each', async () => {
    const inserted = await db.run('INSERT INTO post (category_id, title, body) VALUES (?, ?, ?)', 1, 'Hello', Buffer.from('body'));
    expect(inserted).toMatchObject({ lastID: 1, changes: 1 });
    await db.run('INSERT INTO post (category_id, title) VALUES (:cat, :title)', { ':cat': 2, ':title': 'Second' });
    const post = await db.get<{ title: string; body: Buffer }>('SELECT title, body FROM post WHERE id = ?', 1);
    expect(post?.title).toBe('Hello');
    expect(post?.body.toString()).toBe('body');
    const titles: string[] = [];
    const count = await db.each('SELECT title FROM post ORDER BY id', (err: unknown, row: { title: string }) => {
      if (err) throw err;
      titles.push(row.title);
    });
    expect([count, titles]).toEqual([2, ['Hello', 'Second']]);
  });

  it('prepares a statement once and runs it many times', async () => {
    const stmt = await db.prepare('INSERT INTO tag (post_id, label) VALUES (?, ?)');
    for (const label of ['a', 'b', 'c']) await stmt.run(1, label);
    await stmt.finalize();
    const select = await db.prepare('SELECT label FROM tag WHERE post_id = ? ORDER BY label');
    expect(await select.all(1)).toEqual([{ label: 'a' }, { label: 'b' }, { label: 'c' }]);
    await select.finalize();
  });

  it('rolls back a transaction begun with exec, and reports constraint errors with their code', async () => {
    await db.exec('BEGIN');
    await db.run("INSERT INTO category (name) VALUES ('tmp')");
    await db.exec('ROLLBACK');
    expect(await db.get("SELECT count(*) AS n FROM category WHERE name = 'tmp'")).toEqual({ n: 0 });
    const err = await db.run("INSERT INTO category (name) VALUES ('news')").catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SQLITE_CONSTRAINT', errno: 19, message: 'SQLITE_CONSTRAINT: UNIQUE constraint failed: category.name' });
    const fk = await db.run('INSERT INTO post (category_id, title) VALUES (99, ?)', 'orphan').catch((e: unknown) => e);
    expect(fk).toMatchObject({ code: 'SQLITE_CONSTRAINT', message: 'SQLITE_CONSTRAINT: FOREIGN KEY constraint failed' });
  });

  it('re-applies the last migration with force, running its down then its up', async () => {
    await db.run("INSERT INTO tag (post_id, label) VALUES (2, 'keep?')");
    await db.migrate({ migrationsPath: MIGRATIONS, force: true });
    expect(await db.all('SELECT * FROM tag')).toEqual([]);
    expect(await db.all("SELECT name FROM sqlite_master WHERE name = 'tag_label'")).toEqual([{ name: 'tag_label' }]);
  });
});
