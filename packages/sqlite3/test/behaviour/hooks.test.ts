import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { EventEmitter } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IMPLEMENTATIONS, call, closeDb, exec, openDb, tempDir, type Sqlite3 } from '../helpers.ts';

// The row-change event, configure('limit') and loadExtension(), each asserted against node-sqlite3 itself.

/**
 * A tiny SQLite extension, compiled with gcc against the SQLite headers better-sqlite3 ships (the same SQLite API
 * node-sqlite3 loads extensions with). undefined when gcc is absent: the loadExtension tests are then skipped, saying so.
 */
function buildExtension(): string | undefined {
  if (spawnSync('gcc', ['--version']).status !== 0) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'rapsqlite-sqlite3-ext-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const source = join(dir, 'half.c');
  writeFileSync(
    source,
    `#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT1
static void half(sqlite3_context *ctx, int argc, sqlite3_value **argv) { sqlite3_result_double(ctx, sqlite3_value_double(argv[0]) / 2); }
int sqlite3_half_init(sqlite3 *db, char **err, const sqlite3_api_routines *api) {
  SQLITE_EXTENSION_INIT2(api);
  return sqlite3_create_function(db, "half", 1, SQLITE_UTF8, 0, half, 0, 0);
}
`,
  );
  const engine = createRequire(import.meta.url).resolve('@rapsqlite/engine/package.json');
  const headers = join(createRequire(engine).resolve('better-sqlite3/package.json'), '..', 'deps', 'sqlite3');
  const library = join(dir, 'half.so');
  const built = spawnSync('gcc', ['-shared', '-fPIC', `-I${headers}`, '-o', library, source], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`gcc failed: ${built.stderr}`);
  return library;
}

const extension = buildExtension();

describe.each(IMPLEMENTATIONS)("the 'change' event: %s", (_name, sqlite3) => {
  let db: Sqlite3;
  let changes: unknown[][];
  const record = (...args: unknown[]): void => {
    changes.push(args);
  };
  beforeEach(async () => {
    db = await openDb(sqlite3);
    changes = [];
  });
  afterEach(() => closeDb(db));

  // node-sqlite3 reports changes from its own thread, in no fixed order with callbacks: look once everything settled.
  const settle = () => new Promise((resolve) => db.wait(() => setTimeout(resolve, 20)));

  it('reports (type, database, table, rowid) for each row inserted, updated and deleted', async () => {
    db.on('change', record);
    db.serialize(() => {
      db.run('CREATE TABLE t (id INTEGER PRIMARY KEY, a)');
      db.run('INSERT INTO t (a) VALUES (1), (2)');
      db.run('UPDATE t SET a = a * 10');
      db.run('DELETE FROM t WHERE id = 1');
    });
    await settle();
    expect(changes).toEqual([
      ['insert', 'main', 't', 1],
      ['insert', 'main', 't', 2],
      ['update', 'main', 't', 1],
      ['update', 'main', 't', 2],
      ['delete', 'main', 't', 1],
    ]);
  });

  it('reports rowids as numbers, rounded beyond 2^53 as node-sqlite3 does', async () => {
    db.on('change', record);
    await exec(db, 'CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (9007199254740993), (-9007199254740993)');
    await settle();
    expect(changes).toEqual([
      ['insert', 'main', 't', 9007199254740992],
      ['insert', 'main', 't', -9007199254740992],
    ]);
  });

  it('reports the changes of rolled-back transactions and failed statements as they happened', async () => {
    await exec(db, 'CREATE TABLE t (id INTEGER PRIMARY KEY, v UNIQUE); INSERT INTO t VALUES (1, 1)');
    db.on('change', record);
    db.serialize(() => {
      db.run('BEGIN');
      db.run('INSERT INTO t VALUES (2, 2)');
      db.run('SAVEPOINT s');
      db.run('DELETE FROM t WHERE id = 1');
      db.run('ROLLBACK TO s');
      db.run('ROLLBACK');
      db.run('INSERT INTO t VALUES (3, 3), (4, 1)', () => undefined);
    });
    await settle();
    expect(changes).toEqual([
      ['insert', 'main', 't', 2],
      ['delete', 'main', 't', 1],
      ['insert', 'main', 't', 3],
    ]);
    expect((await call(db, 'all', 'SELECT id FROM t')).value).toEqual([{ id: 1 }]);
  });

  it('names temp and attached schemas, and reports every statement of an exec script', async () => {
    db.on('change', record);
    await exec(
      db,
      `ATTACH ':memory:' AS aux; CREATE TABLE aux.z (q); CREATE TEMP TABLE tt (q); CREATE TABLE m (q);
       INSERT INTO aux.z VALUES (1); INSERT INTO tt VALUES (1); INSERT INTO m VALUES (1); UPDATE m SET q = 2`,
    );
    await settle();
    expect(changes).toEqual([
      ['insert', 'aux', 'z', 1],
      ['insert', 'temp', 'tt', 1],
      ['insert', 'main', 'm', 1],
      ['update', 'main', 'm', 1],
    ]);
  });

  it('is silent for WITHOUT ROWID tables, a DELETE without WHERE (SQLite’s truncate optimization) and a replaced row', async () => {
    db.on('change', record);
    await exec(
      db,
      `CREATE TABLE w (k PRIMARY KEY) WITHOUT ROWID; CREATE TABLE r (k); CREATE TABLE u (id INTEGER PRIMARY KEY, k UNIQUE);
       INSERT INTO w VALUES ('a'); INSERT INTO r VALUES ('a'); DELETE FROM r; INSERT INTO u VALUES (1, 'x'); INSERT OR REPLACE INTO u VALUES (2, 'x')`,
    );
    await settle();
    expect(changes).toEqual([
      ['insert', 'main', 'r', 1],
      ['insert', 'main', 'u', 1],
      ['insert', 'main', 'u', 2],
    ]);
  });

  it('stops when the last listener goes and starts again with a new one', async () => {
    await exec(db, 'CREATE TABLE t (a)');
    db.on('change', record);
    await call(db, 'run', 'INSERT INTO t VALUES (1)');
    await settle();
    db.removeListener('change', record);
    await call(db, 'run', 'INSERT INTO t VALUES (2)');
    await settle();
    db.on('change', record);
    await call(db, 'run', 'INSERT INTO t VALUES (3)');
    await settle();
    expect(changes.map((c) => c[3])).toEqual([1, 3]);
  });

  it("switches on with configure('change', true) and off with configure('change', false)", async () => {
    await exec(db, 'CREATE TABLE t (a)');
    // A listener added without the emitter override, so only configure() switches the hook.
    EventEmitter.prototype.on.call(db, 'change', record);
    db.configure('change', true);
    await call(db, 'run', 'INSERT INTO t VALUES (1)');
    await settle();
    db.configure('change', false);
    await call(db, 'run', 'INSERT INTO t VALUES (2)');
    await settle();
    expect(changes).toEqual([['insert', 'main', 't', 1]]);
  });

  it('takes a listener added before the database has opened', async () => {
    const early = new sqlite3.Database(':memory:');
    const seen: unknown[][] = [];
    early.on('change', (...args: unknown[]) => seen.push(args));
    await call(early, 'exec', 'CREATE TABLE t (a); INSERT INTO t VALUES (1)');
    await new Promise((resolve) => early.wait(() => setTimeout(resolve, 20)));
    expect(seen).toEqual([['insert', 'main', 't', 1]]);
    await closeDb(early);
  });
});

