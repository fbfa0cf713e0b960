import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCodes, SqliteLimit, type ChangeEvent } from '../../src/index.ts';
import { loadCompanion } from '../../src/native/companion.ts';
import { openTemp, tempDir } from '../helpers.ts';
import { WorkerWatch } from '../reliability/workers.ts';

const companion = loadCompanion();
if (companion === undefined) throw new Error('These tests need the native companion: build it with node native/build.mjs');

function recorder(): { changes: ChangeEvent[]; listener: (change: ChangeEvent) => void } {
  const changes: ChangeEvent[] = [];
  return { changes, listener: (change) => changes.push(change) };
}

const change = (type: ChangeEvent['type'], table: string, rowid: number | bigint, database = 'main'): ChangeEvent => ({ type, database, table, rowid });

describe('db.onChange (SQLite update hook through the companion)', () => {
  it('reports each changed row in order, before the promise of the call that changed it resolves', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT UNIQUE)');
    const { changes, listener } = recorder();
    const stop = await db.onChange(listener);
    await db.run("INSERT INTO users (name) VALUES ('ada')");
    expect(changes).toEqual([change('insert', 'users', 1)]);
    await db.runMany('INSERT INTO users (name) VALUES (?)', [['grace'], ['linus']]);
    await db.run("UPDATE users SET name = name || '!' WHERE id > 1");
    await db.run('DELETE FROM users WHERE id = 1');
    expect(changes).toEqual([
      change('insert', 'users', 1),
      change('insert', 'users', 2),
      change('insert', 'users', 3),
      change('update', 'users', 2),
      change('update', 'users', 3),
      change('delete', 'users', 1),
    ]);
    await stop();
    await db.run("INSERT INTO users (name) VALUES ('after')");
    expect(changes).toHaveLength(6);
  });

  it('gives rowids beyond 2^53 as exact bigints', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v)');
    const { changes, listener } = recorder();
    await db.onChange(listener);
    await db.run('INSERT INTO t VALUES (?, 1)', [9007199254740993n]);
    await db.run('INSERT INTO t VALUES (?, 1)', [-9007199254740993n]);
    await db.run('INSERT INTO t VALUES (9007199254740991, 1)');
    expect(changes.map((c) => c.rowid)).toEqual([9007199254740993n, -9007199254740993n, 9007199254740991]);
  });

  it('reports the changes of rolled-back work as they happened (transactions, savepoints, failed statements)', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v UNIQUE)');
    const { changes, listener } = recorder();
    await db.onChange(listener);
    await expect(
      db.transaction(async (tx) => {
        await tx.run('INSERT INTO t VALUES (1, 1)');
        await tx.transaction(async (inner) => {
          await inner.run('INSERT INTO t VALUES (2, 2)');
          throw new Error('undo the savepoint');
        }).catch(() => undefined);
        await tx.run('UPDATE t SET v = 10 WHERE id = 1');
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(changes).toEqual([change('insert', 't', 1), change('insert', 't', 2), change('update', 't', 1)]);
    expect(await db.all('SELECT * FROM t')).toEqual([]);
    changes.length = 0;
    // The second row violates the constraint: the statement fails and is undone, but its first row was reported.
    await db.run('INSERT INTO t VALUES (5, 5)');
    await expect(db.run('INSERT INTO t VALUES (6, 6), (7, 5)')).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_UNIQUE' });
    expect(changes).toEqual([change('insert', 't', 5), change('insert', 't', 6)]);
  });

  it('names the schema: main, temp and attached databases, and every statement of a script', async () => {
    const db = await openTemp();
    await db.attach('aux', join(tempDir(), 'aux.db'));
    const { changes, listener } = recorder();
    await db.onChange(listener);
    await db.exec(`CREATE TABLE aux.z (q); CREATE TEMP TABLE tt (q); CREATE TABLE m (q);
      INSERT INTO aux.z VALUES (1); INSERT INTO tt VALUES (1); INSERT INTO m VALUES (1); DELETE FROM m WHERE q = 1;`);
    expect(changes).toEqual([change('insert', 'z', 1, 'aux'), change('insert', 'tt', 1, 'temp'), change('insert', 'm', 1), change('delete', 'm', 1)]);
  });

  it('does not report what SQLite’s update hook does not: WITHOUT ROWID tables, DELETE without WHERE, a replaced row’s deletion', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE w (k PRIMARY KEY) WITHOUT ROWID; CREATE TABLE r (k); CREATE TABLE u (id INTEGER PRIMARY KEY, k UNIQUE)');
    const { changes, listener } = recorder();
    await db.onChange(listener);
    await db.exec("INSERT INTO w VALUES ('a'); INSERT INTO r VALUES ('a'); DELETE FROM r; INSERT INTO u VALUES (1, 'x'); INSERT OR REPLACE INTO u VALUES (2, 'x')");
    expect(changes).toEqual([change('insert', 'r', 1), change('insert', 'u', 1), change('insert', 'u', 2)]);
    expect(await db.all('SELECT id FROM u')).toEqual([{ id: 2 }]);
  });

  it('delivers a statement that changes many rows in full and in order, before its promise resolves', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    const { changes, listener } = recorder();
    await db.onChange(listener);
    await db.run('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000) INSERT INTO t SELECT x FROM c');
    expect(changes).toHaveLength(5000);
    expect(changes.every((c, i) => c.type === 'insert' && c.rowid === i + 1)).toBe(true);
  });

  it('serves several listeners; each unsubscribes alone', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE t (v)');
    const a = recorder();
    const b = recorder();
    const stopA = await db.onChange(a.listener);
    const stopB = await db.onChange(b.listener);
    await db.run('INSERT INTO t VALUES (1)');
    await stopA();
    await stopA();
    await db.run('INSERT INTO t VALUES (2)');
    expect(a.changes.map((c) => c.rowid)).toEqual([1]);
    expect(b.changes.map((c) => c.rowid)).toEqual([1, 2]);
    await stopB();
    await db.run('INSERT INTO t VALUES (3)');
    expect(b.changes).toHaveLength(2);
  });

  it('ends with the database: close() resolves with a subscription open, and later calls are refused', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE t (v)');
    const { changes, listener } = recorder();
    const stop = await db.onChange(listener);
    await db.run('INSERT INTO t VALUES (1)');
    await db.close();
    await stop();
    expect(changes).toHaveLength(1);
    await expect(db.onChange(listener)).rejects.toMatchObject({ code: ErrorCodes.CLOSED });
  });

  it('refuses a listener that is not a function', async () => {
    const db = await openTemp();
    await expect(db.onChange(42 as never)).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
  });
});

