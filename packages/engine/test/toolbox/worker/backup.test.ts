import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backupDatabase, type BackupProgress } from '../../../src/worker/tools/backup.ts';
import { digest, fill, integrity, openRaw, tempFile } from '../driver-helpers.ts';

async function rejection(promise: Promise<unknown>): Promise<{ code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { code?: string };
  }
  throw new Error('expected a rejection');
}

describe('backupDatabase (worker tool over better-sqlite3)', () => {
  it('copies the database step by step, reporting progress after every step, into a file that passes integrity_check', async () => {
    const source = openRaw(tempFile('source.db'));
    fill(source, 5000, 300);
    const destination = join(dirname(tempFile('x')), 'copy.db');
    const progress: BackupProgress[] = [];
    const result = await backupDatabase(source, { destination, pagesPerStep: 20 }, { onProgress: (p) => progress.push(p) });
    expect(result.remainingPages).toBe(0);
    expect(result.bytes).toBe(result.totalPages * 4096);
    expect(progress.length).toBe(result.steps);
    // One report per step of 20 pages, plus the first (zero-page) step that measures the database.
    expect(progress.length).toBeGreaterThanOrEqual(Math.ceil(result.totalPages / 20));
    expect(progress.at(-1)).toEqual({ totalPages: result.totalPages, remainingPages: 0 });
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.remainingPages).toBeLessThanOrEqual(progress[i - 1]!.remainingPages);
    expect(integrity(destination)).toBe('ok');
    const copy = openRaw(destination, { readonly: true });
    expect(digest(copy)).toBe(digest(source));
  });

  it('folds writes made through the same connection during the backup into the copy', async () => {
    const source = openRaw(tempFile('source.db'));
    fill(source, 3000, 500);
    const destination = tempFile('copy.db');
    let writes = 0;
    const insert = source.prepare('INSERT INTO items (label, payload) VALUES (?, randomblob(100))');
    const timer = setInterval(() => {
      insert.run(`during ${writes++}`);
    }, 0);
    let result;
    try {
      result = await backupDatabase(source, { destination, pagesPerStep: 5 });
    } finally {
      clearInterval(timer);
    }
    expect(result.steps).toBeGreaterThan(10);
    expect(writes).toBeGreaterThan(0);
    const copy = openRaw(destination, { readonly: true });
    // The copy is the source as of the backup's last step: every write that happened before it is there.
    const copied = Number(copy.prepare("SELECT count(*) FROM items WHERE label LIKE 'during %'").pluck().get());
    expect(copied).toBeGreaterThan(0);
    expect(copied).toBeLessThanOrEqual(writes);
    const rows = copy.prepare("SELECT label FROM items WHERE label LIKE 'during %' ORDER BY id").pluck().all();
    expect(rows).toEqual(Array.from({ length: copied }, (_, i) => `during ${i}`));
    expect(integrity(destination)).toBe('ok');
  });

  it('removes the partial file it created when aborted, and leaves the source untouched', async () => {
    const source = openRaw(tempFile('source.db'));
    fill(source, 3000, 500);
    const before = digest(source);
    const folder = join(dirname(tempFile('x')), 'out');
    mkdirSync(folder);
    const destination = join(folder, 'copy.db');
    let steps = 0;
    const err = await rejection(
      backupDatabase(source, { destination, pagesPerStep: 10 }, { onProgress: () => steps++, aborted: () => (steps >= 3 ? 'stop' : undefined) }),
    );
    expect(err.code).toBe('ERR_RAPSQLITE_ABORTED');
    expect(readdirSync(folder)).toEqual([]);
    expect(digest(source)).toBe(before);
    expect(String(source.pragma('integrity_check', { simple: true }))).toBe('ok');
  });

  it('keeps an existing destination as it was when the backup is aborted', async () => {
    const source = openRaw(tempFile('source.db'));
    fill(source, 3000, 500);
    const destination = tempFile('old.db');
    const old = openRaw(destination);
    old.exec("CREATE TABLE old (x); INSERT INTO old VALUES ('keep me')");
    old.close();
    const bytes = readFileSync(destination);
    let steps = 0;
    const err = await rejection(backupDatabase(source, { destination, pagesPerStep: 10 }, { onProgress: () => steps++, aborted: () => (steps >= 2 ? true : undefined) }));
    expect(err.code).toBe('ERR_RAPSQLITE_ABORTED');
    expect(readFileSync(destination).equals(bytes)).toBe(true);
    expect(readdirSync(dirname(destination)).sort()).toEqual(['old.db']);
  });

  it('refuses an abort signalled before the first step without creating anything', async () => {
    const source = openRaw(tempFile('source.db'));
    fill(source, 10);
    const destination = tempFile('copy.db');
    const err = await rejection(backupDatabase(source, { destination }, { aborted: () => 'early' }));
    expect(err.code).toBe('ERR_RAPSQLITE_ABORTED');
    expect(existsSync(destination)).toBe(false);
  });

  it('fails with coded errors for destinations it cannot use, touching nothing', async () => {
    const path = tempFile('source.db');
    const source = openRaw(path);
    fill(source, 100);
    const before = digest(source);
    const folder = dirname(path);
    expect((await rejection(backupDatabase(source, { destination: join(folder, 'missing', 'copy.db') }))).code).toBe('ERR_RAPSQLITE_BACKUP_DESTINATION');
    expect((await rejection(backupDatabase(source, { destination: path }))).code).toBe('ERR_RAPSQLITE_BACKUP_DESTINATION');
    expect((await rejection(backupDatabase(source, { destination: folder }))).code).toBe('ERR_RAPSQLITE_BACKUP_DESTINATION');
    const garbage = join(folder, 'notes.txt');
    writeFileSync(garbage, 'not a database, but somebody needs this file. '.repeat(100));
    const text = readFileSync(garbage);
    expect((await rejection(backupDatabase(source, { destination: garbage }))).code).toBe('SQLITE_NOTADB');
    expect(readFileSync(garbage).equals(text)).toBe(true);
    expect((await rejection(backupDatabase(source, { destination: '' }))).code).toBe('ERR_RAPSQLITE_INVALID_ARGUMENT');
    expect((await rejection(backupDatabase(source, { destination: ':memory:' }))).code).toBe('ERR_RAPSQLITE_INVALID_ARGUMENT');
    expect((await rejection(backupDatabase(source, { destination: join(folder, 'a.db'), pagesPerStep: 0 }))).code).toBe('ERR_RAPSQLITE_INVALID_ARGUMENT');
    expect((await rejection(backupDatabase(source, { destination: join(folder, 'a.db'), schema: 'nope' }))).code).toBe('ERR_RAPSQLITE_SCHEMA_NOT_FOUND');
    expect(digest(source)).toBe(before);
    expect(readdirSync(folder).sort()).toEqual(['notes.txt', 'source.db', 'source.db-shm', 'source.db-wal']);
  });

  it('backs up an attached schema on its own, in one step with pagesPerStep -1', async () => {
    const source = openRaw(tempFile('main.db'));
    const archivePath = tempFile('archive.db');
    source.prepare('ATTACH DATABASE ? AS archive').run(archivePath);
    source.exec("CREATE TABLE archive.old (x TEXT); INSERT INTO archive.old VALUES ('a'), ('b')");
    const destination = tempFile('archive-copy.db');
    const result = await backupDatabase(source, { destination, schema: 'archive', pagesPerStep: -1 });
    expect(result.steps).toBe(2);
    const copy = openRaw(destination, { readonly: true });
    expect(copy.prepare('SELECT x FROM old ORDER BY x').pluck().all()).toEqual(['a', 'b']);
  });
});
