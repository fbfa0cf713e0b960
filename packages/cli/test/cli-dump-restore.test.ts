import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { open } from '@rapsqlite/engine';
import { bigDb, holdLock, rapsqlite, startRapsqlite } from './cli-helpers.ts';
import { tempDir } from './helpers.ts';

/**
 * A database with what a dump must carry over exactly: integers at both ends of 64 bits, reals that need every
 * digit, text with quotes, newlines and non-ASCII, blobs, NULLs, rowid gaps on a table without a rowid alias,
 * AUTOINCREMENT's counter, a foreign key with a cascade, an index, a view and a trigger (which must not fire again
 * while the rows are restored).
 */
const RICH = `CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, balance INTEGER, rate REAL);
CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, note TEXT, data BLOB);
CREATE TABLE audit (at INTEGER NOT NULL, what TEXT NOT NULL);
CREATE INDEX orders_user ON orders (user_id);
CREATE VIEW rich AS SELECT email FROM users WHERE balance > 100;
CREATE TRIGGER orders_audit AFTER INSERT ON orders BEGIN INSERT INTO audit VALUES (new.id, 'order ' || new.id); END;
INSERT INTO users VALUES (1, 'ada@example.com', 9223372036854775807, 0.30000000000000004), (2, 'grâce@example.com', -9223372036854775808, 4.9406564584124654e-324), (3, 'it''s "me"', 9007199254740993, NULL);
INSERT INTO orders (user_id, note, data) VALUES (1, 'first, "quoted"', x'00ff'), (2, 'two
lines', x''), (1, NULL, NULL), (3, '🦆', randomblob(64));
DELETE FROM orders WHERE id = 3;
DELETE FROM audit WHERE at = 2;`;

async function richDb(dir: string, name = 'rich.db'): Promise<string> {
  const path = join(dir, name);
  const db = await open(path);
  await db.exec(RICH);
  await db.close();
  return path;
}

/** The files of `dir` whose names start with `prefix`, a temporary file written for it included. */
const filesOf = (dir: string, prefix: string) => readdirSync(dir).filter((name) => name.startsWith(prefix) || name.startsWith(`.${prefix}`));

