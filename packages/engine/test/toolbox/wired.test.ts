import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { open, restore, type Database } from '../../src/index.ts';
import { onCleanup, openTemp, tempDir } from '../helpers.ts';

const functions = new URL('../fixtures/functions.js', import.meta.url);

async function collect(chunks: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const chunk of chunks) text += chunk;
  return text;
}

async function seeded(rows = 20_000): Promise<Database> {
  const db = await openTemp();
  await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL); CREATE INDEX t_body ON t (body)');
  await db.runMany('INSERT INTO t (body) VALUES (?)', Array.from({ length: rows }, (_, i) => [`row ${i} ${'x'.repeat(200)}`]));
  return db;
}

describe('the toolbox through the handles (issue 13)', () => {
  it('backs up while the database keeps taking writes, reports progress, and the copy is consistent', async () => {
    const db = await seeded();
    const destination = join(tempDir(), 'copy.db');
    const progress: number[] = [];
    let writes = 0;
    let stop = false;
    const writer = (async () => {
      while (!stop) {
        await db.run('INSERT INTO t (body) VALUES (?)', ['during the backup']);
        writes++;
      }
    })();
    const result = await db.backup(destination, { pagesPerStep: 50, onProgress: (p) => progress.push(p.remainingPages) });
    stop = true;
    await writer;
    expect(result.destination).toBe(destination);
    expect(result.steps).toBeGreaterThan(1);
    expect(progress.at(-1)).toBe(0);
    const copy = await open(destination, { readonly: true });
    onCleanup(() => copy.close());
    expect(await copy.get('PRAGMA integrity_check')).toEqual({ integrity_check: 'ok' });
    const { n } = (await copy.get<{ n: number }>('SELECT count(*) AS n FROM t')) as { n: number };
    // A snapshot: the seeded rows, and some prefix of the writes made meanwhile.
    expect(n).toBeGreaterThanOrEqual(20_000);
    expect(n).toBeLessThanOrEqual(20_000 + writes);
    console.log(`[toolbox] backup of ${result.bytes} bytes in ${result.steps} steps while ${writes} writes landed; copy has ${n - 20_000} of them`);
  });

  it('removes the partial copy of an aborted backup and leaves the source untouched', async () => {
    const db = await seeded();
    const destination = join(tempDir(), 'aborted.db');
    const ac = new AbortController();
    const pending = db.backup(destination, { pagesPerStep: 1, signal: ac.signal, onProgress: () => ac.abort(new Error('enough')) });
    await expect(pending).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_ABORTED' });
    expect(existsSync(destination)).toBe(false);
    expect(await db.get('SELECT count(*) AS n FROM t')).toEqual({ n: 20_000 });
  });

  it('reports SQLITE_BUSY and copies nothing when another connection holds the destination locked', async () => {
    const db = await seeded(100);
    const destination = join(tempDir(), 'locked.db');
    const holder = await open(destination, { journalMode: 'delete' });
    await holder.exec("CREATE TABLE mine (x); INSERT INTO mine VALUES ('kept')");
    await holder.transaction(
      async (tx) => {
        await tx.run("INSERT INTO mine VALUES ('pending')");
        await expect(db.backup(destination)).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
      },
      { mode: 'exclusive' },
    );
    expect(await holder.all('SELECT x FROM mine')).toEqual([{ x: 'kept' }, { x: 'pending' }]);
    await holder.close();
    // Once the lock is gone the same backup goes through.
    expect((await db.backup(destination)).totalPages).toBeGreaterThan(0);
    const copy = await open(destination, { readonly: true });
    expect(await copy.get('SELECT count(*) AS n FROM t')).toEqual({ n: 100 });
    await copy.close();
  });

  it('refuses a backup destination that cannot be written, with a coded error', async () => {
    const db = await openTemp();
    await expect(db.backup(join(tempDir(), 'no', 'such', 'dir', 'x.db'))).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_BACKUP_DESTINATION' });
    await expect(db.backup(db.path)).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_BACKUP_DESTINATION' });
  });

  it('serializes a database and opens the bytes again, writable or read-only', async () => {
    const db = await seeded(100);
    const bytes = await db.serialize();
    expect(bytes.subarray(0, 15).toString()).toBe('SQLite format 3');
    const copy = await open(bytes);
    onCleanup(() => copy.close());
    expect(await copy.get('SELECT count(*) AS n FROM t')).toEqual({ n: 100 });
    await copy.run('INSERT INTO t (body) VALUES (?)', ['only in memory']);
    expect(await db.get('SELECT count(*) AS n FROM t')).toEqual({ n: 100 });
    const frozen = await open(bytes, { readonly: true });
    onCleanup(() => frozen.close());
    await expect(frozen.run('DELETE FROM t')).rejects.toMatchObject({ code: 'SQLITE_READONLY' });
    await expect(open(Buffer.from('not a database, at all, no'))).rejects.toMatchObject({ code: expect.stringMatching(/^(SQLITE_NOTADB|ERR_RAPSQLITE_DESERIALIZE)$/) });
  });

  it('dumps through db.dump(), restores into a new file, and dumps the same text again', async () => {
    const db = await openTemp();
    await db.exec(`
      CREATE TABLE author (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE);
      CREATE TABLE book (id INTEGER PRIMARY KEY, author INTEGER REFERENCES author(id), title TEXT, cover BLOB, price REAL);
      CREATE VIEW books_by AS SELECT a.name, b.title FROM book b JOIN author a ON a.id = b.author;
      CREATE TRIGGER stamp AFTER INSERT ON book BEGIN UPDATE book SET price = coalesce(price, 0) WHERE id = new.id; END;
    `);
    await db.run("INSERT INTO author (name) VALUES ('O''Brien\nline two')");
    await db.run('INSERT INTO book (author, title, cover, price) VALUES (1, ?, ?, ?)', ['zero\u0000byte', Buffer.from([0, 1, 254]), 0.1 + 0.2]);
    await db.run('INSERT INTO book (id, author, title) VALUES (?, 1, ?)', [2n ** 62n, 'big id']);
    const text = await collect(db.dump());
    const target = await openTemp();
    await restore(target, text);
    expect(await collect(target.dump())).toBe(text);
    expect(await target.get('PRAGMA integrity_check')).toEqual({ integrity_check: 'ok' });
    expect(await target.get('SELECT id FROM book WHERE title = ?', ['big id'], { integers: 'bigint' })).toEqual({ id: 2n ** 62n });
  });

  it('introspects the schema through db.schema, and explains a query with a verified index proposal', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, placed TEXT)');
    await db.runMany('INSERT INTO orders (customer, placed) VALUES (?, ?)', Array.from({ length: 2000 }, (_, i) => [`c${i % 50}`, `2026-11-${(i % 28) + 1}`]));
    await db.exec('ANALYZE');
    expect((await db.schema.tables()).map((t) => t.name)).toEqual(['orders']);
    expect((await db.schema.columns('orders')).map((c) => c.name)).toEqual(['id', 'customer', 'placed']);
    const plan = await db.explain('SELECT * FROM orders WHERE customer = ?', ['c7']);
    const scan = plan.findings.find((f) => f.kind === 'full-scan');
    expect(scan?.proposal?.sql).toMatch(/CREATE INDEX .* ON "?orders"? \("?customer"?\)/);
    expect(scan?.proposal?.verification?.status).toBe('improved');
    // Nothing ran against the data, and no index was created in it.
    expect(await db.all("SELECT name FROM sqlite_schema WHERE type = 'index'")).toEqual([]);
  });

  it('attaches databases by option and by db.attach(), on replacement workers too, and refuses a taken alias', async () => {
    const dir = tempDir();
    const archive = await open(join(dir, 'archive.db'));
    await archive.exec("CREATE TABLE old (v TEXT); INSERT INTO old VALUES ('archived')");
    await archive.close();
    const extra = await open(join(dir, 'extra.db'));
    await extra.exec("CREATE TABLE more (v TEXT); INSERT INTO more VALUES ('more')");
    await extra.close();
    const db = await open(join(dir, 'main.db'), { attach: { archive: join(dir, 'archive.db') } });
    onCleanup(() => db.close());
    await db.function('die', { module: functions, export: 'die' });
    await db.attach('extra', join(dir, 'extra.db'));
    expect(await db.get('SELECT (SELECT v FROM archive.old) AS a, (SELECT v FROM extra.more) AS b')).toEqual({ a: 'archived', b: 'more' });
    await db.get('SELECT die()').catch(() => undefined);
    expect(await db.get('SELECT (SELECT v FROM archive.old) AS a, (SELECT v FROM extra.more) AS b')).toEqual({ a: 'archived', b: 'more' });
    await expect(db.attach('extra', join(dir, 'extra.db'))).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_ATTACH_EXISTS' });
    await db.detach('extra');
    await expect(db.get('SELECT v FROM extra.more')).rejects.toMatchObject({ code: 'SQLITE_ERROR' });
    // A transaction writing to two attached files commits both.
    await db.transaction(async (tx) => {
      await tx.run("INSERT INTO archive.old VALUES ('in a transaction')");
      await tx.exec('CREATE TABLE IF NOT EXISTS main.here (v TEXT)');
      await tx.run("INSERT INTO here VALUES ('too')");
    });
    expect(await db.get('SELECT (SELECT count(*) FROM archive.old) AS a, (SELECT count(*) FROM here) AS b')).toEqual({ a: 2, b: 1 });
  });
});

