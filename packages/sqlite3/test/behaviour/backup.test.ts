import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { IMPLEMENTATIONS, call, closeDb, exec, openDb, real, tempDir, type Sqlite3 } from '../helpers.ts';

describe.each(IMPLEMENTATIONS)('backup: %s', (_name, sqlite3) => {
  let dir: string;
  let cleanup: () => void;
  let source: string;
  let db: Sqlite3;

  beforeAll(async () => {
    ({ dir, cleanup } = tempDir());
    source = join(dir, 'source.db');
    // The source is built once with the reference driver: 1000 rows over many pages.
    const seed = await openDb(real, source);
    await exec(seed, 'CREATE TABLE foo (id INTEGER PRIMARY KEY, txt TEXT)');
    await exec(seed, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) INSERT INTO foo (txt) SELECT 'String ' || x || ' ' || hex(randomblob(20)) FROM c");
    await closeDb(seed);
  });
  afterAll(() => cleanup());
  beforeEach(async () => {
    db = await openDb(sqlite3, source, sqlite3.OPEN_READONLY);
  });
  afterEach(async () => {
    if (db !== undefined) await closeDb(db);
  });

  const count = async (target: Sqlite3, table = 'foo') => ((await call<{ n: number }>(target, 'get', `SELECT count(*) AS n FROM ${table}`)).value.n);
  const finish = (backup: Sqlite3) => new Promise<unknown[]>((resolve) => backup.finish((...a: unknown[]) => resolve(a)));
  const step = (backup: Sqlite3, pages: number) =>
    new Promise<{ err: unknown; completed: unknown; self: Sqlite3 }>((resolve) =>
      backup.step(pages, function (this: Sqlite3, err: unknown, completed: unknown) {
        resolve({ err, completed, self: this });
      }),
    );

  it('copies the source fully with step(-1), creating the file', async () => {
    const target = join(dir, `full-${Math.random()}.db`);
    const backup = db.backup(target);
    expect(backup instanceof sqlite3.Backup).toBe(true);
    const stepped = await step(backup, -1);
    expect(stepped).toMatchObject({ err: null, completed: true });
    expect(stepped.self).toBe(backup);
    expect(existsSync(target)).toBe(true);
    expect(await finish(backup)).toEqual([]);
    expect([backup.completed, backup.failed, backup.remaining]).toEqual([true, false, 0]);
    const copy = await openDb(sqlite3, target, sqlite3.OPEN_READONLY);
    expect(await count(copy)).toBe(1000);
    await closeDb(copy);
  });

  it('creates the output file when the backup starts', async () => {
    const stepped = join(dir, `stepped-${Math.random()}.db`);
    const first = await new Promise<Sqlite3>((resolve) => {
      const b = db.backup(stepped, (err: unknown) => {
        expect(err).toBeNull();
        resolve(b);
      });
    });
    expect((await step(first, 1)).err).toBeNull();
    expect(existsSync(stepped)).toBe(true);
    await finish(first);
    const unused = join(dir, `unused-${Math.random()}.db`);
    const second = db.backup(unused);
    await finish(second);
    expect(existsSync(unused)).toBe(true);
    expect([second.completed, second.failed]).toEqual([false, true]);
  });

  it('reports pageCount and remaining after a step, and remaining goes down', async () => {
    const backup = db.backup(join(dir, `progress-${Math.random()}.db`));
    expect([backup.remaining, backup.pageCount]).toEqual([-1, -1]);
    const zero = await step(backup, 0);
    expect(zero.err).toBeNull();
    expect(typeof backup.pageCount).toBe('number');
    expect(backup.pageCount).toBeGreaterThan(2);
    expect(backup.remaining).toBe(backup.pageCount);
    const before = backup.remaining;
    const one = await step(backup, 1);
    expect(one.completed).toBe(false);
    expect(backup.remaining).toBe(before - 1);
    await finish(backup);
  });

  it('keeps the database from closing until the backup finishes (SQLITE_BUSY)', async () => {
    const backup = db.backup(join(dir, `busy-${Math.random()}.db`));
    await new Promise((resolve) => setImmediate(resolve));
    const refused = await call(db, 'close');
    expect(refused.err).toMatchObject({ errno: sqlite3.BUSY });
    await finish(backup);
  });

  it('fails use after finish with "Backup is already finished"', async () => {
    const backup = db.backup(join(dir, `after-${Math.random()}.db`));
    await finish(backup);
    const late = await step(backup, 1);
    expect(late.err).toMatchObject({ errno: sqlite3.MISUSE, message: 'SQLITE_MISUSE: Backup is already finished' });
  });

  it('finishes itself when complete by default, and not with retryErrors = []', async () => {
    const auto = db.backup(join(dir, `auto-${Math.random()}.db`));
    expect(auto.retryErrors).toEqual([sqlite3.BUSY, sqlite3.LOCKED]);
    await step(auto, -1);
    const manual = db.backup(join(dir, `manual-${Math.random()}.db`));
    manual.retryErrors = [];
    await step(manual, -1);
    expect((await call(db, 'close')).err).toMatchObject({ errno: sqlite3.BUSY });
    await finish(manual);
    expect(() => (manual.retryErrors = 5)).toThrow('retryErrors must be an array');
  });

  it('includes changes made between steps', async () => {
    const target = join(dir, `live-${Math.random()}.db`);
    const writable = await openDb(sqlite3, join(dir, 'live-source.db'));
    await exec(writable, "CREATE TABLE foo (txt); WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 500) INSERT INTO foo SELECT hex(randomblob(50)) FROM c");
    const backup = writable.backup(target);
    expect((await step(backup, 1)).completed).toBe(false);
    await exec(writable, "INSERT INTO foo VALUES ('hello')");
    expect((await step(backup, -1)).completed).toBe(true);
    await finish(backup);
    const copy = await openDb(sqlite3, target, sqlite3.OPEN_READONLY);
    expect(await count(copy)).toBe(501);
    await closeDb(copy);
    await closeDb(writable);
  });

  it('backs up a temp schema into a file’s main database', async () => {
    await exec(db, "CREATE TEMP TABLE space (txt TEXT); INSERT INTO space VALUES ('monkey')");
    const target = join(dir, `temp-${Math.random()}.db`);
    const backup = db.backup(target, 'temp', 'main', true);
    expect((await step(backup, -1)).completed).toBe(true);
    await finish(backup);
    const copy = await openDb(sqlite3, target);
    expect((await call(copy, 'get', 'SELECT txt FROM space')).value).toEqual({ txt: 'monkey' });
    await closeDb(copy);
  });

  it('fails a backup whose file cannot be opened (no such folder) at its start, with SQLITE_CANTOPEN', async () => {
    const started = await new Promise<{ err: unknown; self: unknown; backup: Sqlite3 }>((resolve) => {
      const backup = db.backup(join(dir, 'no', 'such', 'folder.db'), function (this: unknown, err: unknown) {
        resolve({ err, self: this, backup });
      });
    });
    expect(started.err).toMatchObject({ code: 'SQLITE_CANTOPEN', errno: sqlite3.CANTOPEN, message: 'SQLITE_CANTOPEN: unable to open database file' });
    expect(started.self).toBe(started.backup);
    expect([started.backup.failed, started.backup.completed, started.backup.idle]).toEqual([true, false, false]);
  });

  it('restores a file into the temp schema (filenameIsDest false), replacing what was there', async () => {
    await exec(db, "CREATE TEMP TABLE stale (x); INSERT INTO stale VALUES ('gone')");
    const backup = db.backup(source, 'main', 'temp', false);
    const first = await step(backup, 1);
    expect(first).toMatchObject({ err: null, completed: false });
    expect(backup.pageCount).toBeGreaterThan(1);
    expect(backup.remaining).toBe(backup.pageCount - 1);
    expect((await step(backup, -1)).completed).toBe(true);
    await finish(backup);
    expect(await count(db, 'temp.foo')).toBe(1000);
    expect((await call(db, 'get', 'SELECT count(*) AS n FROM temp.foo JOIN main.foo USING (id, txt)')).value).toEqual({ n: 1000 });
    expect((await call(db, 'get', "SELECT name FROM temp.sqlite_master WHERE name = 'stale'")).value).toBeUndefined();
  });

  it('loads a file into a :memory: database (main into main): tables, indexes, views, triggers, AUTOINCREMENT, FTS5, user_version', async () => {
    const file = join(dir, `schema-${Math.random()}.db`);
    const seed = await openDb(real, file);
    await exec(
      seed,
      `PRAGMA user_version = 7;
       CREATE TABLE a (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT UNIQUE, g INT GENERATED ALWAYS AS (id * 2));
       CREATE INDEX ai ON a (v); CREATE VIEW av AS SELECT v FROM a;
       CREATE TABLE log (v TEXT); CREATE TRIGGER at AFTER INSERT ON a BEGIN INSERT INTO log VALUES (new.v); END;
       INSERT INTO a (v) VALUES ('x'), ('y'); DELETE FROM a WHERE v = 'y';
       CREATE VIRTUAL TABLE f USING fts5(body); INSERT INTO f VALUES ('hello world')`,
    );
    await closeDb(seed);
    const memory = await openDb(sqlite3, ':memory:');
    await exec(memory, 'CREATE TABLE old (x); INSERT INTO old VALUES (1)');
    const backup = memory.backup(file, 'main', 'main', false);
    expect((await step(backup, -1)).err).toBeNull();
    await finish(backup);
    const names = await call<Array<{ name: string }>>(memory, 'all', "SELECT name FROM sqlite_master WHERE name NOT LIKE 'f_%' ORDER BY name");
    expect(names.value.map((r) => r.name)).toEqual(['a', 'ai', 'at', 'av', 'f', 'log', 'sqlite_autoindex_a_1', 'sqlite_sequence']);
    expect((await call(memory, 'all', 'SELECT * FROM a')).value).toEqual([{ id: 1, v: 'x', g: 2 }]);
    expect((await call(memory, 'all', 'SELECT * FROM log')).value).toEqual([{ v: 'x' }, { v: 'y' }]);
    expect((await call(memory, 'get', "SELECT body FROM f WHERE f MATCH 'hello'")).value).toEqual({ body: 'hello world' });
    expect((await call(memory, 'get', 'PRAGMA user_version')).value).toEqual({ user_version: 7 });
    const inserted = await new Promise<{ err: unknown; lastID: number }>((resolve) =>
      memory.run("INSERT INTO a (v) VALUES ('z')", function (this: { lastID: number }, err: unknown) {
        resolve({ err, lastID: this.lastID });
      }),
    );
    // AUTOINCREMENT continues after the highest id the file ever gave (2, deleted), and the trigger came along.
    expect(inserted).toEqual({ err: null, lastID: 3 });
    expect((await call(memory, 'all', 'SELECT * FROM log')).value).toEqual([{ v: 'x' }, { v: 'y' }, { v: 'z' }]);
    await closeDb(memory);
  });

  it('fails a restore into a read-only database with SQLITE_READONLY, changing nothing', async () => {
    const backup = db.backup(source, 'main', 'main', false);
    const stepped = await step(backup, -1);
    expect(stepped.err).toMatchObject({ code: 'SQLITE_READONLY', errno: sqlite3.READONLY });
    expect(backup.failed).toBe(true);
    expect(await count(db)).toBe(1000);
  });

  it('reports SQLITE_BUSY when the destination is locked, and can go on once it is free', async () => {
    const target = join(dir, `locked-${Math.random()}.db`);
    const holder = await openDb(sqlite3, target);
    await exec(holder, 'PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; CREATE TABLE x (a)');
    const backup = db.backup(target);
    const blocked = await step(backup, -1);
    expect(blocked.err).toMatchObject({ errno: sqlite3.BUSY, code: 'SQLITE_BUSY' });
    expect([backup.completed, backup.failed]).toEqual([false, false]);
    await exec(holder, 'ROLLBACK');
    await closeDb(holder);
    const retried = await step(backup, -1);
    expect(retried).toMatchObject({ err: null, completed: true });
    expect(backup.completed).toBe(true);
    await finish(backup);
  });

  it('steps on a timer while idle until completed (the fuss-free pattern)', async () => {
    const backup = db.backup(join(dir, `timer-${Math.random()}.db`));
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (backup.idle) backup.step(5);
        if (backup.completed || backup.failed) {
          clearInterval(timer);
          resolve();
        }
      }, 2);
    });
    expect([backup.completed, backup.failed]).toEqual([true, false]);
  });
});