describe.each(IMPLEMENTATIONS)("configure('limit', id, value): %s", (_name, sqlite3) => {
  let db: Sqlite3;
  beforeEach(async () => {
    db = await openDb(sqlite3);
  });
  afterEach(() => closeDb(db));

  it('limits the length of strings and blobs, written or bound (SQLITE_TOOBIG), never below 30', async () => {
    const long = 'x'.repeat(41);
    db.configure('limit', sqlite3.LIMIT_LENGTH, 40);
    const literal = await call(db, 'get', `SELECT '${long}' AS s`);
    const bound = await call(db, 'get', 'SELECT ? AS s', long);
    const short = await call(db, 'get', 'SELECT ? AS s', 'x'.repeat(40));
    expect([literal.err?.message, literal.err?.code, literal.err?.errno]).toEqual(['SQLITE_TOOBIG: string or blob too big', 'SQLITE_TOOBIG', 18]);
    expect(bound.err?.message).toBe('SQLITE_TOOBIG: string or blob too big');
    expect(short.err).toBeNull();
    db.configure('limit', sqlite3.LIMIT_LENGTH, 1);
    expect((await call(db, 'get', `SELECT '${'x'.repeat(30)}' AS s`)).err).toBeNull();
    expect((await call(db, 'get', `SELECT '${'x'.repeat(31)}' AS s`)).err?.code).toBe('SQLITE_TOOBIG');
  });

  it('applies to the calls made after it, statements prepared before it included', async () => {
    const before = await call(db, 'get', 'SELECT ? + ? AS n', 1, 2);
    // node-sqlite3 in serialized mode never runs the calls queued behind a configure('limit'): call after a callback.
    db.configure('limit', sqlite3.LIMIT_VARIABLE_NUMBER, 1);
    const after = await call(db, 'get', 'SELECT ? + ? AS n', 1, 2);
    const one = await call(db, 'get', 'SELECT ? AS n', 1);
    expect([before.value, after.err?.message, one.value]).toEqual([{ n: 3 }, 'SQLITE_ERROR: too many SQL variables', { n: 1 }]);
  });

  it('limits attached databases', async () => {
    db.configure('limit', sqlite3.LIMIT_ATTACHED, 0);
    const { err } = await call(db, 'run', "ATTACH ':memory:' AS other");
    expect([err?.code, err?.message]).toEqual(['SQLITE_ERROR', 'SQLITE_ERROR: too many attached databases - max 0']);
  });

  it('ignores an unknown limit id and a negative value, and checks its arguments as node-sqlite3 does', async () => {
    db.configure('limit', 99, 1);
    db.configure('limit', sqlite3.LIMIT_VARIABLE_NUMBER, -5);
    expect((await call(db, 'get', 'SELECT ? + ? AS n', 1, 2)).value).toEqual({ n: 3 });
    expect(() => db.configure('limit', 'x', 1)).toThrow('limit id must be an integer');
    expect(() => db.configure('limit', sqlite3.LIMIT_LENGTH, '1')).toThrow('limit value must be an integer');
    expect(() => db.configure('limit', sqlite3.LIMIT_LENGTH)).toThrow('Expected 3arguments');
  });
});