describe('db.limit (sqlite3_limit through the companion)', () => {
  it('sets a limit, returns the previous value, and reads it without a value', async () => {
    const db = await openTemp();
    const initial = await db.limit(SqliteLimit.LENGTH);
    expect(initial).toBeGreaterThan(1000);
    expect(await db.limit(SqliteLimit.LENGTH, 40)).toBe(initial);
    expect(await db.limit(SqliteLimit.LENGTH)).toBe(40);
    const long = 'x'.repeat(41);
    await expect(db.get(`SELECT '${long}' AS s`)).rejects.toMatchObject({ code: 'SQLITE_TOOBIG' });
    // better-sqlite3 reports a value too big to bind as its own RangeError, which the engine codes as a parameter error.
    await expect(db.get('SELECT ? AS s', [long])).rejects.toMatchObject({ code: ErrorCodes.PARAMETER_TYPE });
    // SQLite never lowers the length limit below 30.
    await db.limit(SqliteLimit.LENGTH, 1);
    expect(await db.limit(SqliteLimit.LENGTH)).toBe(30);
    expect(await db.get("SELECT 'short' AS s")).toEqual({ s: 'short' });
  });

  it('limits the number of parameters and attached databases', async () => {
    const db = await openTemp();
    await db.limit(SqliteLimit.VARIABLE_NUMBER, 2);
    expect(await db.get('SELECT ? + ? AS n', [1, 2])).toEqual({ n: 3 });
    await expect(db.get('SELECT ? + ? + ? AS n', [1, 2, 3])).rejects.toMatchObject({ code: 'SQLITE_ERROR' });
    // A statement prepared (and cached) under the old limit is prepared again under the new one.
    await db.limit(SqliteLimit.VARIABLE_NUMBER, 1);
    await expect(db.get('SELECT ? + ? AS n', [1, 2])).rejects.toMatchObject({ code: 'SQLITE_ERROR' });
    await db.limit(SqliteLimit.ATTACHED, 0);
    await expect(db.attach('aux', join(tempDir(), 'aux.db'))).rejects.toMatchObject({ code: 'SQLITE_ERROR' });
  });

  it('refuses an unknown id or a bad value', async () => {
    const db = await openTemp();
    await expect(db.limit(99, 1)).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
    await expect(db.limit(-1, 1)).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
    await expect(db.limit(SqliteLimit.LENGTH, 1.5)).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
    await expect(db.limit(SqliteLimit.LENGTH, -2)).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
  });
});

describe('a replaced worker', () => {
  it('keeps the change subscription and the limits; a loaded extension comes back too', async () => {
    const watch = new WorkerWatch();
    try {
      const db = await openTemp();
      await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
      const { changes, listener } = recorder();
      await db.onChange(listener);
      await db.limit(SqliteLimit.VARIABLE_NUMBER, 1);
      if (extension !== undefined) await db.loadExtension(extension);
      await db.run('INSERT INTO t VALUES (1)');
      await WorkerWatch.kill(watch.latest);
      // The next call starts a replacement worker, which opens the file with the same settings.
      await db.run('INSERT INTO t VALUES (2)');
      expect(changes.map((c) => c.rowid)).toEqual([1, 2]);
      await expect(db.get('SELECT ? + ? AS n', [1, 2])).rejects.toMatchObject({ code: 'SQLITE_ERROR' });
      if (extension !== undefined) expect(await db.get('SELECT half(8) AS h')).toEqual({ h: 4 });
      expect(watch.workers).toHaveLength(2);
    } finally {
      watch.stop();
    }
  });
});

