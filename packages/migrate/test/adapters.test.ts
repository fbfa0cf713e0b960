import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { open as openSqlitePackage } from 'sqlite';
import { Umzug, type MigrationParams } from 'umzug';
import type { Queryable } from '@rapsqlite/engine';
import { createMigrator, MigrateErrorCodes, umzugStorage } from '../src/index.ts';
import { openTemp, rejectsWithCode, tempDir, writeFiles } from './helpers.ts';

const require = createRequire(import.meta.url);
type BetterStatement = { run(...p: unknown[]): { lastInsertRowid: number; changes: number }; get(...p: unknown[]): unknown; all(...p: unknown[]): unknown[] };
const BetterSqlite3 = require('better-sqlite3') as new (path: string) => {
  prepare(sql: string): BetterStatement;
  exec(sql: string): void;
  close(): void;
};

type Callback = (this: unknown, error: Error | null, value?: unknown) => void;

/** The part of node-sqlite3's callback API that the `sqlite` package's migrate() uses, over better-sqlite3. */
class CallbackDriver {
  readonly #db: InstanceType<typeof BetterSqlite3>;
  constructor(filename: string, ...rest: unknown[]) {
    this.#db = new BetterSqlite3(filename);
    const callback = rest.at(-1) as Callback;
    queueMicrotask(() => callback.call(this, null));
  }
  #call(args: unknown[], fn: (params: unknown[]) => unknown, self?: (value: unknown) => unknown): void {
    const callback = args.pop() as Callback;
    try {
      const value = fn(args);
      queueMicrotask(() => callback.call(self?.(value) ?? this, null, value));
    } catch (error) {
      queueMicrotask(() => callback.call(this, error as Error));
    }
  }
  run(sql: string, ...args: unknown[]): void {
    this.#call(args, (p) => this.#db.prepare(sql).run(...p), (r) => ({ lastID: (r as { lastInsertRowid: number }).lastInsertRowid, changes: (r as { changes: number }).changes }));
  }
  get(sql: string, ...args: unknown[]): void {
    this.#call(args, (p) => this.#db.prepare(sql).get(...p));
  }
  all(sql: string, ...args: unknown[]): void {
    this.#call(args, (p) => this.#db.prepare(sql).all(...p));
  }
  exec(sql: string, callback: Callback): void {
    this.#call([callback], () => this.#db.exec(sql));
  }
  close(callback: Callback): void {
    this.#call([callback], () => this.#db.close());
  }
}

const SQLITE_FILES = {
  '001-initial.sql': `--------------------------------------------------------------------------------
-- Up
--------------------------------------------------------------------------------
CREATE TABLE category (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO category (id, name) VALUES (1, 'Business');
--------------------------------------------------------------------------------
-- Down
--------------------------------------------------------------------------------
DROP TABLE category;
`,
  '002-posts.sql': `-- Up
CREATE TABLE post (id INTEGER PRIMARY KEY, category_id INTEGER NOT NULL REFERENCES category(id), title TEXT);
-- Down
DROP TABLE post;
`,
};

describe("the sqlite package's migrate() layout", () => {
  async function migrateWithSqlitePackage(path: string, dir: string): Promise<void> {
    const db = await openSqlitePackage({ filename: path, driver: CallbackDriver as never });
    await db.migrate({ migrationsPath: dir });
    await db.close();
  }

  it('takes over a database migrated by the sqlite package: its rows count as applied, new files apply', async () => {
    const dir = writeFiles(join(tempDir(), 'migrations'), SQLITE_FILES);
    const path = join(tempDir(), 'app.db');
    await migrateWithSqlitePackage(path, dir);
    writeFiles(dir, { '003-tags.sql': '-- Up\nCREATE TABLE tag (name TEXT);\n-- Down\nDROP TABLE tag;\n' });

    const db = await openTemp(undefined, path);
    const migrator = createMigrator(db, { dir, layout: 'sqlite' });
    expect((await migrator.status()).map((s) => `${s.name}:${s.state}`)).toEqual(['001-initial:applied', '002-posts:applied', '003-tags:pending']);
    expect((await migrator.up()).runs.map((r) => r.name)).toEqual(['003-tags']);
    expect(await db.all('SELECT name, version FROM rapsqlite_migrations ORDER BY rowid')).toEqual([
      { name: '001-initial', version: '1' },
      { name: '002-posts', version: '2' },
      { name: '003-tags', version: '3' },
    ]);
    expect((await migrator.down({ steps: 2 })).runs.map((r) => r.name)).toEqual(['003-tags', '002-posts']);
    expect(await db.all("SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN ('post', 'tag', 'category')")).toEqual([{ name: 'category' }]);
    expect(await db.all('SELECT * FROM category')).toEqual([{ id: 1, name: 'Business' }]);
  });

  it('detects a file edited after the sqlite package applied it', async () => {
    const dir = writeFiles(join(tempDir(), 'migrations'), SQLITE_FILES);
    const path = join(tempDir(), 'app.db');
    await migrateWithSqlitePackage(path, dir);
    const file = join(dir, '002-posts.sql');
    writeFileSync(file, readFileSync(file, 'utf8').replace('title TEXT', 'title TEXT NOT NULL'));
    const db = await openTemp(undefined, path);
    const migrator = createMigrator(db, { dir, layout: 'sqlite' });
    expect((await migrator.status()).map((s) => s.state)).toEqual(['applied', 'drifted']);
    await rejectsWithCode(migrator.up(), MigrateErrorCodes.DRIFT);
  });

  it('reads the same up and down text as the sqlite package', async () => {
    const dir = writeFiles(join(tempDir(), 'migrations'), SQLITE_FILES);
    const path = join(tempDir(), 'app.db');
    await migrateWithSqlitePackage(path, dir);
    const db = await openTemp(undefined, path);
    const stored = await db.all<{ up: string; down: string }>('SELECT up, down FROM migrations ORDER BY id');
    const { loadMigrations } = await import('../src/index.ts');
    const ours = await loadMigrations(dir, 'sqlite');
    expect(ours.map((m) => [m.up.kind === 'sql' && m.up.sql, m.down?.kind === 'sql' && m.down.sql])).toEqual(stored.map((s) => [s.up, s.down]));
  });
});

