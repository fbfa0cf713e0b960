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
