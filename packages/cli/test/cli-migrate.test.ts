import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { open } from '@rapsqlite/engine';
import { holdLock, rapsqlite, SHOP, shop } from './cli-helpers.ts';
import { tempDir, writeFiles } from './helpers.ts';

describe('migrate', () => {
  it('creates, lists, applies, rolls back and redoes migrations; dry run prints SQL and changes nothing', async () => {
    const dir = tempDir();
    const created = await rapsqlite(['migrate', 'create', 'create users', '--numbering', 'number'], dir);
    expect(created.code).toBe(0);
    expect(created.stdout.trim()).toBe(join(dir, 'migrations', '0001_create_users.sql'));
    writeFileSync(created.stdout.trim(), '-- up\nCREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n-- down\nDROP TABLE users;\n');
    writeFiles(join(dir, 'migrations'), { '0002_seed.sql': "INSERT INTO users (email) VALUES ('a@x');\n-- down\nDELETE FROM users;" });

    const dry = await rapsqlite(['migrate', 'up', 'app.db', '--dry-run'], dir);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('-- 0001_create_users: up\nBEGIN IMMEDIATE;\nCREATE TABLE users');
    expect(existsSync(join(dir, 'app.db'))).toBe(false);

    const up = await rapsqlite(['migrate', 'up', 'app.db'], dir);
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/^applied 0001_create_users \(\d+\.\d ms\)\napplied 0002_seed \(\d+\.\d ms\)\n$/);
    const status = await rapsqlite(['migrate', 'status', 'app.db', '--json'], dir);
    expect((JSON.parse(status.stdout) as { name: string; state: string }[]).map((s) => `${s.name}:${s.state}`)).toEqual(['0001_create_users:applied', '0002_seed:applied']);
    const table = await rapsqlite(['migrate', 'status', 'app.db'], dir);
    expect(table.stdout).toMatch(/^migration\s+state\s+applied at\s+ms\n/);

    expect((await rapsqlite(['migrate', 'redo', 'app.db'], dir)).stdout).toMatch(/^rolled back 0002_seed .*\napplied 0002_seed /);
    const down = await rapsqlite(['migrate', 'down', 'app.db', '--steps', 'all'], dir);
    expect(down.stdout).toMatch(/^rolled back 0002_seed .*\nrolled back 0001_create_users /);
    expect((await rapsqlite(['migrate', 'down', 'app.db'], dir)).stdout).toBe('nothing to do\n');
  }, 60_000);

  it('fails a migration with a syntax error with exit 1, SQLite’s code on stderr, and nothing changed', async () => {
    const dir = tempDir();
    writeFiles(join(dir, 'migrations'), { '1_ok.sql': 'CREATE TABLE ok (x);', '2_bad.sql': 'CREATE TABLE half (x);\nCREATE TABLE (oops;' });
    const { code, stderr, stdout } = await rapsqlite(['migrate', 'up', 'app.db'], dir);
    expect(code).toBe(1);
    expect(stderr).toContain('Migration 2_bad (up) failed');
    expect(stderr).toContain('[SQLITE_ERROR]');
    expect(stdout).toBe('');
    const db = await open(join(dir, 'app.db'));
    expect(await db.all("SELECT name FROM sqlite_schema WHERE name IN ('ok', 'half')")).toEqual([{ name: 'ok' }]);
    await db.close();
  });

  it('reports drift with exit 5 and refuses to migrate until --force', async () => {
    const dir = tempDir();
    writeFiles(join(dir, 'migrations'), { '1_a.sql': 'CREATE TABLE a (x);', '2_b.sql': 'CREATE TABLE b (x);' });
    expect((await rapsqlite(['migrate', 'up', 'app.db', '--to', '1_a'], dir)).code).toBe(0);
    writeFiles(join(dir, 'migrations'), { '1_a.sql': 'CREATE TABLE a (x, y);' });
    const status = await rapsqlite(['migrate', 'status', 'app.db'], dir);
    expect(status.code).toBe(5);
    expect(status.stdout).toMatch(/1_a\s+drifted/);
    const up = await rapsqlite(['migrate', 'up', 'app.db'], dir);
    expect(up.code).toBe(5);
    expect(up.stderr).toContain('[ERR_RAPSQLITE_MIGRATE_DRIFT]');
    expect((await rapsqlite(['migrate', 'up', 'app.db', '--force'], dir)).stdout).toMatch(/^applied 2_b/);
  });

  it('gives up on a database locked by another process with exit 4, changing nothing', async () => {
    const dir = tempDir();
    writeFiles(join(dir, 'migrations'), { '1_a.sql': 'CREATE TABLE a (x);' });
    const path = join(dir, 'app.db');
    await holdLock(path);
    const { code, stderr } = await rapsqlite(['migrate', 'up', 'app.db', '--busy-timeout', '100', '--lock-timeout', '300'], dir);
    expect(code).toBe(4);
    expect(stderr).toMatch(/\[(SQLITE_BUSY\w*|ERR_RAPSQLITE_MIGRATE_LOCK_TIMEOUT)\]/);
    const write = await rapsqlite(['query', 'app.db', 'CREATE TABLE other (x)', '--write', '--busy-timeout', '100'], dir);
    expect(write.code).toBe(4);
    expect(write.stderr).toMatch(/\[SQLITE_BUSY\w*\]/);
    const db = await open(path, { readonly: true });
    expect(await db.all("SELECT name FROM sqlite_schema WHERE name IN ('a', 'other', 'rapsqlite_migrations')")).toEqual([]);
    await db.close();
  });

  it('writes a migration from the diff between a database and a schema file', async () => {
    const { dir, db } = await shop();
    writeFileSync(join(dir, 'schema.sql'), `${SHOP.split('INSERT')[0]}\nALTER TABLE users ADD COLUMN name TEXT;`.replace('ALTER TABLE users ADD COLUMN name TEXT;', '').replace('balance INTEGER)', 'balance INTEGER, name TEXT)'));
    const created = await rapsqlite(['migrate', 'create', 'add name', '--from-diff', db, '--schema', 'schema.sql', '--numbering', 'number'], dir);
    expect(created.code).toBe(0);
    const text = readFileSync(created.stdout.trim(), 'utf8');
    expect(text.startsWith('-- up\nALTER TABLE "users" ADD COLUMN name TEXT;\n\n-- down\n-- warning: users.name is dropped: its values are lost.\nPRAGMA foreign_keys = OFF;\n')).toBe(true);
    expect((await rapsqlite(['migrate', 'up', db], dir)).code).toBe(0);
    expect((await rapsqlite(['check', db, '--schema', 'schema.sql'], dir)).code).toBe(0);
    expect((await rapsqlite(['migrate', 'down', db], dir)).code).toBe(0);
    expect(JSON.parse((await rapsqlite(['query', db, 'SELECT count(*) AS n FROM orders', '--json'], dir)).stdout)).toEqual([{ n: 3 }]);
  }, 60_000);
});
