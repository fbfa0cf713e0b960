import { AsyncLocalStorage } from 'node:async_hooks';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { closeDb, openDb, ours as sqlite3 } from './helpers.ts';

// What this package promises beyond node-sqlite3 (which runs every callback outside the caller's async context).
describe('@rapsqlite/sqlite3 beyond node-sqlite3', () => {
  it('runs every callback in its caller’s async context, including calls queued before the open', async () => {
    const als = new AsyncLocalStorage<string>();
    const db = await new Promise<typeof sqlite3.Database.prototype & { seen: string | undefined }>((resolve) => {
      const opening = new sqlite3.Database(':memory:');
      als.run('queued', () => opening.get('SELECT 1', () => resolve(Object.assign(opening, { seen: als.getStore() }))));
    });
    expect(db.seen).toBe('queued');
    const seen = await Promise.all(
      ['a', 'b', 'c'].map((store) => new Promise((resolve) => als.run(store, () => db.all('SELECT 1', () => resolve(als.getStore()))))),
    );
    expect(seen).toEqual(['a', 'b', 'c']);
    // Results known at once (a range error, a reset) still keep their caller's context.
    const synthetic = await Promise.all([
      new Promise((resolve) => als.run('range', () => db.get('SELECT ?', [1, 2], () => resolve(als.getStore())))),
      new Promise((resolve) => als.run('plain', () => db.get('SELECT 1', () => resolve(als.getStore())))),
    ]);
    expect(synthetic).toEqual(['range', 'plain']);
    const rowStores: unknown[] = [];
    await new Promise<void>((resolve) => als.run('each', () => db.each('SELECT 1 UNION ALL SELECT 2', () => rowStores.push(als.getStore()), () => resolve())));
    expect(rowStores).toEqual(['each', 'each']);
    const stmt = db.prepare('SELECT ? AS v');
    const cursorStores = await Promise.all(
      ['s1', 's2'].map((store) => new Promise((resolve) => als.run(store, () => stmt.get(() => resolve(als.getStore()))))),
    );
    expect(cursorStores).toEqual(['s1', 's2']);
    const waitStore = await new Promise((resolve) => als.run('wait', () => db.wait(() => resolve(als.getStore()))));
    expect(waitStore).toBe('wait');
    await new Promise<void>((resolve) => stmt.finalize(() => resolve()));
    await closeDb(db);
  });

  it("plugs the 'change' event into the engine's update hook: on at the first listener, off at the last", async () => {
    // A child process, with the built package as an application loads it: it must exit by itself once the last
    // listener is gone (while one is attached the engine's subscription keeps Node alive, as node-sqlite3's does).
    const script = `
      const { default: sqlite3 } = await import('@rapsqlite/sqlite3');
      const db = new sqlite3.Database(':memory:');
      const seen = [];
      const listener = (...args) => seen.push(args);
      db.on('change', listener);
      db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, a); INSERT INTO t VALUES (9007199254740993, 1); UPDATE t SET a = 2', () => {
        db.removeListener('change', listener);
        db.run('DELETE FROM t', () => process.stdout.write(JSON.stringify(seen)));
      });`;
    const cwd = fileURLToPath(new URL('..', import.meta.url));
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--input-type=module', '-e', script], { cwd, timeout: 30_000 }, (error, out, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(out),
      ),
    );
    expect(JSON.parse(stdout)).toEqual([
      ['insert', 'main', 't', 9007199254740992],
      ['update', 'main', 't', 9007199254740992],
    ]);
  });

  it("fails 'change' and configure('limit') with ERR_RAPSQLITE_SQLITE3_UNSUPPORTED without the native companion, never silently", async () => {
    process.env['RAPSQLITE_NO_COMPANION'] = '1';
    try {
      const db = await openDb(sqlite3);
      const errors: Array<Error & { code?: string; errno?: number }> = [];
      db.on('error', (err: Error) => errors.push(err));
      db.on('change', () => undefined);
      db.configure('limit', sqlite3.LIMIT_LENGTH, 100);
      await new Promise((resolve) => db.wait(() => setTimeout(resolve, 50)));
      expect(errors.map((e) => [e.code, e.errno])).toEqual([
        ['ERR_RAPSQLITE_SQLITE3_UNSUPPORTED', 1],
        ['ERR_RAPSQLITE_SQLITE3_UNSUPPORTED', 1],
      ]);
      expect(errors.map((e) => (e.cause as { code?: string }).code)).toEqual(['ERR_RAPSQLITE_UNSUPPORTED', 'ERR_RAPSQLITE_UNSUPPORTED']);
      // The database itself works.
      expect(await new Promise((resolve) => db.get('SELECT 1 AS one', (_err: Error | null, row: unknown) => resolve(row)))).toEqual({ one: 1 });
      await closeDb(db);
    } finally {
      delete process.env['RAPSQLITE_NO_COMPANION'];
    }
  });
});
