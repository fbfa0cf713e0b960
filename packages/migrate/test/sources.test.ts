import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPool } from '@rapsqlite/pool';
import { createMigration, createMigrator, loadMigrations, MigrateErrorCodes } from '../src/index.ts';
import { later, openTemp, rejectsWithCode, tableNames, tempDir, writeFiles } from './helpers.ts';

describe('loadMigrations', () => {
  it('reads sections, paired files and modules, in version order, ignoring helpers and hidden files', async () => {
    const dir = writeFiles(tempDir(), {
      '20260102030405_late.sql': 'CREATE TABLE late (x);',
      '2-second.up.sql': 'CREATE TABLE second (x);',
      '2-second.down.sql': 'DROP TABLE second;',
      '001.first.sql': '-- a header comment\n-- rapsqlite: no-transaction\n-- UP\nVACUUM;\n-- Down: undo\nSELECT 1;',
      '3_module.ts': 'export function up() {}',
      'helpers.ts': 'export const x = 1;',
      'types.d.ts': 'export {};',
      '.hidden.sql': 'garbage',
      'README.md': '# not a migration',
    });
    const migrations = await loadMigrations(dir);
    expect(migrations.map((m) => [m.name, m.version])).toEqual([
      ['001.first', 1n],
      ['2-second', 2n],
      ['3_module', 3n],
      ['20260102030405_late', 20260102030405n],
    ]);
    expect(migrations[0]!.up).toEqual({ kind: 'sql', sql: 'VACUUM;', transactional: false });
    expect(migrations[0]!.down).toEqual({ kind: 'sql', sql: 'SELECT 1;', transactional: false });
    expect(migrations[1]!.down).toEqual({ kind: 'sql', sql: 'DROP TABLE second;', transactional: true });
    expect(migrations[2]!.up).toEqual({ kind: 'module', path: join(dir, '3_module.ts') });
    expect(migrations[3]!.down).toBeUndefined();
  });

  it.each([
    ['a file not named as a migration', { 'create_users.sql': 'SELECT 1;' }, MigrateErrorCodes.INVALID_FILE],
    ['two up sections', { '1_a.sql': '-- up\nSELECT 1;\n-- up\nSELECT 2;' }, MigrateErrorCodes.INVALID_FILE],
    ['statements before -- up', { '1_a.sql': 'SELECT 0;\n-- up\nSELECT 1;' }, MigrateErrorCodes.INVALID_FILE],
    ['sections in a paired file', { '1_a.up.sql': '-- up\nSELECT 1;' }, MigrateErrorCodes.INVALID_FILE],
    ['a down file alone', { '1_a.down.sql': 'SELECT 1;' }, MigrateErrorCodes.INVALID_FILE],
    ['an unknown directive', { '1_a.sql': '-- rapsqlite: no-transactions\nVACUUM;' }, MigrateErrorCodes.INVALID_FILE],
    ['a version used twice', { '1_a.sql': 'SELECT 1;', '01_b.sql': 'SELECT 2;' }, MigrateErrorCodes.DUPLICATE],
    ['a migration in two files', { '1_a.sql': 'SELECT 1;', '1_a.up.sql': 'SELECT 2;' }, MigrateErrorCodes.DUPLICATE],
    ['a module with an .up suffix', { '1_a.up.js': 'export function up() {}' }, MigrateErrorCodes.INVALID_FILE],
  ])('rejects %s', async (_what, files, code) => {
    await rejectsWithCode(loadMigrations(writeFiles(tempDir(), files)), code);
  });

  it('rejects a folder that does not exist', async () => {
    await rejectsWithCode(loadMigrations(join(tempDir(), 'nope')), MigrateErrorCodes.INVALID_FILE);
  });
});