describe('umzug storage', () => {
  function umzugFor(db: Queryable, migrations: Array<{ name: string; up: string; down: string }>) {
    return new Umzug<Queryable>({
      migrations: migrations.map((m) => ({
        name: m.name,
        up: async ({ context }: MigrationParams<Queryable>) => context.exec(m.up),
        down: async ({ context }: MigrationParams<Queryable>) => context.exec(m.down),
      })),
      context: db,
      storage: umzugStorage(db),
      logger: undefined,
    });
  }

  it('keeps umzug’s executed list in the history table, through up and down', async () => {
    const db = await openTemp();
    const umzug = umzugFor(db, [
      { name: '0001_a.sql', up: 'CREATE TABLE a (x)', down: 'DROP TABLE a' },
      { name: '0002_b.sql', up: 'CREATE TABLE b (x)', down: 'DROP TABLE b' },
    ]);
    expect((await umzug.up()).map((m) => m.name)).toEqual(['0001_a.sql', '0002_b.sql']);
    expect(await db.all('SELECT name, version, checksum FROM rapsqlite_migrations ORDER BY rowid')).toEqual([
      { name: '0001_a.sql', version: '0001', checksum: null },
      { name: '0002_b.sql', version: '0002', checksum: null },
    ]);
    expect((await umzug.executed()).map((m) => m.name)).toEqual(['0001_a.sql', '0002_b.sql']);
    expect((await umzug.pending()).map((m) => m.name)).toEqual([]);
    await umzug.down();
    expect((await umzug.executed()).map((m) => m.name)).toEqual(['0001_a.sql']);
    expect(await db.get("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'b'")).toEqual({ n: 0 });
  });

  it('hands over to the migrator: files umzug applied count as applied and gain a checksum', async () => {
    const dir = writeFiles(join(tempDir(), 'migrations'), {
      '0001_a.sql': 'CREATE TABLE a (x);',
      '0002_b.sql': 'CREATE TABLE b (x);',
    });
    const db = await openTemp();
    const umzug = umzugFor(db, [{ name: '0001_a.sql', up: 'CREATE TABLE a (x)', down: 'DROP TABLE a' }]);
    await umzug.up();
    const migrator = createMigrator(db, { dir });
    expect((await migrator.status()).map((s) => `${s.name}:${s.state}`)).toEqual(['0001_a:applied', '0002_b:pending']);
    expect((await migrator.up()).runs.map((r) => r.name)).toEqual(['0002_b']);
    const rows = await db.all<{ name: string; checksum: string | null }>('SELECT name, checksum FROM rapsqlite_migrations ORDER BY rowid');
    expect(rows.map((r) => r.name)).toEqual(['0001_a', '0002_b']);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.checksum ?? ''))).toBe(true);
  });

  it('refuses bad arguments with the invalid-argument code', async () => {
    const db = await openTemp();
    expect(() => umzugStorage(db, { tabel: 'x' } as never)).toThrow(expect.objectContaining({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' }));
    await rejectsWithCode(umzugStorage(db).logMigration({ name: '' }), 'ERR_RAPSQLITE_INVALID_ARGUMENT');
  });
});