describe.skipIf(extension === undefined).each(IMPLEMENTATIONS)('loadExtension (skipped only when gcc is absent to build the test extension): %s', (_name, sqlite3) => {
  let db: Sqlite3;
  beforeEach(async () => {
    db = await openDb(sqlite3);
  });
  afterEach(() => closeDb(db));

  it('loads the extension alone, calls back with null on the database, and its functions work for later calls', async () => {
    const order: unknown[] = [];
    db.serialize(() => {
      db.get('SELECT 1 AS before', (err: Error | null, row: unknown) => order.push(err ?? row));
      db.loadExtension(extension, function (this: unknown, err: Error | null) {
        order.push(['loaded', err, this === db]);
      });
      db.get('SELECT half(3) AS h', (err: Error | null, row: unknown) => order.push(err ?? row));
    });
    await new Promise((resolve) => db.wait(resolve));
    expect(order).toEqual([{ before: 1 }, ['loaded', null, true], { h: 1.5 }]);
  });

  it('fails with SQLITE_ERROR and SQLite’s message, through the callback or the error event', async () => {
    const missing = join(tempDir().dir, 'missing.so');
    const { err, self } = await call(db, 'loadExtension', missing);
    expect(self).toBe(db);
    expect([err?.message, err?.code, err?.errno, Object.keys(err ?? {})]).toEqual([
      `SQLITE_ERROR: ${missing}.so: cannot open shared object file: No such file or directory`,
      'SQLITE_ERROR',
      1,
      ['errno', 'code'],
    ]);
    const emitted = await new Promise<Error>((resolve) => {
      db.once('error', resolve);
      db.loadExtension(missing);
    });
    expect(emitted.message).toBe(err?.message);
  });

  it('does not let SQL load an extension', async () => {
    const { err } = await call(db, 'get', 'SELECT load_extension(?)', extension);
    expect([err?.code, err?.message]).toEqual(['SQLITE_ERROR', 'SQLITE_ERROR: not authorized']);
  });
});

const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));
const LOADERS: Readonly<Record<string, string>> = {
  sqlite3: "const sqlite3 = (await import('node:module')).createRequire(process.cwd() + '/')('sqlite3');",
  '@rapsqlite/sqlite3': "const { default: sqlite3 } = await import('@rapsqlite/sqlite3');",
};

/** The child's environment without FORCE_COLOR (set by some CI runners), so that console.log prints plain text. */
const CHILD_ENV = Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== 'FORCE_COLOR'));

describe.each(IMPLEMENTATIONS)("the 'change' event and the process: %s", (name) => {
  it('keeps Node alive while a listener is attached, and lets it exit once the listener is removed', async () => {
    const run = (body: string) =>
      new Promise<{ code: number | null; stdout: string }>((resolve) =>
        execFile(process.execPath, ['--input-type=module', '-e', `${LOADERS[name]}\n${body}`], { cwd: PACKAGE_DIR, timeout: 30_000, env: CHILD_ENV }, (error, stdout) =>
          resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout }),
        ),
      );
    // An unreferenced timer fires only while something else keeps the process running.
    const listening = (remove: boolean) => `const db = new sqlite3.Database(':memory:'); const f = () => {}; db.on('change', f);
      ${remove ? "db.removeListener('change', f);" : ''}
      db.run('CREATE TABLE t (a)', () => {
        console.log('ran');
        setTimeout(() => { console.log('still running'); process.exit(0); }, 1000).unref();
      });`;
    const [kept, released] = await Promise.all([run(listening(false)), run(listening(true))]);
    expect(kept).toEqual({ code: 0, stdout: 'ran\nstill running\n' });
    expect(released).toEqual({ code: 0, stdout: 'ran\n' });
  });
});