describe('module migrations', () => {
  it('runs .ts, .js and .cjs modules in the migration transaction, with the context', async () => {
    const dir = writeFiles(tempDir(), {
      '1_schema.ts': `import type { Queryable } from '@rapsqlite/engine';
export async function up(db: Queryable, context: { name: string; direction: string }): Promise<void> {
  await db.exec('CREATE TABLE log (name TEXT, direction TEXT)');
  await db.run('INSERT INTO log VALUES (?, ?)', [context.name, context.direction]);
}
export async function down(db: Queryable): Promise<void> {
  await db.exec('DROP TABLE log');
}`,
      '2_seed.js': `export async function up(db) { await db.runMany('INSERT INTO log VALUES (?, ?)', [['a', 'x'], ['b', 'y']]); }
export async function down(db) { await db.run("DELETE FROM log WHERE name IN ('a', 'b')"); }`,
      '3_common.cjs': `module.exports = { async up(db) { await db.run("INSERT INTO log VALUES ('cjs', 'up')"); } };`,
    });
    const db = await openTemp();
    const migrator = createMigrator(db, { dir });
    expect((await migrator.up()).runs.map((r) => r.name)).toEqual(['1_schema', '2_seed', '3_common']);
    expect(await db.all('SELECT * FROM log')).toEqual([
      { name: '1_schema', direction: 'up' },
      { name: 'a', direction: 'x' },
      { name: 'b', direction: 'y' },
      { name: 'cjs', direction: 'up' },
    ]);
    const status = await migrator.status();
    expect(status.map((s) => s.checksum)).toEqual(status.map((s) => s.appliedChecksum));
    await rejectsWithCode(migrator.down(), MigrateErrorCodes.NO_DOWN);
  });

  it('lets a module nest a savepoint: a failed inner part rolls back alone, keeping its constraint code', async () => {
    const dir = writeFiles(tempDir(), {
      '1_nested.mjs': `export async function up(tx) {
  await tx.exec('CREATE TABLE u (email TEXT UNIQUE)');
  await tx.run("INSERT INTO u VALUES ('a')");
  try {
    await tx.transaction(async (sp) => {
      await sp.run("INSERT INTO u VALUES ('b')");
      await sp.run("INSERT INTO u VALUES ('a')");
    });
  } catch (error) {
    await tx.run('INSERT INTO u VALUES (?)', [error.code]);
  }
}`,
    });
    const db = await openTemp();
    await createMigrator(db, { dir }).up();
    expect(await db.all('SELECT email FROM u ORDER BY rowid')).toEqual([{ email: 'a' }, { email: 'SQLITE_CONSTRAINT_UNIQUE' }]);
  });

  it('rolls back a module that throws, and gives an uncoded error a code', async () => {
    const dir = writeFiles(tempDir(), {
      '1_throws.mjs': `export async function up(db) { await db.exec('CREATE TABLE t (x)'); throw new Error('boom'); }`,
    });
    const db = await openTemp();
    const error = await rejectsWithCode<{ cause: Error }>(createMigrator(db, { dir }).up(), MigrateErrorCodes.FAILED);
    expect(error.cause.message).toBe('boom');
    expect(await tableNames(db)).not.toContain('t');
  });

  it('runs a module that exports transaction = false on the database itself', async () => {
    const dir = writeFiles(tempDir(), {
      '1_vacuum.mjs': `export const transaction = false;
export async function up(db) { await db.exec('CREATE TABLE t (x)'); await db.exec('VACUUM'); }`,
    });
    const db = await openTemp();
    expect((await createMigrator(db, { dir }).up()).runs).toHaveLength(1);
  });

  it('rejects a module without up before running anything', async () => {
    const dir = writeFiles(tempDir(), { '1_a.sql': 'CREATE TABLE a (x);', '2_empty.mjs': 'export const nothing = 1;' });
    const db = await openTemp();
    await rejectsWithCode(createMigrator(db, { dir }).up(), MigrateErrorCodes.INVALID_FILE);
    expect(await tableNames(db)).not.toContain('a');
  });
});

