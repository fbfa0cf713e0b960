import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createMigrator, MigrateErrorCodes } from '../src/index.ts';
import { later, openTemp, rejectsWithCode, tempDir, writeFiles } from './helpers.ts';

const CHILD = fileURLToPath(new URL('./processes/migrate-child.ts', import.meta.url));

interface Report {
  type: 'ready' | 'started' | 'done' | 'failed';
  pid?: number;
  name?: string;
  runs?: string[];
  waitedMs?: number;
  code?: string;
  events?: string[];
  goAt?: number;
  doneAt?: number;
}

function spawnChild(path: string, dir: string, lockTimeoutMs = 60_000): { child: ChildProcess; messages: Report[]; next: (type: Report['type']) => Promise<Report>; exited: Promise<number | null> } {
  // process.execPath is the Node running the tests; vitest's own flags are not for the child.
  const child = fork(CHILD, [path, dir, String(lockTimeoutMs)], { execPath: process.execPath, execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const messages: Report[] = [];
  const waiters: Array<{ type: Report['type']; resolve: (r: Report) => void }> = [];
  child.on('message', (message: Report) => {
    messages.push(message);
    for (const waiter of waiters.splice(0)) {
      if (waiter.type === message.type) waiter.resolve(message);
      else waiters.push(waiter);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  later(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const next = (type: Report['type']) =>
    new Promise<Report>((resolve, reject) => {
      const seen = messages.find((m) => m.type === type);
      if (seen !== undefined) return resolve(seen);
      waiters.push({ type, resolve });
      child.once('exit', (code) => reject(new Error(`child exited (${code}) before "${type}"`)));
    });
  return { child, messages, next, exited };
}

const SLOW = `export async function up(db) {
  await db.exec('CREATE TABLE slow (x)');
  // Holds the migration's transaction (and the lock) long enough for the others to arrive.
  await new Promise((resolve) => setTimeout(resolve, Number(process.env.SLOW_MS ?? 1000)));
}`;

const HANG = `export async function up(db) {
  await db.exec('CREATE TABLE hang (x)');
  // Never settles; the timer keeps the process alive (an idle IPC channel does not).
  await new Promise(() => setInterval(() => {}, 1000));
}`;

describe('several processes starting at once', () => {
  it('lets exactly one apply; the others wait for it and find nothing left to do', async () => {
    const dir = writeFiles(join(tempDir(), 'migrations'), {
      '1_a.sql': 'CREATE TABLE a (id INTEGER PRIMARY KEY);',
      '2_slow.mjs': SLOW,
      '3_c.sql': 'CREATE TABLE c (id INTEGER PRIMARY KEY); INSERT INTO c VALUES (1);',
    });
    const path = join(tempDir(), 'shared.db');
    const children = Array.from({ length: 4 }, () => spawnChild(path, dir));
    await Promise.all(children.map((c) => c.next('ready')));
    for (const c of children) c.child.send('go');
    const reports = await Promise.all(children.map((c) => c.next('done')));
    expect((await Promise.all(children.map((c) => c.exited)))).toEqual([0, 0, 0, 0]);

    const appliers = reports.filter((r) => r.runs!.length > 0);
    expect(appliers).toHaveLength(1);
    expect(appliers[0]!.runs).toEqual(['1_a', '2_slow', '3_c']);
    const waiters = reports.filter((r) => r.runs!.length === 0);
    expect(waiters).toHaveLength(3);
    for (const w of waiters) {
      // Each started while the applier was at work, and waited for it: on the lock row ('lock-wait'), or in
      // SQLite's busy handler while the applier's transaction held the write lock.
      expect(w.goAt!).toBeLessThan(appliers[0]!.doneAt!);
      expect(w.events!.filter((e) => e !== 'lock-wait')).toEqual(['lock-acquired', 'plan']);
      expect(w.waitedMs).toBeGreaterThan(0);
    }

    const db = await openTemp(undefined, path);
    expect(await db.all('SELECT name FROM rapsqlite_migrations ORDER BY rowid')).toEqual([{ name: '1_a' }, { name: '2_slow' }, { name: '3_c' }]);
    expect(await db.all('SELECT * FROM c')).toEqual([{ id: 1 }]);
    expect(await db.get('SELECT count(*) AS n FROM rapsqlite_migrations_lock')).toEqual({ n: 0 });
  });

  it('takes over the lock of a process that died while migrating; its migration left nothing', async () => {
    const dir = writeFiles(join(tempDir(), 'migrations'), { '1_a.sql': 'CREATE TABLE a (x);', '2_hang.mjs': HANG });
    const path = join(tempDir(), 'shared.db');
    const holder = spawnChild(path, dir);
    await holder.next('ready');
    holder.child.send('go');
    expect((await holder.next('started')).name).toBe('1_a');
    await new Promise<void>((resolve) => {
      const check = () => (holder.messages.some((m) => m.type === 'started' && m.name === '2_hang') ? resolve() : setTimeout(check, 10));
      check();
    });
    holder.child.kill('SIGKILL');
    await holder.exited;

    const db = await openTemp(undefined, path);
    expect(await db.get('SELECT pid FROM rapsqlite_migrations_lock')).toEqual({ pid: holder.child.pid });
    expect(await db.get("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'hang'")).toEqual({ n: 0 });
    const dirNoHang = writeFiles(join(tempDir(), 'fixed'), { '1_a.sql': 'CREATE TABLE a (x);', '2_hang.sql': 'CREATE TABLE hang (x);' });
    const result = await createMigrator(db, { dir: dirNoHang, lockTimeoutMs: 5000 }).up();
    expect(result.runs.map((r) => r.name)).toEqual(['2_hang']);
    expect(await db.all('SELECT name FROM rapsqlite_migrations ORDER BY rowid')).toEqual([{ name: '1_a' }, { name: '2_hang' }]);
  });

  it('gives up after lockTimeoutMs while a live process holds the lock, changing nothing', async () => {
    const dir = writeFiles(join(tempDir(), 'migrations'), { '1_hang.mjs': HANG });
    const path = join(tempDir(), 'shared.db');
    const holder = spawnChild(path, dir);
    await holder.next('ready');
    holder.child.send('go');
    await holder.next('started');

    const db = await openTemp({ busyTimeoutMs: 100 }, path);
    const other = writeFiles(join(tempDir(), 'other'), { '1_hang.sql': 'CREATE TABLE other (x);' });
    await rejectsWithCode(createMigrator(db, { dir: other, lockTimeoutMs: 400 }).up(), MigrateErrorCodes.LOCK_TIMEOUT);
    expect(holder.child.exitCode).toBeNull();
    expect(await db.get("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'other'")).toEqual({ n: 0 });
    holder.child.kill('SIGKILL');
    await holder.exited;
  });
});
