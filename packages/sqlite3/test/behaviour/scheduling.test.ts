import { createHook, executionAsyncId } from 'node:async_hooks';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IMPLEMENTATIONS, call, closeDb, exec, openDb, tempDir, type Sqlite3 } from '../helpers.ts';

describe.each(IMPLEMENTATIONS)('scheduling and transactions: %s', (_name, sqlite3) => {
  let dir: string;
  let cleanup: () => void;
  let db: Sqlite3;
  beforeEach(async () => {
    ({ dir, cleanup } = tempDir());
    db = await openDb(sqlite3, join(dir, 'main.db'));
    await exec(db, 'CREATE TABLE t (a INTEGER PRIMARY KEY, b UNIQUE)');
  });
  afterEach(async () => {
    await closeDb(db);
    cleanup();
  });

  it('runs each callback inside an async resource named as node-sqlite3 names its work (sqlite3.Statement.Get, …)', async () => {
    const types = new Map<number, string>();
    const hook = createHook({
      init(asyncId, type) {
        if (type.startsWith('sqlite3.')) types.set(asyncId, type);
      },
    }).enable();
    const seen: Array<string | undefined> = [];
    const record = (): void => void seen.push(types.get(executionAsyncId()));
    let first: number | undefined;
    try {
      // The first sqlite3.* resource made after the hook is the one a failing one-call statement calls back in.
      await new Promise<void>((resolve) =>
        db.run('DROP TABLE missing', () => {
          first = executionAsyncId();
          resolve();
        }),
      );
      expect(first).toBe([...types.keys()][0]);
      await new Promise((resolve) => db.get('SELECT 1', () => resolve(record())));
      await new Promise((resolve) => db.all('SELECT 1', () => resolve(record())));
      await new Promise((resolve) => db.run('INSERT INTO t (b) VALUES (1)', () => resolve(record())));
      await new Promise((resolve) => db.exec('SELECT 1', () => resolve(record())));
      const stmt = db.prepare('SELECT b FROM t');
      await new Promise((resolve) => stmt.get(() => resolve(record())));
      await new Promise((resolve) => stmt.finalize(resolve));
    } finally {
      hook.disable();
    }
    expect(seen).toEqual(['sqlite3.Statement.Get', 'sqlite3.Statement.All', 'sqlite3.Statement.Run', 'sqlite3.Database.Exec', 'sqlite3.Statement.Get']);
  });

  it('serialize(cb) runs cb at once with this = the database, returns the database, and callbacks come in call order', async () => {
    const order: string[] = [];
    const selves: unknown[] = [];
    const returned = db.serialize(function (this: unknown) {
      selves.push(this);
      db.run('INSERT INTO t (b) VALUES (1)', () => order.push('insert 1'));
      db.get('SELECT count(*) AS n FROM t', (_e: unknown, row: { n: number }) => order.push(`count ${row.n}`));
      db.run('INSERT INTO t (b) VALUES (1)', (err: { code: string }) => order.push(`dup ${err.code}`));
      db.exec('INSERT INTO t (b) VALUES (2)', () => order.push('exec'));
      db.all('SELECT b FROM t ORDER BY b', (_e: unknown, rows: unknown[]) => order.push(`rows ${JSON.stringify(rows)}`));
      order.push('inside serialize');
    });
    expect(returned).toBe(db);
    expect(selves).toEqual([db]);
    await new Promise((resolve) => db.wait(resolve));
    expect(order).toEqual(['inside serialize', 'insert 1', 'count 1', 'dup SQLITE_CONSTRAINT', 'exec', 'rows [{"b":1},{"b":2}]']);
  });

  it('parallelize(cb) also runs cb at once and returns the database; both restore the previous mode', async () => {
    let ran = false;
    expect(db.parallelize(() => (ran = true))).toBe(db);
    expect(ran).toBe(true);
    expect(db.serialize()).toBe(db);
    expect(db.parallelize()).toBe(db);
  });

  it('wait(cb) calls back with null, this = the database, after every earlier call has called back', async () => {
    const order: string[] = [];
    db.serialize();
    db.run('INSERT INTO t (b) VALUES (10)', () => order.push('run'));
    db.all('SELECT * FROM t', () => order.push('all'));
    const waited = await new Promise<{ args: unknown[]; self: unknown }>((resolve) =>
      db.wait(function (this: unknown, ...args: unknown[]) {
        order.push('wait');
        resolve({ args, self: this });
      }),
    );
    expect(order).toEqual(['run', 'all', 'wait']);
    expect(waited).toEqual({ args: [null], self: db });
  });

  it('exec() runs a script, stops at the first failure keeping what ran before, and calls back with this = the database', async () => {
    const ok = await call(db, 'exec', 'INSERT INTO t (b) VALUES (1); INSERT INTO t (b) VALUES (2);');
    expect(ok.args).toEqual([null]);
    expect(ok.self).toBe(db);
    const failed = await call(db, 'exec', 'INSERT INTO t (b) VALUES (3); INSERT INTO t (b) VALUES (1); INSERT INTO t (b) VALUES (4)');
    expect(failed.err).toMatchObject({ code: 'SQLITE_CONSTRAINT', errno: 19, message: 'SQLITE_CONSTRAINT: UNIQUE constraint failed: t.b' });
    expect((await call(db, 'all', 'SELECT b FROM t ORDER BY b')).value).toEqual([{ b: 1 }, { b: 2 }, { b: 3 }]);
    expect((await call(db, 'exec', 'SELEC 1')).err).toMatchObject({ code: 'SQLITE_ERROR', message: 'SQLITE_ERROR: near "SELEC": syntax error' });
  });

  it('emits a failing exec without callback as error on the database', async () => {
    const event = new Promise<unknown[]>((resolve) => db.once('error', (...a: unknown[]) => resolve(a)));
    db.exec('INSERT INTO missing VALUES (1)');
    expect((await event)[0]).toMatchObject({ code: 'SQLITE_ERROR', message: 'SQLITE_ERROR: no such table: missing' });
  });

  it('runs raw BEGIN/COMMIT/ROLLBACK and savepoints on the Database’s own connection', async () => {
    // Serialized for good: a call made in parallel mode may overtake queued serialized ones in node-sqlite3.
    db.serialize();
    db.serialize(() => {
      db.run('BEGIN');
      db.run('INSERT INTO t (b) VALUES (1)');
      db.run('SAVEPOINT inner');
      db.run('INSERT INTO t (b) VALUES (2)');
      db.run('ROLLBACK TO inner');
      db.run('RELEASE inner');
      db.run('COMMIT');
      db.run('BEGIN');
      db.run('INSERT INTO t (b) VALUES (3)');
      db.run('ROLLBACK');
    });
    expect((await call(db, 'all', 'SELECT b FROM t')).value).toEqual([{ b: 1 }]);
    const inTx = await call(db, 'run', 'COMMIT');
    expect(inTx.err).toMatchObject({ code: 'SQLITE_ERROR', message: 'SQLITE_ERROR: cannot commit - no transaction is active' });
  });

  it('keeps a transaction private to its Database until COMMIT, and another connection waits out its lock', async () => {
    const other = await openDb(sqlite3, join(dir, 'main.db'));
    await exec(db, 'BEGIN IMMEDIATE; INSERT INTO t (b) VALUES (7)');
    expect((await call(other, 'all', 'SELECT b FROM t')).value).toEqual([]);
    other.configure('busyTimeout', 20);
    const blocked = await call(other, 'run', 'INSERT INTO t (b) VALUES (8)');
    expect(blocked.err).toMatchObject({ code: 'SQLITE_BUSY', errno: sqlite3.BUSY, message: 'SQLITE_BUSY: database is locked' });
    await exec(db, 'COMMIT');
    expect((await call(other, 'all', 'SELECT b FROM t')).value).toEqual([{ b: 7 }]);
    expect((await call(other, 'run', 'INSERT INTO t (b) VALUES (8)')).err).toBeNull();
    await closeDb(other);
  });

  it('waits for a lock within the busy timeout instead of failing', async () => {
    const other = await openDb(sqlite3, join(dir, 'main.db'));
    await exec(db, 'BEGIN IMMEDIATE');
    const started = Date.now();
    const pending = call(other, 'run', 'INSERT INTO t (b) VALUES (1)');
    setTimeout(() => db.exec('COMMIT'), 100);
    expect((await pending).err).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    await closeDb(other);
  });

  it('configure(): TypeErrors for bad arguments, busyTimeout returns the database', () => {
    expect(db.configure('busyTimeout', 500)).toBe(db);
    expect(() => db.configure('busyTimeout')).toThrow(TypeError);
    expect(() => db.configure('busyTimeout', 'x')).toThrow('Value must be an integer');
    expect(() => db.configure('nope', 1)).toThrow('nope is not a valid configuration option');
  });

  it('reports constraint failures with the primary code and SQLite’s message', async () => {
    await exec(db, 'PRAGMA foreign_keys = ON; CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (p REFERENCES parent(id), n NOT NULL CHECK (n > 0))');
    const cases: Array<[string, string]> = [
      ['INSERT INTO t (a, b) VALUES (1, 1), (1, 2)', 'SQLITE_CONSTRAINT: UNIQUE constraint failed: t.a'],
      ['INSERT INTO child VALUES (99, 1)', 'SQLITE_CONSTRAINT: FOREIGN KEY constraint failed'],
      ['INSERT INTO child VALUES (NULL, NULL)', 'SQLITE_CONSTRAINT: NOT NULL constraint failed: child.n'],
      ['INSERT INTO child VALUES (NULL, 0)', 'SQLITE_CONSTRAINT: CHECK constraint failed: n > 0'],
    ];
    for (const [sql, message] of cases) {
      const { err } = await call(db, 'run', sql);
      expect(err).toMatchObject({ message, errno: 19, code: 'SQLITE_CONSTRAINT' });
      expect(Object.keys(err as object)).toEqual(['errno', 'code']);
      expect(err).toBeInstanceOf(Error);
    }
  });

  it('emits a run-time failure of a prepared statement without callback as error on the statement', async () => {
    const stmt = db.prepare('INSERT INTO t (b) VALUES (?)');
    await call(stmt, 'run', 1);
    const event = new Promise<unknown[]>((resolve) => stmt.once('error', (...a: unknown[]) => resolve(a)));
    stmt.run(1);
    expect((await event)[0]).toMatchObject({ code: 'SQLITE_CONSTRAINT' });
    await new Promise((resolve) => stmt.finalize(resolve));
  });

  it('runs two prepared statements’ inserts in parallel mode, then a serialized all() sees every row', async () => {
    db.parallelize();
    db.run('CREATE TABLE foo (txt text, num int, flt float, blb blob)');
    await new Promise((resolve) => db.wait(resolve));
    const stmt1 = db.prepare('INSERT INTO foo VALUES(?, ?, ?, ?)');
    const stmt2 = db.prepare('INSERT INTO foo VALUES(?, ?, ?, ?)');
    let inserted1 = 0;
    let inserted2 = 0;
    for (let i = 0; i < 400; i += 2) {
      stmt1.run(`String ${i}`, i, i * Math.PI, (err: unknown) => {
        if (err) throw err;
        inserted1++;
      });
      stmt2.run(`String ${i + 1}`, i + 1, (i + 1) * Math.PI, (err: unknown) => {
        if (err) throw err;
        inserted2++;
      });
    }
    db.serialize();
    const { value } = await call<Array<{ txt: string; num: number; flt: number; blb: null }>>(db, 'all', 'SELECT txt, num, flt, blb FROM foo ORDER BY num');
    await new Promise((resolve) => db.wait(resolve));
    expect([inserted1, inserted2]).toEqual([200, 200]);
    expect(value).toHaveLength(400);
    value.forEach((row, i) => expect(row).toEqual({ txt: `String ${i}`, num: i, flt: i * Math.PI, blb: null }));
    await Promise.all([stmt1, stmt2].map((s) => new Promise((resolve) => s.finalize(resolve))));
  });

  it('has JSON, FTS5 and R*Tree compiled in', async () => {
    expect((await call(db, 'get', "SELECT json_extract('{\"a\":[1,2]}', '$.a[1]') AS v")).value).toEqual({ v: 2 });
    await exec(db, "CREATE VIRTUAL TABLE docs USING fts5(body); INSERT INTO docs VALUES ('the quick brown fox'), ('lazy dogs')");
    expect((await call(db, 'all', "SELECT body FROM docs WHERE docs MATCH 'quick'")).value).toEqual([{ body: 'the quick brown fox' }]);
    await exec(db, 'CREATE VIRTUAL TABLE boxes USING rtree(id, minX, maxX); INSERT INTO boxes VALUES (1, 0, 10)');
    expect((await call(db, 'all', 'SELECT id FROM boxes WHERE minX <= 5 AND maxX >= 5')).value).toEqual([{ id: 1 }]);
  });
});
