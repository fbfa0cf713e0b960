import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { open, type Database } from '../../src/index.ts';
import { rejection } from '../toolbox2/helpers.ts';

// The recipes of docs/sqlite-features.md, run through the engine's own handle (adapters and converters on) on one database file.
let folder: string;
let db: Database;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'rapsqlite-recipes-'));
  db = await open(join(folder, 'features.db'), { adapters: true, converters: true });
});

afterAll(async () => {
  await db.close();
  rmSync(folder, { recursive: true, force: true });
});

describe('SQLite features through rapsqlite', () => {
  it('FTS5: create, match, highlight, snippet and bm25 ranking', async () => {
    await db.exec(`CREATE VIRTUAL TABLE docs USING fts5(title, body, tokenize = 'porter unicode61')`);
    await db.runMany('INSERT INTO docs (title, body) VALUES (?, ?)', [
      ['Async SQLite', 'Running SQLite queries in worker threads keeps the event loop free.'],
      ['Indexes', 'An index turns a full scan into a search. Queries with an index run faster.'],
      ['Cooking', 'Slow-cooked beans need no index at all.'],
    ]);
    const hits = await db.all<{ title: string; marked: string; excerpt: string; score: number }>(
      `SELECT title, highlight(docs, 0, '[', ']') AS marked, snippet(docs, 1, '<b>', '</b>', '…', 6) AS excerpt, bm25(docs) AS score
       FROM docs WHERE docs MATCH ? ORDER BY bm25(docs)`,
      ['query OR index'],
    );
    // bm25 is lower for better matches: two hits in a long text, then one hit in a short text, then one in a long one.
    expect(hits.map((h) => h.title)).toEqual(['Indexes', 'Cooking', 'Async SQLite']);
    expect(hits[0]!.excerpt).toContain('<b>index</b>');
    expect(hits.every((h, i) => i === 0 || h.score >= hits[i - 1]!.score)).toBe(true);
    expect(await db.all("SELECT highlight(docs, 0, '[', ']') AS t FROM docs WHERE docs MATCH 'title:sqlite'", [], { pluck: true })).toEqual(['Async [SQLite]']);
    // Porter stemming: "running" finds "run".
    expect(await db.all("SELECT title FROM docs WHERE docs MATCH 'run' ORDER BY rowid", [], { pluck: true })).toEqual(['Async SQLite', 'Indexes']);
    expect(await rejection(db.all('SELECT * FROM docs WHERE docs MATCH ?', ['"unterminated']))).toMatchObject({ code: 'SQLITE_ERROR' });
  });

  it('JSON1: json_extract, -> and ->>, json_each joins, and JSON columns read as values', async () => {
    await db.exec(`CREATE TABLE orders (id INTEGER PRIMARY KEY, doc JSON NOT NULL)`);
    await db.runMany('INSERT INTO orders (doc) VALUES (?)', [
      [JSON.stringify({ customer: { name: 'Ada' }, items: [{ sku: 'A1', qty: 2 }, { sku: 'B2', qty: 1 }] })],
      [JSON.stringify({ customer: { name: 'Grace' }, items: [{ sku: 'A1', qty: 5 }] })],
    ]);
    expect(await db.all("SELECT json_extract(doc, '$.customer.name') AS name, doc -> '$.customer' AS customer, doc ->> '$.items[0].sku' AS first FROM orders ORDER BY id")).toEqual([
      { name: 'Ada', customer: '{"name":"Ada"}', first: 'A1' },
      { name: 'Grace', customer: '{"name":"Grace"}', first: 'A1' },
    ]);
    const perSku = await db.all(
      `SELECT item.value ->> 'sku' AS sku, sum(item.value ->> 'qty') AS qty
       FROM orders, json_each(orders.doc, '$.items') AS item GROUP BY sku ORDER BY sku`,
    );
    expect(perSku).toEqual([{ sku: 'A1', qty: 7 }, { sku: 'B2', qty: 1 }]);
    // The JSON converter parses the declared JSON column; json_group_array() is an expression: name it per call.
    expect((await db.get<{ doc: { customer: { name: string } } }>('SELECT doc FROM orders WHERE id = 1'))!.doc.customer.name).toBe('Ada');
    expect(await db.scalar("SELECT json_group_array(doc ->> '$.customer.name') AS names FROM orders", [], { converters: { columns: { names: 'json' } } })).toEqual(['Ada', 'Grace']);
    expect(await db.all("SELECT id FROM orders WHERE doc ->> '$.customer.name' IN (?)", [['Grace', 'Linus']], { pluck: true })).toEqual([2]);
  });

  it('window functions: row_number, running totals, lag and ranking per partition', async () => {
    await db.exec(`CREATE TABLE sales (region TEXT, month INTEGER, amount INTEGER);
      INSERT INTO sales VALUES ('north', 1, 10), ('north', 2, 30), ('north', 3, 20), ('south', 1, 50), ('south', 2, 40);`);
    const rows = await db.all(
      `SELECT region, month, amount,
         row_number() OVER w AS n,
         sum(amount) OVER (w ROWS UNBOUNDED PRECEDING) AS running,
         lag(amount) OVER w AS previous,
         rank() OVER (PARTITION BY region ORDER BY amount DESC) AS place
       FROM sales WINDOW w AS (PARTITION BY region ORDER BY month) ORDER BY region, month`,
      [],
      { rowMode: 'array' },
    );
    expect(rows).toEqual([
      ['north', 1, 10, 1, 10, null, 3],
      ['north', 2, 30, 2, 40, 10, 1],
      ['north', 3, 20, 3, 60, 30, 2],
      ['south', 1, 50, 1, 50, null, 1],
      ['south', 2, 40, 2, 90, 50, 2],
    ]);
  });

  it('recursive CTEs: walking a tree with depth and path', async () => {
    await db.exec(`CREATE TABLE staff (id INTEGER PRIMARY KEY, name TEXT, boss INTEGER REFERENCES staff(id));
      INSERT INTO staff VALUES (1, 'Ada', NULL), (2, 'Grace', 1), (3, 'Linus', 1), (4, 'Ken', 2), (5, 'Barbara', 4);`);
    const tree = await db.all(
      `WITH RECURSIVE chain(id, name, depth, path) AS (
         SELECT id, name, 0, name FROM staff WHERE boss IS NULL
         UNION ALL
         SELECT s.id, s.name, c.depth + 1, c.path || ' > ' || s.name FROM staff s JOIN chain c ON s.boss = c.id
       ) SELECT depth, path FROM chain ORDER BY path`,
    );
    expect(tree).toEqual([
      { depth: 0, path: 'Ada' },
      { depth: 1, path: 'Ada > Grace' },
      { depth: 2, path: 'Ada > Grace > Ken' },
      { depth: 3, path: 'Ada > Grace > Ken > Barbara' },
      { depth: 1, path: 'Ada > Linus' },
    ]);
  });

  it('UPSERT with RETURNING: insert or update in one statement, and read what it wrote', async () => {
    await db.exec('CREATE TABLE counters (name TEXT PRIMARY KEY, hits INTEGER NOT NULL, updated DATETIME)');
    const upsert = `INSERT INTO counters (name, hits, updated) VALUES (?, 1, ?)
      ON CONFLICT (name) DO UPDATE SET hits = hits + 1, updated = excluded.updated RETURNING name, hits, updated`;
    const t1 = new Date('2026-01-01T00:00:00Z');
    const t2 = new Date('2026-01-02T00:00:00Z');
    expect(await db.get(upsert, ['home', t1])).toEqual({ name: 'home', hits: 1, updated: t1 });
    expect(await db.get(upsert, ['home', t2])).toEqual({ name: 'home', hits: 2, updated: t2 });
    expect(await db.all('INSERT INTO counters (name, hits) VALUES (?, 0), (?, 0) ON CONFLICT DO NOTHING RETURNING name', ['home', 'about'], { pluck: true })).toEqual(['about']);
    // insert() refuses an upsert: its last rowid would name an earlier row. RETURNING says which row it was.
    expect(await rejection(db.insert(upsert, ['home', t2]))).toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
  });

  it('generated columns: virtual and stored, indexed, and refused as targets', async () => {
    await db.exec(`CREATE TABLE people (id INTEGER PRIMARY KEY, first TEXT, last TEXT,
        full TEXT GENERATED ALWAYS AS (first || ' ' || last) VIRTUAL,
        initials TEXT GENERATED ALWAYS AS (substr(first, 1, 1) || substr(last, 1, 1)) STORED);
      CREATE INDEX people_full ON people (full);`);
    await db.run('INSERT INTO people (first, last) VALUES (?, ?)', ['Ada', 'Lovelace']);
    expect(await db.get('SELECT full, initials FROM people')).toEqual({ full: 'Ada Lovelace', initials: 'AL' });
    const plan = await db.all<{ detail: string }>('EXPLAIN QUERY PLAN SELECT id FROM people WHERE full = ?', ['Ada Lovelace']);
    expect(plan.map((p) => p.detail)).toEqual(['SEARCH people USING INDEX people_full (full=?)']);
    expect(await rejection(db.run("INSERT INTO people (first, last, full) VALUES ('a', 'b', 'c')"))).toMatchObject({ code: 'SQLITE_ERROR' });
  });

  it('STRICT tables: types enforced with a coded error, ANY kept as given', async () => {
    await db.exec('CREATE TABLE measures (id INTEGER PRIMARY KEY, value REAL NOT NULL, label TEXT, extra ANY) STRICT');
    await db.run('INSERT INTO measures (value, label, extra) VALUES (?, ?, ?)', [1, 'one', '001']);
    expect(await db.get('SELECT value, typeof(value) AS t, extra, typeof(extra) AS te FROM measures')).toEqual({ value: 1, t: 'real', extra: '001', te: 'text' });
    const error = await rejection(db.run('INSERT INTO measures (value, label) VALUES (?, ?)', ['not a number', 'x']));
    expect(error).toMatchObject({ code: 'SQLITE_CONSTRAINT_DATATYPE' });
    expect(await db.scalar('SELECT count(*) FROM measures')).toBe(1);
    expect(await rejection(db.exec('CREATE TABLE bad (d DATETIME) STRICT'))).toMatchObject({ code: 'SQLITE_ERROR' });
  });
});