describe('inline migrations', () => {
  it('runs SQL and functions in list order', async () => {
    const db = await openTemp();
    const migrator = createMigrator(db, {
      migrations: [
        { name: 'create', up: 'CREATE TABLE t (n INTEGER)', down: 'DROP TABLE t' },
        { name: 'seed', up: async (tx) => void (await tx.run('INSERT INTO t VALUES (?)', [2n ** 62n])), down: (tx) => tx.run('DELETE FROM t') },
      ],
    });
    await migrator.up();
    expect(await db.all('SELECT n FROM t', [], { integers: 'bigint' })).toEqual([{ n: 2n ** 62n }]);
    expect((await migrator.status()).map((s) => [s.name, s.version, s.state, s.checksum === null])).toEqual([
      ['create', 1n, 'applied', false],
      ['seed', 2n, 'applied', true],
    ]);
    await migrator.down({ steps: 'all' });
    expect(await tableNames(db)).not.toContain('t');
  });

  it.each([
    [{}, 'no source'],
    [{ dir: 'a', migrations: [] }, 'both sources'],
    [{ dir: 'a', lockTimeoutMs: -1 }, 'a negative timeout'],
    [{ dir: 'a', table: 'sqlite_x' }, 'an sqlite_ table'],
    [{ dir: 'a', layout: 'knex' }, 'an unknown layout'],
    [{ dir: 'a', lockTimeout: 5 }, 'a misspelt option'],
  ])('refuses %o (%s)', async (options, _why) => {
    const db = await openTemp();
    expect(() => createMigrator(db, options as never)).toThrow(expect.objectContaining({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' }));
  });
});

describe('on a pool', () => {
  it('migrates through the writer, and readers see the result', async () => {
    const dir = writeFiles(tempDir(), {
      '1_a.sql': 'CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO a (v) VALUES (\'x\');',
      '2_fk.sql': 'PRAGMA foreign_keys = OFF;\nCREATE TABLE b (a_id INTEGER REFERENCES a(id));\nINSERT INTO b VALUES (1);',
    });
    const pool = await createPool(join(tempDir(), 'pool.db'), { maxReaders: 2 });
    later(() => pool.close());
    const migrator = createMigrator(pool, { dir });
    expect((await migrator.up()).runs).toHaveLength(2);
    expect(await pool.all('SELECT * FROM b')).toEqual([{ a_id: 1 }]);
    expect(await pool.transaction((tx) => tx.get('PRAGMA foreign_keys'))).toEqual({ foreign_keys: 1 });
    expect((await migrator.status()).map((s) => s.state)).toEqual(['applied', 'applied']);
  });
});

describe('createMigration', () => {
  it('numbers after existing numbered files, keeping their width', async () => {
    const dir = writeFiles(tempDir(), { '00007_a.sql': '', '00009_b.sql': '' });
    const created = await createMigration(dir, 'Add users: email!');
    expect(created).toEqual({ name: '00010_add_users_email', version: 10n, path: join(dir, '00010_add_users_email.sql') });
    expect(readFileSync(created.path, 'utf8')).toBe('-- up\n\n\n-- down\n\n');
  });

  it('uses a UTC timestamp in an empty folder and never reuses a version', async () => {
    const dir = join(tempDir(), 'new');
    const now = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
    const a = await createMigration(dir, 'first', { now, up: 'CREATE TABLE t (x);', down: 'DROP TABLE t;' });
    const b = await createMigration(dir, 'second', { now });
    expect([a.name, b.name]).toEqual(['20260102030405_first', '20260102030406_second']);
    const [m] = await loadMigrations(dir);
    expect(m!.up).toEqual({ kind: 'sql', sql: 'CREATE TABLE t (x);', transactional: true });
  });

  it('writes module templates and the sqlite layout, and refuses bad names', async () => {
    const dir = tempDir();
    const ts = await createMigration(dir, 'seed', { extension: 'ts', numbering: 'number' });
    expect(readFileSync(ts.path, 'utf8')).toContain('export async function up(db: Queryable)');
    const sqlite = await createMigration(dir, 'init', { layout: 'sqlite' });
    expect(sqlite.name).toBe('0002-init');
    expect(readFileSync(sqlite.path, 'utf8')).toBe('-- Up\n\n\n-- Down\n\n');
    await expect(createMigration(dir, '!!!')).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
    expect(readdirSync(dir).sort()).toEqual(['0001_seed.ts', '0002-init.sql']);
  });

  it('is reachable from the migrator, in its folder', async () => {
    const dir = tempDir();
    const db = await openTemp();
    const migrator = createMigrator(db, { dir });
    const created = await migrator.create('x', { numbering: 'number' });
    expect(created.path).toBe(join(dir, '0001_x.sql'));
    expect((await migrator.status()).map((s) => s.state)).toEqual(['pending']);
  });
});