describe('a worker that dies inside a transaction', () => {
  it('takes the change subscription down with it, and it starts again on the next worker', async () => {
    const watch = new WorkerWatch();
    try {
      const db = await openTemp();
      await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
      const { changes, listener } = recorder();
      await db.onChange(listener);
      await expect(
        db.transaction(async (tx) => {
          await tx.run('INSERT INTO t VALUES (1)');
          await WorkerWatch.kill(watch.latest);
          await tx.run('INSERT INTO t VALUES (2)');
        }),
      ).rejects.toMatchObject({ code: ErrorCodes.WORKER_DIED });
      await db.run('INSERT INTO t VALUES (3)');
      expect(changes.map((c) => c.rowid)).toEqual([1, 3]);
      expect(await db.all('SELECT id FROM t')).toEqual([{ id: 3 }]);
    } finally {
      watch.stop();
    }
  });
});

describe('without the native companion', () => {
  it('onChange() and limit() reject with ERR_RAPSQLITE_UNSUPPORTED instead of doing nothing', async () => {
    process.env['RAPSQLITE_NO_COMPANION'] = '1';
    try {
      const db = await openTemp();
      await expect(db.onChange(() => undefined)).rejects.toMatchObject({ code: ErrorCodes.UNSUPPORTED });
      await expect(db.limit(SqliteLimit.LENGTH, 10)).rejects.toMatchObject({ code: ErrorCodes.UNSUPPORTED });
      // The connection is unharmed.
      expect(await db.get('SELECT 1 AS one')).toEqual({ one: 1 });
    } finally {
      delete process.env['RAPSQLITE_NO_COMPANION'];
    }
  });
});

/** A tiny extension, compiled with gcc against the SQLite headers better-sqlite3 ships. */
function buildExtension(): string | undefined {
  const gcc = spawnSync('gcc', ['--version']);
  if (gcc.status !== 0) return undefined;
  // Not tempDir(): that folder goes after the first test, and the library serves the whole file.
  const dir = mkdtempSync(join(tmpdir(), 'rapsqlite-extension-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const source = join(dir, 'half.c');
  writeFileSync(
    source,
    `#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT1
static void half(sqlite3_context *ctx, int argc, sqlite3_value **argv) { sqlite3_result_double(ctx, sqlite3_value_double(argv[0]) / 2); }
#ifdef _WIN32
__declspec(dllexport)
#endif
int sqlite3_half_init(sqlite3 *db, char **err, const sqlite3_api_routines *api) {
  SQLITE_EXTENSION_INIT2(api);
  return sqlite3_create_function(db, "half", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, 0, half, 0, 0);
}
int other_entry(sqlite3 *db, char **err, const sqlite3_api_routines *api) { return sqlite3_half_init(db, err, api); }
`,
  );
  const headers = join(createRequire(import.meta.url).resolve('better-sqlite3/package.json'), '..', 'deps', 'sqlite3');
  const library = join(dir, 'half.so');
  const built = spawnSync('gcc', ['-shared', '-fPIC', '-O1', `-I${headers}`, '-o', library, source], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`gcc failed: ${built.stderr}`);
  return library;
}

const extension = buildExtension();

describe.skipIf(extension === undefined)('db.loadExtension (gcc is needed to build the test extension)', () => {
  it('loads an extension into the connection; its functions work at once', async () => {
    const db = await openTemp();
    await expect(db.get('SELECT half(3) AS h')).rejects.toMatchObject({ code: 'SQLITE_ERROR' });
    await db.loadExtension(extension as string);
    expect(await db.get('SELECT half(3) AS h')).toEqual({ h: 1.5 });
  });

  it('takes an entry point, and fails with ERR_RAPSQLITE_EXTENSION_LOAD for a missing library or entry point', async () => {
    const db = await openTemp();
    await db.loadExtension(extension as string, 'other_entry');
    expect(await db.get('SELECT half(1) AS h')).toEqual({ h: 0.5 });
    await expect(db.loadExtension(join(tempDir(), 'missing.so'))).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_EXTENSION_LOAD' });
    await expect(db.loadExtension(extension as string, 'no_such_entry')).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_EXTENSION_LOAD' });
    await expect(db.loadExtension('')).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
    // SQL still cannot load native code.
    await expect(db.get('SELECT load_extension(?)', [extension as string])).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_EXTENSION_DISABLED' });
  });
});

