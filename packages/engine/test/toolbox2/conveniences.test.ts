import { describe, expect, it } from 'vitest';
import { exists, insert, scalar } from '../../src/toolbox/conveniences.ts';
import { withQueryTools } from '../../src/toolbox/query-tools.ts';
import { openWith, rejection } from './helpers.ts';

const SCHEMA = `CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT, joined DATETIME);
  CREATE TABLE audit (id INTEGER PRIMARY KEY, note TEXT);
  CREATE TRIGGER users_audit AFTER INSERT ON users BEGIN INSERT INTO audit (note) VALUES ('user ' || new.id); INSERT INTO audit (note) VALUES ('again'); END;`;

describe('conveniences', () => {
  it('insert() resolves with the new rowid, not a trigger\'s', async () => {
    const db = await openWith(SCHEMA);
    expect(await insert(db, 'INSERT INTO users (email, name) VALUES (?, ?)', ['ada@example.com', 'Ada'])).toBe(1);
    await db.run('INSERT INTO audit (note) VALUES (?)', ['pad']);
    expect(await insert(db, 'INSERT INTO users (email, name) VALUES (:email, :name)', { email: 'grace@example.com', name: 'Grace' })).toBe(2);
    expect(await insert(db, 'WITH v(e) AS (SELECT ?) INSERT INTO users (email) SELECT e FROM v', ['x@example.com'])).toBe(3);
    expect(await insert(db, 'INSERT INTO users (email) VALUES (?), (?)', ['y@example.com', 'z@example.com'])).toBe(5);
  });

  it('insert() resolves undefined when nothing was inserted, and refuses statements whose rowid it cannot know', async () => {
    const db = await openWith(SCHEMA);
    await insert(db, 'INSERT INTO users (email) VALUES (?)', ['ada@example.com']);
    expect(await insert(db, 'INSERT OR IGNORE INTO users (email) VALUES (?)', ['ada@example.com'])).toBeUndefined();
    expect(await insert(db, 'INSERT INTO users (email) VALUES (?) ON CONFLICT DO NOTHING', ['ada@example.com'])).toBeUndefined();
    expect(await rejection(insert(db, 'INSERT INTO users (email) VALUES (?) ON CONFLICT (email) DO UPDATE SET name = excluded.name', ['ada@example.com']))).toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
    expect(await rejection(insert(db, 'UPDATE users SET name = ?', ['x']))).toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
    expect(await rejection(insert(db, 'INSERT INTO users (email) VALUES (?)', ['ada@example.com']))).toMatchObject({ code: 'SQLITE_CONSTRAINT_UNIQUE' });
    expect(await scalar(db, 'SELECT count(*) FROM users')).toBe(1);
  });

  it('insert() keeps rowids beyond 2^53 exact', async () => {
    const db = await openWith(SCHEMA);
    await db.run('INSERT INTO users (id, email) VALUES (9223372036854775806, ?)', ['big@example.com'], { integers: 'bigint' });
    expect(await insert(db, 'INSERT INTO users (email) VALUES (?)', ['next@example.com'], { integers: 'auto' })).toBe(2n ** 63n - 1n);
  });

  it('scalar() gives the first column of the first row, exists() whether there is a row', async () => {
    const db = await openWith(SCHEMA);
    expect(await scalar(db, 'SELECT count(*) FROM users')).toBe(0);
    expect(await scalar(db, 'SELECT name FROM users')).toBeUndefined();
    expect(await scalar(db, 'SELECT NULL')).toBeNull();
    expect(await scalar(db, 'SELECT 1 AS a, 2 AS a')).toBe(1);
    expect(await scalar(db, 'SELECT 2 AS "1", 1 AS "0"')).toBe(2);
    expect(await exists(db, 'SELECT 1 FROM users WHERE email = ?', ['nobody@example.com'])).toBe(false);
    await insert(db, 'INSERT INTO users (email) VALUES (?)', ['ada@example.com']);
    expect(await exists(db, 'SELECT 1 FROM users WHERE email = ?', ['ada@example.com'])).toBe(true);
  });

  it('work inside transactions, through the tools handle, with converters', async () => {
    const db = withQueryTools(await openWith(SCHEMA), { converters: true });
    const joined = new Date('2026-04-01T12:00:00Z');
    await expect(
      db.transaction(async (tx) => {
        const id = await tx.insert('INSERT INTO users (email, joined) VALUES (?, ?)', ['ada@example.com', joined]);
        expect(await tx.scalar('SELECT joined FROM users WHERE id = ?', [id as number])).toEqual(joined);
        await tx.transaction(async (inner) => {
          await inner.insert('INSERT INTO users (email) VALUES (?)', ['grace@example.com']);
          throw new Error('roll back the savepoint');
        }).catch(() => undefined);
        expect(await tx.exists('SELECT 1 FROM users WHERE email = ?', ['grace@example.com'])).toBe(false);
        throw new Error('roll back everything');
      }),
    ).rejects.toThrow('roll back everything');
    expect(await db.scalar('SELECT count(*) FROM users')).toBe(0);
  });
});
