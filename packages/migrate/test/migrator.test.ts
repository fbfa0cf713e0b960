import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMigrator, MigrateErrorCodes, type MigratorEvent } from '../src/index.ts';
import { openTemp, rejectsWithCode, tableNames, tempDir, writeFiles } from './helpers.ts';

const BASIC = {
  '0001_users.sql': `-- up
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
INSERT INTO users (name) VALUES ('ada');

-- down
DROP TABLE users;
`,
  '0002_posts.up.sql': `CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), body BLOB);
CREATE INDEX posts_user ON posts (user_id);`,
  '0002_posts.down.sql': 'DROP TABLE posts;',
  '0003_email.sql': `-- Up: add an email column
ALTER TABLE users ADD COLUMN email TEXT;
-- Down
ALTER TABLE users DROP COLUMN email;`,
};

async function setup(files: Record<string, string> = BASIC) {
  const dir = writeFiles(join(tempDir(), 'migrations'), files);
  const db = await openTemp();
  return { dir, db, migrator: createMigrator(db, { dir }) };
}

describe('Migrator.up', () => {
  it('applies pending migrations in version order and records each with checksum, time and duration', async () => {
    const { db, migrator } = await setup();
    const result = await migrator.up();
    expect(result.runs.map((r) => r.name)).toEqual(['0001_users', '0002_posts', '0003_email']);
    expect(result.dryRun).toBe(false);
    expect(await tableNames(db)).toEqual(['posts', 'rapsqlite_migrations', 'rapsqlite_migrations_lock', 'users']);
    const history = await db.all<{ name: string; version: string; checksum: string; applied_at: string; duration_ms: number }>(
      'SELECT * FROM rapsqlite_migrations ORDER BY rowid',
    );
    expect(history.map((h) => [h.name, h.version])).toEqual([
      ['0001_users', '1'],
      ['0002_posts', '2'],
      ['0003_email', '3'],
    ]);
    for (const h of history) {
      expect(h.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(Date.parse(h.applied_at)).not.toBeNaN();
      expect(h.duration_ms).toBeGreaterThanOrEqual(0);
    }
    expect(await db.all('SELECT name, email FROM users')).toEqual([{ name: 'ada', email: null }]);
    // The lock is released.
    expect(await db.get('SELECT count(*) AS n FROM rapsqlite_migrations_lock')).toEqual({ n: 0 });
    expect((await migrator.up()).runs).toEqual([]);
  });

  it('stops at the migration named by to, and takes a version too', async () => {
    const { migrator } = await setup();
    expect((await migrator.up({ to: '0002_posts' })).runs.map((r) => r.name)).toEqual(['0001_users', '0002_posts']);
    expect((await migrator.status()).map((s) => s.state)).toEqual(['applied', 'applied', 'pending']);
    expect((await migrator.up({ to: '3' })).runs.map((r) => r.name)).toEqual(['0003_email']);
    await rejectsWithCode(migrator.up({ to: '0009_nope' }), MigrateErrorCodes.UNKNOWN_TARGET);
  });

  it('leaves nothing behind when a migration fails, keeps SQLite’s code, and keeps the ones before it', async () => {
    const { db, migrator } = await setup({
      ...BASIC,
      '0004_broken.sql': `CREATE TABLE audit (id INTEGER PRIMARY KEY);
INSERT INTO audit VALUES (1);
INSERT INTO users (name) VALUES ('ada');`,
    });
    const error = await rejectsWithCode<{ migration: string; cause: { code: string } }>(migrator.up(), 'SQLITE_CONSTRAINT_UNIQUE');
    expect(error.migration).toBe('0004_broken');
    expect(error.cause.code).toBe('SQLITE_CONSTRAINT_UNIQUE');
    expect(await tableNames(db)).not.toContain('audit');
    expect((await migrator.status()).map((s) => `${s.name}:${s.state}`)).toEqual(['0001_users:applied', '0002_posts:applied', '0003_email:applied', '0004_broken:pending']);
    expect(await db.get('SELECT count(*) AS n FROM rapsqlite_migrations_lock')).toEqual({ n: 0 });
  });

  it('reports a syntax error with SQLITE_ERROR and the failing statement, changing nothing', async () => {
    const { db, migrator } = await setup({ '0001_bad.sql': 'CREATE TABLE ok (x);\nCREATE TABLE oops (x INTEGER PRIMARY KEY,);' });
    const error = await rejectsWithCode<{ sql: string }>(migrator.up(), 'SQLITE_ERROR');
    expect(error.sql).toContain('oops');
    expect(await tableNames(db)).toEqual(['rapsqlite_migrations', 'rapsqlite_migrations_lock']);
  });

  it('keeps big integers, blobs and dates written by a migration exact', async () => {
    const { db, migrator } = await setup({
      '0001_values.sql': `CREATE TABLE v (big INTEGER, b BLOB, at TEXT);
INSERT INTO v VALUES (9223372036854775807, x'00ff10', '2026-01-02T03:04:05.678Z');`,
    });
    await migrator.up();
    expect(await db.get('SELECT big, b, at FROM v', [], { integers: 'auto' })).toEqual({
      big: 9223372036854775807n,
      b: Buffer.from([0, 255, 16]),
      at: '2026-01-02T03:04:05.678Z',
    });
  });

  it('emits progress events in order', async () => {
    const dir = writeFiles(join(tempDir(), 'm'), BASIC);
    const db = await openTemp();
    const events: MigratorEvent['type'][] = [];
    await createMigrator(db, { dir, onEvent: (e) => events.push(e.type) }).up();
    expect(events).toEqual(['lock-acquired', 'plan', 'start', 'done', 'start', 'done', 'start', 'done']);
  });
});

describe('drift', () => {
  it('refuses to run when an applied file changed, until forced; status shows it', async () => {
    const { dir, migrator } = await setup();
    await migrator.up({ to: '0002_posts' });
    const file = join(dir, '0001_users.sql');
    writeFileSync(file, readFileSync(file, 'utf8').replace("'ada'", "'grace'"));
    expect((await migrator.status()).map((s) => s.state)).toEqual(['drifted', 'applied', 'pending']);
    const error = await rejectsWithCode<{ migration: string }>(migrator.up(), MigrateErrorCodes.DRIFT);
    expect(error.migration).toBe('0001_users');
    await rejectsWithCode(migrator.up({ dryRun: true }), MigrateErrorCodes.DRIFT);
    expect((await migrator.up({ force: true })).runs.map((r) => r.name)).toEqual(['0003_email']);
  });

  it('ignores changes to line endings, surrounding whitespace and the down section', async () => {
    const { dir, migrator } = await setup();
    await migrator.up();
    const file = join(dir, '0001_users.sql');
    writeFileSync(file, readFileSync(file, 'utf8').replaceAll('\n', '\r\n').replace('DROP TABLE users;', 'DROP TABLE IF EXISTS users;') + '\n\n');
    expect((await migrator.status()).every((s) => s.state === 'applied')).toBe(true);
  });

  it('treats an applied migration whose file is gone as drift', async () => {
    const { dir, db } = await setup();
    await createMigrator(db, { dir }).up();
    const { rmSync } = await import('node:fs');
    rmSync(join(dir, '0003_email.sql'));
    const migrator = createMigrator(db, { dir });
    expect((await migrator.status()).at(-1)).toMatchObject({ name: '0003_email', state: 'missing', path: undefined });
    await rejectsWithCode(migrator.up(), MigrateErrorCodes.DRIFT);
    await rejectsWithCode(migrator.down({ force: true }), MigrateErrorCodes.NO_DOWN);
  });

  it('refuses a pending migration that sorts before an applied one, unless allowed', async () => {
    const { dir, db, migrator } = await setup();
    await migrator.up();
    writeFiles(dir, { '0000_early.sql': 'CREATE TABLE early (x);' });
    await rejectsWithCode(migrator.up(), MigrateErrorCodes.OUT_OF_ORDER);
    expect((await createMigrator(db, { dir, allowOutOfOrder: true }).up()).runs.map((r) => r.name)).toEqual(['0000_early']);
  });
});

describe('Migrator.down and redo', () => {
  it('rolls back the newest migration by default, more with steps, everything after to', async () => {
    const { db, migrator } = await setup();
    await migrator.up();
    expect((await migrator.down()).runs.map((r) => `${r.name}:${r.direction}`)).toEqual(['0003_email:down']);
    expect(await db.all('SELECT * FROM users')).toEqual([{ id: 1, name: 'ada' }]);
    await migrator.up();
    expect((await migrator.down({ to: '0001_users' })).runs.map((r) => r.name)).toEqual(['0003_email', '0002_posts']);
    expect(await tableNames(db)).toEqual(['rapsqlite_migrations', 'rapsqlite_migrations_lock', 'users']);
    await migrator.up();
    expect((await migrator.down({ steps: 'all' })).runs).toHaveLength(3);
    expect(await db.get('SELECT count(*) AS n FROM rapsqlite_migrations')).toEqual({ n: 0 });
    expect((await migrator.down()).runs).toEqual([]);
    await rejectsWithCode(migrator.down({ steps: 0 }), 'ERR_RAPSQLITE_INVALID_ARGUMENT');
    await rejectsWithCode(migrator.down({ to: '0002_posts' }), MigrateErrorCodes.UNKNOWN_TARGET);
  });

  it('refuses to roll back a migration without a down part, before rolling back anything', async () => {
    const { db, migrator } = await setup({ ...BASIC, '0004_oneway.sql': 'CREATE TABLE oneway (x);' });
    await migrator.up();
    await rejectsWithCode(migrator.down({ steps: 2 }), MigrateErrorCodes.NO_DOWN);
    expect(await tableNames(db)).toContain('oneway');
    expect((await migrator.status()).every((s) => s.state === 'applied')).toBe(true);
  });

  it('redo rolls the newest migration back and applies it again', async () => {
    const { db, migrator } = await setup();
    await migrator.up();
    await db.run("UPDATE users SET email = 'a@example.com'");
    const result = await migrator.redo();
    expect(result.runs.map((r) => `${r.name}:${r.direction}`)).toEqual(['0003_email:down', '0003_email:up']);
    expect(await db.get('SELECT email FROM users')).toEqual({ email: null });
  });
});

describe('dry run', () => {
  it('prints the SQL with its framing and bookkeeping, and changes nothing', async () => {
    const { db, migrator } = await setup();
    const result = await migrator.up({ dryRun: true });
    expect(result.dryRun).toBe(true);
    expect(result.runs.map((r) => r.name)).toEqual(['0001_users', '0002_posts', '0003_email']);
    expect(result.sql).toContain('-- 0001_users: up\nBEGIN IMMEDIATE;\nCREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);');
    expect(result.sql).toMatch(/INSERT INTO "rapsqlite_migrations" \(name, version, checksum, applied_at, duration_ms\) VALUES \('0003_email', '3', '[0-9a-f]{64}', :applied_at, :duration_ms\);\nCOMMIT;/);
    expect(await tableNames(db)).toEqual([]);
    await migrator.up();
    const down = await migrator.down({ dryRun: true, steps: 2 });
    expect(down.sql).toContain('-- 0003_email: down\nBEGIN IMMEDIATE;\nALTER TABLE users DROP COLUMN email;\nDELETE FROM "rapsqlite_migrations" WHERE name = \'0003_email\';\nCOMMIT;');
    expect((await migrator.status()).every((s) => s.state === 'applied')).toBe(true);
  });
});

describe('statements SQLite cannot run in a transaction', () => {
  it('refuses them without the directive, before running any migration', async () => {
    const { db, migrator } = await setup({ '0001_a.sql': 'CREATE TABLE a (x);', '0002_vacuum.sql': 'VACUUM;' });
    const error = await rejectsWithCode<{ migration: string }>(migrator.up(), MigrateErrorCodes.NEEDS_NO_TRANSACTION);
    expect(error.migration).toBe('0002_vacuum');
    expect(await tableNames(db)).not.toContain('a');
  });

  it('runs a no-transaction migration statement by statement: VACUUM and journal_mode take effect', async () => {
    const { db, migrator } = await setup({
      '0001_big.sql': 'CREATE TABLE big (x);\nWITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200) INSERT INTO big SELECT randomblob(1000) FROM n;',
      '0002_shrink.sql': '-- rapsqlite: no-transaction\n-- up\nDELETE FROM big;\nVACUUM;\nPRAGMA journal_mode = DELETE;\n-- down\nSELECT 1;',
    });
    expect((await migrator.up()).runs).toHaveLength(2);
    expect(await db.get('PRAGMA journal_mode')).toEqual({ journal_mode: 'delete' });
    const { page_count } = (await db.get<{ page_count: number }>('PRAGMA page_count'))!;
    expect(page_count).toBeLessThan(20);
    expect((await migrator.status()).map((s) => s.state)).toEqual(['applied', 'applied']);
  });

  it('reports a no-transaction migration that failed part-way with the partial code and records nothing', async () => {
    const { db, migrator } = await setup({ '0001_half.sql': '-- rapsqlite: no-transaction\nCREATE TABLE first (x);\nCREATE TABLE first (x);' });
    const error = await rejectsWithCode<{ cause: { code: string } }>(migrator.up(), MigrateErrorCodes.PARTIAL);
    expect(error.cause.code).toBe('SQLITE_ERROR');
    expect(await tableNames(db)).toContain('first');
    expect((await migrator.status())[0]!.state).toBe('pending');
  });

  it('moves PRAGMA foreign_keys = OFF/ON around the transaction and checks foreign keys before commit', async () => {
    const { db, migrator } = await setup({
      '0001_schema.sql': `CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id) ON DELETE CASCADE);
INSERT INTO parent VALUES (1, 'p'); INSERT INTO child VALUES (10, 1);`,
      // SQLite's 12-step rebuild of parent: with foreign keys on, DROP TABLE parent would cascade to child.
      '0002_rebuild.sql': `PRAGMA foreign_keys = OFF;
CREATE TABLE parent_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');
INSERT INTO parent_new (id, name) SELECT id, coalesce(name, '') FROM parent;
DROP TABLE parent;
ALTER TABLE parent_new RENAME TO parent;
PRAGMA foreign_keys = ON;`,
      '0003_orphan.sql': `PRAGMA foreign_keys = OFF;
INSERT INTO child VALUES (11, 99);`,
    });
    await migrator.up({ to: '0002_rebuild' });
    expect(await db.all('SELECT * FROM child')).toEqual([{ id: 10, parent_id: 1 }]);
    expect(await db.get('PRAGMA foreign_keys')).toEqual({ foreign_keys: 1 });
    const error = await rejectsWithCode<{ migration: string }>(migrator.up(), MigrateErrorCodes.FOREIGN_KEY_VIOLATION);
    expect(error.migration).toBe('0003_orphan');
    expect(await db.all('SELECT id FROM child')).toEqual([{ id: 10 }]);
    expect(await db.get('PRAGMA foreign_keys')).toEqual({ foreign_keys: 1 });
  });

  it('refuses a foreign_keys pragma in the middle of a transactional script', async () => {
    const { migrator } = await setup({ '0001_mid.sql': 'CREATE TABLE a (x);\nPRAGMA foreign_keys = OFF;\nCREATE TABLE b (x);' });
    await rejectsWithCode(migrator.up(), MigrateErrorCodes.NEEDS_NO_TRANSACTION);
  });
});
