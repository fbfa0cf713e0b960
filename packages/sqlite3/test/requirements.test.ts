import { AsyncLocalStorage } from 'node:async_hooks';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { closeDb, ours as sqlite3 } from './helpers.ts';

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

  it("plugs the 'change' event into an engine update hook as soon as the engine has one (its API simulated here)", async () => {
    // The engine does not have `onUpdate` yet: this child process gives its Database class one with the requested
    // contract, and checks that the package subscribes, forwards node-sqlite3's arguments, and unsubscribes.
    const script = `
      import { Database as EngineDatabase } from '@rapsqlite/engine';
      const listeners = new Set();
      EngineDatabase.prototype.onUpdate = function (listener) { listeners.add(listener); return () => listeners.delete(listener); };
      const { default: sqlite3 } = await import('@rapsqlite/sqlite3');
      const db = new sqlite3.Database(':memory:');
      const seen = [];
      db.on('change', (...args) => seen.push(args));
      db.on('open', () => {
        for (const listener of listeners) listener({ type: 'update', database: 'main', table: 't', rowid: 7n });
        db.removeAllListeners('change');
        db.close(() => process.stdout.write(JSON.stringify({ seen, after: listeners.size })));
      });`;
    const cwd = fileURLToPath(new URL('..', import.meta.url));
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--input-type=module', '-e', script], { cwd, timeout: 30_000 }, (error, out, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(out),
      ),
    );
    expect(JSON.parse(stdout)).toEqual({ seen: [['update', 'main', 't', 7]], after: 0 });
  });
});
