import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { attachDatabase, detachDatabase, isAttached, replayAttachments } from '../../../src/worker/tools/attach.ts';
import { Driver, openRaw, tempFile } from '../driver-helpers.ts';

function caught(fn: () => unknown): { code?: string } {
  try {
    fn();
  } catch (err) {
    return err as { code?: string };
  }
  throw new Error('expected a throw');
}

const WRITABLE = { readonly: false, journalMode: 'wal', synchronous: 'full' } as const;

describe('ATTACH (worker tools over better-sqlite3)', () => {
  it('attaches a file with the main database settings, so a transaction can write to both', () => {
    const db = openRaw(tempFile('main.db'));
    db.pragma('journal_mode = wal');
    const archive = tempFile('archive.db');
    attachDatabase(db, { alias: 'archive', path: archive }, WRITABLE);
    expect(isAttached(db, 'ARCHIVE')).toBe(true);
    expect(db.pragma('archive.journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('archive.synchronous', { simple: true })).toBe(2);
    db.exec('CREATE TABLE main.orders (id INTEGER PRIMARY KEY); CREATE TABLE archive.orders (id INTEGER PRIMARY KEY)');
    const move = db.prepare('INSERT INTO archive.orders SELECT * FROM main.orders');
    db.exec('INSERT INTO main.orders VALUES (1), (2)');
    db.exec('BEGIN IMMEDIATE');
    move.run();
    db.exec('DELETE FROM main.orders');
    db.exec('COMMIT');
    expect(db.prepare('SELECT count(*) FROM archive.orders').pluck().get()).toBe(2);
    expect(db.prepare('SELECT count(*) FROM main.orders').pluck().get()).toBe(0);
    // A failure rolls back both files.
    db.exec('INSERT INTO main.orders VALUES (3)');
    db.exec('BEGIN IMMEDIATE');
    move.run();
    expect(caught(() => db.exec('INSERT INTO archive.orders VALUES (1)')).code).toBe('SQLITE_CONSTRAINT_PRIMARYKEY');
    db.exec('ROLLBACK');
    expect(db.prepare('SELECT count(*) FROM archive.orders').pluck().get()).toBe(2);
    expect(db.prepare('SELECT count(*) FROM main.orders').pluck().get()).toBe(1);
  });

  it('names with spaces, quotes and unicode work as aliases', () => {
    const db = openRaw(':memory:');
    const alias = 'my "ärchive" 档案';
    attachDatabase(db, { alias, path: tempFile('a b.db') }, WRITABLE);
    db.exec(`CREATE TABLE "my ""ärchive"" 档案".t (x); INSERT INTO "my ""ärchive"" 档案".t VALUES (1)`);
    expect(db.prepare(`SELECT x FROM "my ""ärchive"" 档案".t`).pluck().get()).toBe(1);
    detachDatabase(db, alias);
    expect(isAttached(db, alias)).toBe(false);
  });

  it('refuses an alias in use, main and temp; detaching an unknown alias fails with a code', () => {
    const db = openRaw(':memory:');
    attachDatabase(db, { alias: 'aux', path: tempFile('aux.db') }, WRITABLE);
    expect(caught(() => attachDatabase(db, { alias: 'AUX', path: tempFile('other.db') }, WRITABLE)).code).toBe('ERR_RAPSQLITE_ATTACH_EXISTS');
    expect(caught(() => attachDatabase(db, { alias: 'temp', path: tempFile('t.db') }, WRITABLE)).code).toBe('ERR_RAPSQLITE_ATTACH_EXISTS');
    expect(caught(() => attachDatabase(db, { alias: 'main', path: tempFile('m.db') }, WRITABLE)).code).toBe('ERR_RAPSQLITE_ATTACH_EXISTS');
    expect(caught(() => detachDatabase(db, 'nope')).code).toBe('ERR_RAPSQLITE_SCHEMA_NOT_FOUND');
    expect(caught(() => detachDatabase(db, 'main')).code).toBe('ERR_RAPSQLITE_INVALID_ARGUMENT');
  });

  it('cannot attach inside a transaction (SQLite refuses), and the connection stays usable', () => {
    const db = openRaw(':memory:');
    db.exec('BEGIN');
    expect(caught(() => attachDatabase(db, { alias: 'late', path: tempFile('late.db') }, WRITABLE)).code).toBe('SQLITE_ERROR');
    db.exec('ROLLBACK');
    expect(isAttached(db, 'late')).toBe(false);
  });

  it('replays attachments on a read-only connection (a pool reader): the files are read-only there, and must exist', () => {
    const writerPath = tempFile('main.db');
    const writer = openRaw(writerPath);
    writer.pragma('journal_mode = wal');
    const side = tempFile('side.db');
    const specs = [{ alias: 'side', path: side }];
    replayAttachments(writer, specs, WRITABLE);
    writer.exec("CREATE TABLE side.t (x); INSERT INTO side.t VALUES ('shared')");
    const reader = openRaw(writerPath, { readonly: true });
    replayAttachments(reader, specs, { readonly: true });
    expect(reader.prepare('SELECT x FROM side.t').pluck().get()).toBe('shared');
    expect(caught(() => reader.exec("INSERT INTO side.t VALUES ('no')")).code).toBe('SQLITE_READONLY');
    const missing = tempFile('never.db');
    expect(caught(() => replayAttachments(reader, [{ alias: 'never', path: missing }], { readonly: true })).code).toBe('SQLITE_CANTOPEN');
    expect(existsSync(missing)).toBe(false);
  });

  it('keeps a two-file transaction atomic across a killed process in rollback-journal mode', async () => {
    const main = tempFile('main.db');
    const aux = tempFile('aux.db');
    const script = fileURLToPath(new URL('../fixtures/two-file-writer.mjs', import.meta.url));
    for (let round = 0; round < 4; round++) {
      const child = fork(script, [main, aux, 'delete'], { stdio: 'ignore' });
      await new Promise<void>((resolve, reject) => {
        child.once('message', () => resolve());
        child.once('exit', (code) => reject(new Error(`writer exited early (${code})`)));
      });
      await new Promise((r) => setTimeout(r, 60 + round * 40));
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      // Reopening replays the hot journals: each names the super-journal, so both files roll back or neither does.
      const db = new Driver(main);
      try {
        db.prepare('ATTACH DATABASE ? AS aux').run(aux);
        const total = db.prepare('SELECT (SELECT n FROM main.counter) + (SELECT n FROM aux.counter)').pluck().get();
        expect(total).toBe(1000);
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        expect(db.pragma('aux.integrity_check', { simple: true })).toBe('ok');
      } finally {
        db.close();
      }
    }
    const db = openRaw(main, { readonly: true });
    db.prepare('ATTACH DATABASE ? AS aux').run(aux);
    expect(Number(db.prepare('SELECT n FROM aux.counter').pluck().get())).toBeGreaterThan(0);
  });
});
