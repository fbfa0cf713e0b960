import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IMPLEMENTATIONS, call, closeDb, eachRows, exec, openDb, tempDir } from '../helpers.ts';

describe.each(IMPLEMENTATIONS)('opening and closing: %s', (_name, sqlite3) => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('creates the file, calls back with null and `this` the database, then emits open', async () => {
    const file = join(dir, 'new.db');
    const order: string[] = [];
    const db = await new Promise<{ open: boolean }>((resolve) => {
      const opened = new sqlite3.Database(file, function (this: unknown, err: unknown, ...rest: unknown[]) {
        order.push(`callback ${String(err)} ${this === opened} ${rest.length}`);
      });
      expect(opened.open).toBe(false);
      opened.on('open', (...args: unknown[]) => {
        order.push(`open ${args.length}`);
        resolve(opened);
      });
    });
    expect(order).toEqual(['callback null true 0', 'open 0']);
    expect(db.open).toBe(true);
    expect(existsSync(file)).toBe(true);
    const closeEvents: number[] = [];
    (db as unknown as { on: (e: string, f: (...a: unknown[]) => void) => void }).on('close', (...args) => closeEvents.push(args.length));
    const closed = await call(db, 'close');
    expect(closed.args).toEqual([null]);
    expect(closed.self).toBe(db);
    expect(closeEvents).toEqual([0]);
    expect(db.open).toBe(false);
  });

  it('takes the callback as the second argument, and the mode as the second when it is an integer', async () => {
    const file = join(dir, 'mode.db');
    const created = await openDb(sqlite3, file, sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE);
    expect(created.mode).toBe(6);
    await closeDb(created);
    const readonly = await openDb(sqlite3, file, sqlite3.OPEN_READONLY);
    const { err } = await call(readonly, 'run', 'CREATE TABLE t (a)');
    expect(err).toMatchObject({ code: 'SQLITE_READONLY', errno: sqlite3.READONLY, message: 'SQLITE_READONLY: attempt to write a readonly database' });
    await closeDb(readonly);
  });

  it('fails with SQLITE_CANTOPEN when the file must exist and does not, and creates nothing', async () => {
    for (const mode of [sqlite3.OPEN_READONLY, sqlite3.OPEN_READWRITE]) {
      const file = join(dir, `missing-${mode}.db`);
      const err = await new Promise<Error & { errno: number; code: string }>((resolve) => new sqlite3.Database(file, mode, resolve));
      expect(err.message).toBe('SQLITE_CANTOPEN: unable to open database file');
      expect([err.errno, err.code]).toEqual([sqlite3.CANTOPEN, 'SQLITE_CANTOPEN']);
      expect(existsSync(file)).toBe(false);
    }
    const nested = await new Promise<{ code: string }>((resolve) => new sqlite3.Database(join(dir, 'no', 'such', 'dir.db'), resolve));
    expect(nested.code).toBe('SQLITE_CANTOPEN');
  });

  it('emits an open failure as error when there is no callback', async () => {
    const db = new sqlite3.Database(join(dir, 'missing', 'x.db'));
    const [err] = await new Promise<unknown[]>((resolve) => db.on('error', (...args: unknown[]) => resolve(args)));
    expect(err).toMatchObject({ code: 'SQLITE_CANTOPEN', errno: 14 });
  });

  it('refuses flags without READONLY or READWRITE, and CREATE without READWRITE, with SQLITE_MISUSE', async () => {
    for (const mode of [0, sqlite3.OPEN_CREATE]) {
      const err = await new Promise<{ code: string; message: string }>((resolve) => new sqlite3.Database(':memory:', mode, resolve));
      expect(err.message).toBe('SQLITE_MISUSE: bad parameter or other API misuse');
    }
  });

  it('throws a TypeError for a filename that is not a string', () => {
    expect(() => new sqlite3.Database()).toThrow(TypeError);
    expect(() => new sqlite3.Database(5)).toThrow('String expected');
  });

  it('queues calls made before the open completes and runs them (serialized: in order)', async () => {
    const db = new sqlite3.Database(':memory:');
    const results: unknown[] = [];
    db.serialize();
    db.run('CREATE TABLE t (a)');
    db.run('INSERT INTO t VALUES (1)');
    db.run('INSERT INTO t VALUES (2)', () => results.push('inserted'));
    const rows = await new Promise((resolve) => db.all('SELECT a FROM t', (_e: unknown, r: unknown) => resolve(r)));
    results.push(rows);
    expect(results).toEqual(['inserted', [{ a: 1 }, { a: 2 }]]);
    await closeDb(db);
  });

  it('opens a read-only :memory: database that refuses writes', async () => {
    const db = await openDb(sqlite3, ':memory:', sqlite3.OPEN_READONLY);
    const { err } = await call(db, 'run', 'CREATE TABLE t (a)');
    expect(err?.code).toBe('SQLITE_READONLY');
    await closeDb(db);
  });

  it('gives "" a private temporary database', async () => {
    const a = await openDb(sqlite3, '');
    const b = await openDb(sqlite3, '');
    await exec(a, 'CREATE TABLE t (a); INSERT INTO t VALUES (1)');
    expect((await call(a, 'all', 'SELECT a FROM t')).value).toEqual([{ a: 1 }]);
    expect((await call(b, 'all', "SELECT name FROM sqlite_master WHERE name = 't'")).value).toEqual([]);
    await Promise.all([closeDb(a), closeDb(b)]);
  });

  it('reads a file: name literally without OPEN_URI, and as a URI with it', async () => {
    const previous = process.cwd();
    process.chdir(dir);
    try {
      const literal = await openDb(sqlite3, 'file:literal.db?mode=ro');
      await exec(literal, 'CREATE TABLE t (a)');
      await closeDb(literal);
      expect(existsSync(join(dir, 'file:literal.db?mode=ro'))).toBe(true);
      const flags = sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE | sqlite3.OPEN_URI;
      const uri = await openDb(sqlite3, `file:${encodeURI(join(dir, 'via uri.db'))}`, flags);
      await exec(uri, 'CREATE TABLE t (a)');
      await closeDb(uri);
      expect(existsSync(join(dir, 'via uri.db'))).toBe(true);
      const readonly = await openDb(sqlite3, `file:${join(dir, 'via uri.db')}?mode=ro`, flags);
      expect((await call(readonly, 'run', 'INSERT INTO t VALUES (1)')).err?.code).toBe('SQLITE_READONLY');
      await closeDb(readonly);
    } finally {
      process.chdir(previous);
    }
  });

  it('shares one in-memory database between Database objects opened on the same mode=memory&cache=shared URI', async () => {
    const flags = sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE | sqlite3.OPEN_URI;
    const name = `file:shared-${Math.random().toString(36).slice(2)}?mode=memory&cache=shared`;
    const a = await openDb(sqlite3, name, flags);
    const b = await openDb(sqlite3, name, flags);
    await exec(a, 'CREATE TABLE shared (v); INSERT INTO shared VALUES (42)');
    expect((await call(b, 'all', 'SELECT v FROM shared')).value).toEqual([{ v: 42 }]);
    const other = await openDb(sqlite3, `file:other-${Math.random().toString(36).slice(2)}?mode=memory&cache=shared`, flags);
    expect((await call(other, 'all', "SELECT name FROM sqlite_master WHERE name = 'shared'")).value).toEqual([]);
    await Promise.all([closeDb(a), closeDb(b), closeDb(other)]);
    // Once every connection closed, the shared database is gone.
    const again = await openDb(sqlite3, name, flags);
    expect((await call(again, 'all', "SELECT name FROM sqlite_master WHERE name = 'shared'")).value).toEqual([]);
    await closeDb(again);
  });

  it('keeps the journal mode a file has (WAL stays WAL) and uses node-sqlite3’s connection defaults', async () => {
    const file = join(dir, 'wal.db');
    const first = await openDb(sqlite3, file);
    expect((await call(first, 'get', 'PRAGMA journal_mode')).value).toEqual({ journal_mode: 'delete' });
    expect((await call(first, 'get', 'PRAGMA journal_mode = WAL')).value).toEqual({ journal_mode: 'wal' });
    await closeDb(first);
    const second = await openDb(sqlite3, file);
    expect((await call(second, 'get', 'PRAGMA journal_mode')).value).toEqual({ journal_mode: 'wal' });
    expect((await call(second, 'get', 'PRAGMA foreign_keys')).value).toEqual({ foreign_keys: 0 });
    expect((await call(second, 'get', 'PRAGMA busy_timeout')).value).toEqual({ timeout: 1000 });
    expect((await call(second, 'get', 'PRAGMA recursive_triggers')).value).toEqual({ recursive_triggers: 0 });
    expect((await call(second, 'get', 'PRAGMA synchronous')).value).toEqual({ synchronous: 2 });
    await closeDb(second);
  });

  it('refuses a second close with SQLITE_MISUSE, and calls after close at once with SQLITE_MISUSE', async () => {
    const db = await openDb(sqlite3);
    expect(await closeDb(db)).toBeNull();
    const again = await call(db, 'close');
    expect(again.err).toMatchObject({ message: 'SQLITE_MISUSE: Database is closed', errno: sqlite3.MISUSE, code: 'SQLITE_MISUSE' });
    let sync = false;
    db.get('SELECT 1', (err: { message: string }) => {
      sync = err.message === 'SQLITE_MISUSE: Database is closed';
    });
    expect(sync).toBe(true);
    expect(() => db.configure('busyTimeout', 5)).toThrow('SQLITE_MISUSE: Database is closed');
  });

  it('fails calls queued behind close with "Database handle is closed"; without callbacks as one database error', async () => {
    const db = new sqlite3.Database(':memory:');
    db.close();
    const withCallback = await call(db, 'run', 'CREATE TABLE foo (id int)');
    expect(withCallback.err?.message).toBe('SQLITE_MISUSE: Database handle is closed');
    const other = new sqlite3.Database(':memory:');
    const errors: string[] = [];
    other.on('error', (err: Error) => errors.push(err.message));
    const closed = new Promise((resolve) => other.once('close', resolve));
    other.close();
    other.run('CREATE TABLE foo (id int)');
    other.run('CREATE TABLE bar (id int)');
    await closed;
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toEqual(['SQLITE_MISUSE: Database handle is closed']);
  });

  it('refuses to close with SQLITE_BUSY while a prepared statement is not finalized, and stays usable', async () => {
    const db = await openDb(sqlite3);
    await exec(db, 'CREATE TABLE foo (id INT, num INT)');
    const stmt = db.prepare('INSERT INTO foo VALUES (?, ?)');
    expect((await call(stmt, 'run', 1, 2)).err).toBeNull();
    const refused = await call(db, 'close');
    expect(refused.err).toMatchObject({ errno: sqlite3.BUSY, message: 'SQLITE_BUSY: unable to close due to unfinalized statements or unfinished backups' });
    expect(db.open).toBe(true);
    expect((await call(stmt, 'run', 3, 4)).err).toBeNull();
    await new Promise((resolve) => stmt.finalize(resolve));
    expect(await closeDb(db)).toBeNull();
  });

  it('emits the SQLITE_BUSY of a close without callback as error on the database', async () => {
    const db = await openDb(sqlite3);
    const stmt = db.prepare('SELECT 1');
    await call(stmt, 'get');
    const event = new Promise<unknown[]>((resolve) => db.once('error', (...a: unknown[]) => resolve(a)));
    db.close();
    expect((await event)[0]).toMatchObject({ code: 'SQLITE_BUSY' });
    await new Promise((resolve) => stmt.finalize(resolve));
    await closeDb(db);
  });

  it('throws from interrupt() before open, while closing and after close', async () => {
    const db = new sqlite3.Database(':memory:');
    expect(() => db.interrupt()).toThrow('Database is not open');
    await new Promise((resolve) => db.once('open', resolve));
    db.close();
    expect(() => db.interrupt()).toThrow('Database is closing');
    await new Promise((resolve) => db.once('close', resolve));
    expect(() => db.interrupt()).toThrow('Database is not open');
  });

  it('begins closing at once when close() is called from the open callback: interrupt() refuses from there', async () => {
    const { thrown, closed } = await new Promise<{ thrown: unknown; closed: Promise<unknown[]> }>((resolve) => {
      const db = new sqlite3.Database(':memory:', () => {
        const closed = new Promise<unknown[]>((done) => db.close((...args: unknown[]) => done(args)));
        let thrown: unknown;
        try {
          db.interrupt();
        } catch (err) {
          thrown = err;
        }
        resolve({ thrown, closed });
      });
    });
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).message).toBe('Database is closing');
    expect(await closed).toEqual([null]);
  });

  it('closes despite unfinalized statements that hold no SQL (empty text, only a comment or a semicolon)', async () => {
    for (const sql of ['', '   ', '-- only a comment', ';']) {
      const db = await openDb(sqlite3);
      const stmt = db.prepare(sql);
      const prepared = await new Promise<unknown[]>((resolve) => db.wait((...args: unknown[]) => resolve(args)));
      expect(prepared).toEqual([null]);
      expect(stmt.sql).toBe(sql);
      expect(await closeDb(db)).toBeNull();
    }
    const db = await openDb(sqlite3);
    db.prepare('SELECT 1');
    expect(await closeDb(db)).toMatchObject({ code: 'SQLITE_BUSY' });
  });

  it('opens a file that is not a database (read-only or not), then fails every statement with SQLITE_NOTADB', async () => {
    const file = join(dir, 'not-a-db.db');
    writeFileSync(file, 'this is not an SQLite database, just some text long enough to have a header....');
    for (const mode of [sqlite3.OPEN_READONLY, sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE]) {
      const db = await openDb(sqlite3, file, mode);
      expect(db.open).toBe(true);
      const notADb = { code: 'SQLITE_NOTADB', errno: sqlite3.NOTADB, message: 'SQLITE_NOTADB: file is not a database' };
      expect((await call(db, 'get', 'SELECT * FROM sqlite_master')).err).toMatchObject(notADb);
      expect((await call(db, 'run', 'CREATE TABLE t (a)')).err).toMatchObject(notADb);
      expect((await call(db, 'exec', 'SELECT 1')).err).toMatchObject(notADb);
      const each = await eachRows(db, 'SELECT 1');
      expect(each.rows).toEqual([]);
      expect(each.complete[0]).toMatchObject(notADb);
      expect(await closeDb(db)).toBeNull();
    }
  });

  it('throws (without crashing) when a method is called on something that is not a Database', async () => {
    const db = await openDb(sqlite3);
    const detached = { close: db.close, run: db.run, exec: db.exec };
    expect(() => detached.close()).toThrow();
    expect(() => detached.exec('SELECT 1')).toThrow();
    await closeDb(db);
  });
});