describe('extensions through open()', () => {
  let library = '';
  let folder = '';
  beforeAll(() => {
    const include = join(dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')), 'deps', 'sqlite3');
    folder = mkdtempSync(join(tmpdir(), 'rapsqlite-ext-'));
    library = join(folder, 'half.so');
    execFileSync('cc', ['-shared', '-fPIC', '-O1', `-I${include}`, '-o', library, fileURLToPath(new URL('./fixtures/half.c', import.meta.url))]);
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('loads the extensions option on every worker, and refuses SQL load_extension()', async () => {
    const db = await openTemp({ extensions: [library] });
    await db.function('die', { module: functions, export: 'die' });
    expect(await db.get('SELECT half(9) AS h')).toEqual({ h: 4.5 });
    await db.get('SELECT die()').catch(() => undefined);
    expect(await db.get('SELECT half(3) AS h')).toEqual({ h: 1.5 });
    await expect(db.get('SELECT load_extension(?)', [library])).rejects.toMatchObject({ code: expect.stringMatching(/^(ERR_RAPSQLITE_EXTENSION_DISABLED|SQLITE_ERROR)$/) });
    await expect(openTemp({ extensions: [join(folder, 'missing.so')] })).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_EXTENSION_LOAD' });
  });
});

describe('encryption through open()', () => {
  it('writes no plaintext to disk, refuses a wrong key with a code, and rekeys', async () => {
    const path = join(tempDir(), 'secret.db');
    const db = await open(path, { key: 'correct horse battery staple' });
    await db.exec("CREATE TABLE s (v TEXT); INSERT INTO s VALUES ('the plaintext marker 4242')");
    await db.close();
    expect(readFileSync(path).includes('the plaintext marker 4242')).toBe(false);
    await expect(open(path, { key: 'wrong' })).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_ENCRYPTION_KEY' });
    const again = await open(path, { key: 'correct horse battery staple' });
    await again.rekey('a new key');
    await again.close();
    const rekeyed = await open(path, { key: 'a new key' });
    onCleanup(() => rekeyed.close());
    expect(await rekeyed.get('SELECT v FROM s')).toEqual({ v: 'the plaintext marker 4242' });
  });
});