/** Every row of every table, with its rowid, read with exact 64-bit integers. */
async function contents(path: string): Promise<Record<string, unknown[]>> {
  const db = await open(path, { readonly: true, integers: 'bigint' });
  try {
    const out: Record<string, unknown[]> = {};
    const tables = await db.all<{ name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name");
    for (const { name } of tables) out[name] = await db.all(`SELECT rowid AS _rowid, * FROM "${name}" ORDER BY rowid`);
    out['_schema'] = await db.all("SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_autoindex%' ORDER BY name");
    out['_integrity'] = await db.all('PRAGMA integrity_check');
    return out;
  } finally {
    await db.close();
  }
}

describe('dump and restore', () => {
  it('round-trips a database exactly: dump --out, restore, dump again gives the same text and the same rows', async () => {
    const dir = tempDir();
    const source = await richDb(dir);
    const dumped = await rapsqlite(['dump', 'rich.db', '--out', 'rich.sql'], dir);
    expect(dumped.code).toBe(0);
    expect(dumped.stdout).toBe('');
    expect(dumped.stderr).toBe(`wrote rich.sql: ${(statSync(join(dir, 'rich.sql')).size / 1024).toFixed(1)} KiB\n`);
    const text = readFileSync(join(dir, 'rich.sql'), 'utf8');
    expect(text.startsWith('PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n')).toBe(true);
    expect(text).toContain('9223372036854775807');
    expect(text).toContain('0.30000000000000004');
    expect(text.endsWith('COMMIT;\n')).toBe(true);

    const restored = await rapsqlite(['restore', 'rich.sql', 'copy.db'], dir);
    expect(restored.code).toBe(0);
    expect(restored.stdout).toMatch(/^restored \d+ statement\(s\) into copy\.db\n$/);
    expect(restored.stderr).toBe('');
    const again = await rapsqlite(['dump', 'copy.db'], dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(text);
    const [before, after] = await Promise.all([contents(source), contents(join(dir, 'copy.db'))]);
    expect(after).toEqual(before);
    expect(after['audit']).toHaveLength(3); // the trigger did not fire again during the restore
    expect(after['_integrity']).toEqual([{ integrity_check: 'ok' }]);
  }, 60_000);

  it('pipes a dump on stdout into restore on stdin, and restore --json reports the count', async () => {
    const dir = tempDir();
    const source = await richDb(dir);
    const dumped = await rapsqlite(['dump', 'rich.db'], dir);
    expect(dumped.code).toBe(0);
    expect(dumped.stderr).toBe('');
    const restore = startRapsqlite(['restore', '-', 'piped.db', '--json'], dir);
    restore.child.stdin!.end(dumped.stdout);
    const result = await restore.done;
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { database: string; statements: number };
    expect(report).toEqual({ database: join(dir, 'piped.db'), statements: expect.any(Number) });
    expect(report.statements).toBeGreaterThan(10);
    expect(await contents(join(dir, 'piped.db'))).toEqual(await contents(source));
  }, 60_000);

  it('dumps chosen tables, the schema only, or the data only', async () => {
    const dir = tempDir();
    await richDb(dir);
    const [tables, schemaOnly, dataOnly] = await Promise.all([
      rapsqlite(['dump', 'rich.db', '--tables', 'users', 'rich'], dir),
      rapsqlite(['dump', 'rich.db', '--schema-only'], dir),
      rapsqlite(['dump', 'rich.db', '--data-only'], dir),
    ]);
    expect(tables.stdout).toContain('CREATE TABLE users');
    expect(tables.stdout).toContain('CREATE VIEW rich');
    expect(tables.stdout).not.toContain('orders');
    expect(schemaOnly.stdout).toContain('CREATE TRIGGER orders_audit');
    expect(schemaOnly.stdout).not.toMatch(/^INSERT INTO/m);
    expect(dataOnly.stdout).toContain('INSERT INTO "users"');
    expect(dataOnly.stdout).not.toContain('CREATE TABLE');
    // The data goes into a database that has the schema (a table without triggers: a trigger would fire on the rows).
    const [usersSchema, usersData] = await Promise.all([
      rapsqlite(['dump', 'rich.db', '--tables', 'users', '--schema-only'], dir),
      rapsqlite(['dump', 'rich.db', '--tables', 'users', '--data-only'], dir),
    ]);
    writeFileSync(join(dir, 'schema.sql'), usersSchema.stdout);
    writeFileSync(join(dir, 'data.sql'), usersData.stdout);
    expect((await rapsqlite(['restore', 'schema.sql', 'two-step.db'], dir)).code).toBe(0);
    expect((await rapsqlite(['restore', 'data.sql', 'two-step.db', '--force'], dir)).code).toBe(0);
    expect((await contents(join(dir, 'two-step.db')))['users']).toEqual((await contents(join(dir, 'rich.db')))['users']);
  }, 60_000);

  it('refuses to overwrite without --force (exit 6), and every bad input leaves the disk as it was', async () => {
    const dir = tempDir();
    await richDb(dir);
    writeFileSync(join(dir, 'old.sql'), '-- an older dump\n');
    expect((await rapsqlite(['dump', 'rich.db', '--out', 'ok.sql'], dir)).code).toBe(0);
    await rapsqlite(['restore', 'ok.sql', 'full.db'], dir);
    const full = readFileSync(join(dir, 'full.db'));
    writeFileSync(join(dir, 'broken.sql'), 'CREATE TABLE a (x);\nINSERT INTO a VALUES (1);\nINSERT INTO nope VALUES (2);\n');
    writeFileSync(join(dir, 'orphans.sql'), 'CREATE TABLE p (id INTEGER PRIMARY KEY);\nCREATE TABLE c (p INTEGER REFERENCES p(id));\nINSERT INTO c VALUES (7);\n');
    const whole = readFileSync(join(dir, 'ok.sql'), 'utf8');
    writeFileSync(join(dir, 'cut.sql'), whole.slice(0, whole.indexOf('INSERT INTO "orders"')));
    const before = readdirSync(dir).sort();

    const cases: Array<[string[], number, RegExp]> = [
      [['dump', 'rich.db', '--out', 'old.sql'], 6, /exists; pass --force .*\[ERR_RAPSQLITE_CLI_EXISTS\]/],
      [['restore', 'ok.sql', 'full.db'], 6, /is not empty .*\[ERR_RAPSQLITE_CLI_NOT_EMPTY\]/],
      [['restore', 'ok.sql', 'full.db', '--force'], 1, /already exists \[SQLITE_ERROR\]/],
      [['restore', 'broken.sql', 'new1.db'], 1, /no such table: nope \[SQLITE_ERROR\]/],
      [['restore', 'orphans.sql', 'new2.db'], 1, /\[SQLITE_CONSTRAINT_FOREIGNKEY\]/],
      [['restore', 'cut.sql', 'new5.db'], 1, /cut short\. Nothing was restored\. \[ERR_RAPSQLITE_CLI_DUMP_CUT_SHORT\]/],
      [['restore', 'rich.db', 'new6.db'], 1, /not valid UTF-8 \[ERR_RAPSQLITE_INVALID_ARGUMENT\]/],
      [['restore', 'missing.sql', 'new3.db'], 3, /No such dump file: .*\[ENOENT\]/],
      [['restore', 'ok.sql', 'no-folder/new.db'], 3, /No such folder: .*\[ENOENT\]/],
      [['restore', 'ok.sql', 'new4.db', '--foreign-keys', 'maybe'], 2, /--foreign-keys/],
      [['dump', 'missing.db'], 3, /No such database file: .*\[ENOENT\]/],
      [['dump', 'rich.db', '--out', 'no-folder/x.sql'], 3, /No such folder: .*\[ENOENT\]/],
      [['dump', 'rich.db', '--schema-only', '--data-only'], 2, /exclude each other\. \[ERR_RAPSQLITE_INVALID_ARGUMENT\]/],
      [['dump', 'rich.db', '--json'], 2, /--json needs --out.*\[ERR_RAPSQLITE_INVALID_ARGUMENT\]/],
      [['dump', 'rich.db', '--tables', 'nope'], 2, /No table or view named "nope".*\[ERR_RAPSQLITE_SCHEMA_NOT_FOUND\]/],
      [['dump', 'old.sql'], 1, /is not an SQLite database\. \[SQLITE_NOTADB\]/],
    ];
    // Run side by side (each names its own new file), to keep the test short.
    const results = await Promise.all(cases.map(([args]) => rapsqlite(args, dir)));
    results.forEach((result, i) => {
      const [args, code, message] = cases[i]!;
      expect(result.code, args.join(' ')).toBe(code);
      expect(result.stderr, args.join(' ')).toMatch(message);
      expect(result.stdout, args.join(' ')).toBe('');
    });
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(readFileSync(join(dir, 'old.sql'), 'utf8')).toBe('-- an older dump\n');
    expect(readFileSync(join(dir, 'full.db')).equals(full)).toBe(true);

    // --foreign-keys off restores inconsistent data, as the sqlite3 shell does; --force replaces a dump file.
    expect((await rapsqlite(['restore', 'orphans.sql', 'new.db', '--foreign-keys', 'off'], dir)).code).toBe(0);
    expect(existsSync(join(dir, 'new.db'))).toBe(true);
    const replaced = await rapsqlite(['dump', 'rich.db', '--out', 'old.sql', '--force', '--json'], dir);
    expect(replaced).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(replaced.stdout)).toEqual({ file: join(dir, 'old.sql'), bytes: statSync(join(dir, 'ok.sql')).size, replaced: true });
    expect(readFileSync(join(dir, 'old.sql'), 'utf8')).toBe(readFileSync(join(dir, 'ok.sql'), 'utf8'));
  }, 60_000);

  it('gives up on a database another process holds locked with exit 4, changing nothing', async () => {
    const dir = tempDir();
    await richDb(dir);
    expect((await rapsqlite(['dump', 'rich.db', '--out', 'rich.sql'], dir)).code).toBe(0);
    const writing = join(dir, 'writing.db');
    const other = await open(writing);
    await other.exec('CREATE TABLE keep (x); INSERT INTO keep VALUES (1)');
    await other.close();
    await holdLock(writing);
    const exclusive = await richDb(dir, 'exclusive.db');
    await holdLock(exclusive, true);
    const before = readFileSync(exclusive);
    const [restore, dump] = await Promise.all([
      rapsqlite(['restore', 'rich.sql', 'writing.db', '--force', '--busy-timeout', '100'], dir),
      rapsqlite(['dump', 'exclusive.db', '--out', 'exclusive.sql', '--busy-timeout', '100'], dir),
    ]);
    expect(restore.code).toBe(4);
    expect(restore.stderr).toMatch(/\[SQLITE_BUSY\w*\]\n$/);
    expect(dump.code).toBe(4);
    expect(dump.stderr).toMatch(/\[SQLITE_BUSY\w*\]\n$/);
    expect(filesOf(dir, 'exclusive.sql')).toEqual([]);
    expect(readFileSync(exclusive).equals(before)).toBe(true);
    const check = await open(writing, { readonly: true });
    // Only what was committed before: the lock holder's table is uncommitted, the dump's tables never came.
    expect(await check.all("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")).toEqual([{ name: 'keep' }]);
    await check.close();
  }, 60_000);

  it('stops quietly when the reader closes the pipe early (| head)', async () => {
    const dir = tempDir();
    await bigDb(dir, 'big.db', 1500);
    const run = startRapsqlite(['dump', 'big.db'], dir);
    await new Promise<void>((resolve) => run.child.stdout!.once('data', () => resolve()));
    run.child.stdout!.destroy();
    const { code, stderr } = await run.done;
    expect(code).toBe(0);
    expect(stderr).toBe('');
  }, 60_000);
});
