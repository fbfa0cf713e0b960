import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { IMPLEMENTATIONS, call, closeDb, openDb, tempDir } from '../helpers.ts';

const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));

/** How a child process loads each implementation (ours through its built package, as an application would). */
const LOADERS: Readonly<Record<string, string>> = {
  sqlite3: "const sqlite3 = (await import('node:module')).createRequire(process.cwd() + '/')('sqlite3');",
  '@rapsqlite/sqlite3': "const { default: sqlite3 } = await import('@rapsqlite/sqlite3');",
};

/** The child's environment without FORCE_COLOR (set by some CI runners), so that console.log prints plain text. */
const CHILD_ENV = Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== 'FORCE_COLOR'));

function runChild(name: string, body: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const source = `${LOADERS[name]}\n${body}`;
  return new Promise((resolve) => {
    execFile(process.execPath, ['--input-type=module', '-e', source], { cwd: PACKAGE_DIR, timeout: 30_000, env: CHILD_ENV }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

describe.each(IMPLEMENTATIONS)('process behaviour: %s', (name, sqlite3) => {
  it('lets Node exit while an open Database is idle', async () => {
    const { code, stdout } = await runChild(name, "const db = new sqlite3.Database(':memory:', () => db.get('SELECT 1 AS one', (e, r) => console.log(JSON.stringify(r))));");
    expect(code).toBe(0);
    expect(stdout.trim()).toBe('{"one":1}');
  });

  it('keeps Node alive until a pending open and its queued query have called back', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, 'alive.db');
      const { code, stdout } = await runChild(
        name,
        `const db = new sqlite3.Database(${JSON.stringify(file)}, (err) => console.log('opened', err));
         db.all('SELECT 2 AS two', (err, rows) => console.log('rows', JSON.stringify(rows)));`,
      );
      expect(code).toBe(0);
      expect(stdout.trim().split('\n')).toEqual(['opened null', 'rows [{"two":2}]']);
    } finally {
      cleanup();
    }
  });

  it('turns a throw inside a callback into an uncaught exception', async () => {
    const { stdout } = await runChild(
      name,
      `process.on('uncaughtException', (err) => { console.log('uncaught', err.message); process.exit(0); });
       const db = new sqlite3.Database(':memory:', () => db.get('SELECT 1', () => { throw new Error('boom'); }));`,
    );
    expect(stdout.trim()).toBe('uncaught boom');
  });

  it('turns a failing call without callback into an uncaught error event', async () => {
    const { stdout } = await runChild(
      name,
      `process.on('uncaughtException', (err) => { console.log('uncaught', err.code, err.message); process.exit(0); });
       const db = new sqlite3.Database(':memory:');
       db.run('INSERT INTO missing VALUES (1)');`,
    );
    expect(stdout.trim()).toBe('uncaught SQLITE_ERROR SQLITE_ERROR: no such table: missing');
  });

  it('serves many Database objects at once, each its own connection', async () => {
    const dbs = await Promise.all([1, 2, 3].map(() => openDb(sqlite3)));
    await Promise.all(dbs.map((db, i) => call(db, 'exec', `CREATE TABLE t${i} (a)`)));
    const names = await Promise.all(dbs.map((db) => call<Array<{ name: string }>>(db, 'all', "SELECT name FROM sqlite_master WHERE type = 'table'")));
    expect(names.map((n) => n.value.map((r) => r.name))).toEqual([['t0'], ['t1'], ['t2']]);
    await Promise.all(dbs.map(closeDb));
  });
});
