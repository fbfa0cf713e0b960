import { createReadStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { open, type Database } from '../../src/index.ts';
import { dump } from '../../src/toolbox/dump.ts';
import { restore } from '../../src/toolbox/restore.ts';
import { onCleanup, openTemp, tempDir } from '../helpers.ts';

async function text(iterable: AsyncIterable<string>): Promise<string> {
  let out = '';
  for await (const chunk of iterable) out += chunk;
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<{ code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { code?: string };
  }
  throw new Error('expected a rejection');
}

async function fresh(): Promise<Database> {
  const db = await open(join(tempDir(), 'copy.db'));
  onCleanup(() => db.close());
  return db;
}

const VALUES: unknown[] = [
  9007199254740993n,
  -9223372036854775808n,
  9223372036854775807n,
  0.1 + 0.2,
  1e308,
  5e-324,
  Infinity,
  -Infinity,
  1.0,
  "it's \"quoted\"\nwith a newline",
  'nul\u0000inside',
  '😀 ünïcödé',
  '',
  Buffer.from([0, 1, 2, 255]),
  Buffer.alloc(0),
  null,
];

/** A schema that exercises every part of the dump. */
async function build(db: Database): Promise<void> {
  await db.exec(`
    CREATE TABLE lines (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES orders(id), sku TEXT);
    CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, customer TEXT NOT NULL, total REAL, placed TEXT DEFAULT CURRENT_TIMESTAMP);
    CREATE TABLE "my ""odd"" table" ("a column" TEXT, "数据" BLOB, rowid_like INTEGER);
    CREATE TABLE kv (k TEXT PRIMARY KEY, v ANY) WITHOUT ROWID;
    CREATE TABLE gen (a INTEGER, b INTEGER GENERATED ALWAYS AS (a * 2) VIRTUAL, c TEXT GENERATED ALWAYS AS (a || '!') STORED);
    CREATE TABLE anything (v);
    CREATE TABLE strict_t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL) STRICT;
    CREATE TABLE desc_key (x INTEGER PRIMARY KEY DESC, y TEXT);
    CREATE INDEX lines_order ON lines (order_id);
    CREATE UNIQUE INDEX orders_customer ON orders (customer) WHERE total > 0;
    CREATE INDEX orders_lower ON orders (lower(customer));
    CREATE VIRTUAL TABLE docs USING fts5(title, body);
    CREATE TABLE articles (id INTEGER PRIMARY KEY, body TEXT);
    CREATE VIRTUAL TABLE articles_fts USING fts5(body, content='articles', content_rowid='id');
    CREATE VIRTUAL TABLE boxes USING rtree(id, minX, maxX, minY, maxY);
    CREATE VIEW base AS SELECT 1 AS x;
    CREATE VIEW top AS SELECT x FROM base;
    DROP VIEW base;
    CREATE VIEW base AS SELECT id AS x FROM orders;
    CREATE TRIGGER orders_audit AFTER INSERT ON orders BEGIN UPDATE orders SET total = coalesce(new.total, 0) WHERE id = new.id; END;
  `);
  await db.runMany('INSERT INTO orders (customer, total) VALUES (?, ?)', [['ada', 10.5], ['grace', 0.1], ['linus', 7]]);
  await db.run("DELETE FROM orders WHERE customer = 'linus'");
  await db.runMany('INSERT INTO lines (order_id, sku) VALUES (?, ?)', [[1, 'a'], [2, 'b;c'], [1, "it's"]]);
  await db.runMany('INSERT INTO "my ""odd"" table" VALUES (?, ?, ?)', [['x', Buffer.from('blob'), 1], ['y', null, 2], ['z', null, 3]]);
  // A rowid table without INTEGER PRIMARY KEY: gaps in its rowids must survive.
  await db.run('DELETE FROM "my ""odd"" table" WHERE "a column" = ?', ['y']);
  await db.runMany('INSERT INTO anything (v) VALUES (?)', VALUES.map((v) => [v as never]));
  await db.runMany('INSERT INTO kv VALUES (?, ?)', [['b', 2], ['a', 'one']]);
  await db.runMany('INSERT INTO gen (a) VALUES (?)', [[1], [2]]);
  await db.runMany('INSERT INTO strict_t (n) VALUES (?)', [[1], [2]]);
  await db.runMany('INSERT INTO desc_key VALUES (?, ?)', [[30, 'a'], [10, 'b']]);
  await db.runMany('INSERT INTO docs (rowid, title, body) VALUES (?, ?, ?)', [[5, 'SQLite', 'the dump format'], [9, 'Node', 'asynchronous SQLite']]);
  await db.runMany('INSERT INTO articles (id, body) VALUES (?, ?)', [[1, 'external content text'], [4, 'another article']]);
  await db.exec("INSERT INTO articles_fts(articles_fts) VALUES('rebuild')");
  await db.runMany('INSERT INTO boxes VALUES (?, ?, ?, ?, ?)', [[1, 0, 1, 0, 1], [7, 2, 5, 3, 4]]);
  await db.exec('ANALYZE');
}

describe('dump and restore', () => {
  it('round-trips a rich database: the restored copy dumps to the same text and passes integrity_check', async () => {
    const db = await openTemp();
    await build(db);
    const first = await text(dump(db));
    expect(first.startsWith('PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n')).toBe(true);
    expect(first.endsWith('COMMIT;\n')).toBe(true);
    // Parents before children, whatever the creation order.
    expect(first.indexOf('CREATE TABLE orders')).toBeLessThan(first.indexOf('CREATE TABLE lines'));
    // Every table before any row.
    expect(first.lastIndexOf('CREATE TABLE')).toBeLessThan(first.indexOf('INSERT INTO'));
    // A view after the view it reads, although it was created later.
    expect(first.indexOf('CREATE VIEW base')).toBeLessThan(first.indexOf('CREATE VIEW top'));
    // Shadow tables are rebuilt by their virtual table, never dumped themselves.
    expect(first).not.toMatch(/CREATE TABLE '?docs_data|INSERT INTO "docs_data"/);
    expect(first).toContain(`INSERT INTO "articles_fts"("articles_fts") VALUES('rebuild');`);
    expect(first).toContain("INSERT INTO sqlite_sequence VALUES('orders',3);");
    expect(first).toContain('ANALYZE sqlite_schema;');

    const copy = await fresh();
    const result = await restore(copy, dump(db));
    expect(result.statements).toBeGreaterThan(20);
    expect(await text(dump(copy))).toBe(first);
    expect(await copy.get('PRAGMA integrity_check')).toEqual({ integrity_check: 'ok' });
    expect(await copy.get('PRAGMA foreign_key_check')).toBeUndefined();
    // foreign_keys is back on for the connection after the restore.
    expect(await copy.get('PRAGMA foreign_keys')).toEqual({ foreign_keys: 1 });

    const values = await copy.all<{ v: unknown }>('SELECT v FROM anything ORDER BY rowid', undefined, { integers: 'bigint' });
    expect(values.map((r) => r.v)).toEqual(VALUES);
    const types = await copy.all<{ t: string }>('SELECT typeof(v) AS t FROM anything ORDER BY rowid');
    expect(types.map((r) => r.t)).toEqual(['integer', 'integer', 'integer', 'real', 'real', 'real', 'real', 'real', 'real', 'text', 'text', 'text', 'text', 'blob', 'blob', 'null']);
    expect(await copy.all('SELECT rowid, "a column" FROM "my ""odd"" table" ORDER BY rowid')).toEqual([
      { rowid: 1, 'a column': 'x' },
      { rowid: 3, 'a column': 'z' },
    ]);
    expect(await copy.all('SELECT x, y FROM desc_key ORDER BY rowid')).toEqual(await db.all('SELECT x, y FROM desc_key ORDER BY rowid'));
    expect(await copy.all('SELECT a, b, c FROM gen')).toEqual([{ a: 1, b: 2, c: '1!' }, { a: 2, b: 4, c: '2!' }]);
    expect(await copy.all("SELECT rowid, title FROM docs WHERE docs MATCH 'asynchronous'")).toEqual([{ rowid: 9, title: 'Node' }]);
    expect(await copy.all("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'external'")).toEqual([{ rowid: 1 }]);
    expect(await copy.all('SELECT id FROM boxes WHERE minX >= 2')).toEqual([{ id: 7 }]);
    expect(await copy.all('SELECT x FROM top ORDER BY x')).toEqual([{ x: 1 }, { x: 2 }]);
    // The trigger exists but did not fire during the restore (it comes after the rows).
    await copy.run("INSERT INTO orders (customer) VALUES ('new')");
    expect(await copy.get("SELECT id, total FROM orders WHERE customer = 'new'")).toEqual({ id: 4, total: 0 });
  });

  it('dumps only the named tables with their indexes and triggers, or only the schema, or only the rows', async () => {
    const db = await openTemp();
    await build(db);
    const orders = await text(dump(db, { tables: ['ORDERS'] }));
    expect(orders).toContain('CREATE TABLE orders');
    expect(orders).toContain('CREATE INDEX orders_lower');
    expect(orders).toContain('CREATE TRIGGER orders_audit');
    expect(orders).not.toContain('CREATE TABLE lines');
    expect(orders).toContain("DELETE FROM sqlite_sequence WHERE name IN ('orders');");

    const schemaOnly = await text(dump(db, { schemaOnly: true }));
    expect(schemaOnly).not.toContain('INSERT INTO');
    expect(schemaOnly).toContain('CREATE VIEW top');
    const dataOnly = await text(dump(db, { dataOnly: true }));
    expect(dataOnly).not.toContain('CREATE ');
    expect(dataOnly).toContain('INSERT INTO "lines" VALUES(');

    const copy = await fresh();
    await restore(copy, schemaOnly);
    await restore(copy, dataOnly);
    expect(await text(dump(copy))).toBe(await text(dump(db)));
  });

  it('fails before any chunk with coded errors for an unknown table or schema and bad options', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE t (x)');
    expect((await rejection(text(dump(db, { tables: ['missing'] })))).code).toBe('ERR_RAPSQLITE_SCHEMA_NOT_FOUND');
    expect((await rejection(text(dump(db, { schema: 'nope' })))).code).toBe('ERR_RAPSQLITE_SCHEMA_NOT_FOUND');
    expect(() => dump(db, { schemaOnly: true, dataOnly: true })).toThrow(expect.objectContaining({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' }));
    expect(() => dump(db, { tables: 'x' as never })).toThrow(expect.objectContaining({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' }));
    // The connection is free again.
    expect(await db.get('SELECT count(*) AS n FROM t')).toEqual({ n: 0 });
  });

  it('streams a large table in many chunks, reads one snapshot, and frees the connection when left early', async () => {
    const db = await openTemp();
    await db.exec(`CREATE TABLE big (id INTEGER PRIMARY KEY, t TEXT);
      WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 50000) INSERT INTO big SELECT x, 'row ' || x FROM c`);
    let chunks = 0;
    let largest = 0;
    let write: Promise<unknown> | undefined;
    let all = '';
    for await (const chunk of dump(db, { chunkSize: 16_384 })) {
      chunks++;
      largest = Math.max(largest, chunk.length);
      all += chunk;
      // A write issued during the dump waits for the dump's read transaction and is not in it.
      write ??= db.run("INSERT INTO big (t) VALUES ('late')");
    }
    expect(chunks).toBeGreaterThan(50);
    expect(largest).toBeLessThan(16_384 + 200);
    expect(all).not.toContain("'late'");
    await write;
    expect(await db.get("SELECT count(*) AS n FROM big WHERE t = 'late'")).toEqual({ n: 1 });

    const early = dump(db, { chunkSize: 1024 });
    for await (const chunk of early) {
      expect(chunk).toContain('BEGIN TRANSACTION');
      break;
    }
    expect(await db.get('SELECT count(*) AS n FROM big')).toEqual({ n: 50001 });
  });

  it('dumps an attached schema', async () => {
    const db = await openTemp();
    const side = join(tempDir(), 'side.db');
    await db.exec(`ATTACH DATABASE '${side}' AS side`);
    await db.exec("CREATE TABLE side.notes (n TEXT); INSERT INTO side.notes VALUES ('attached')");
    const out = await text(dump(db, { schema: 'side' }));
    expect(out).toContain('CREATE TABLE notes');
    expect(out).toContain(`INSERT INTO "notes"("rowid","n") VALUES(1,'attached');`);
    await db.exec('DETACH DATABASE side');
  });
});

describe('restore', () => {
  it('restores nothing when a statement fails, keeping the target as it was', async () => {
    const source = await openTemp();
    await source.exec("CREATE TABLE a (x); INSERT INTO a VALUES (1); CREATE TABLE taken (y); INSERT INTO taken VALUES ('new')");
    const target = await fresh();
    await target.exec("CREATE TABLE taken (y); INSERT INTO taken VALUES ('old')");
    expect((await rejection(restore(target, dump(source)))).code).toBe('SQLITE_ERROR');
    expect(await target.all("SELECT name FROM sqlite_schema WHERE type = 'table'")).toEqual([{ name: 'taken' }]);
    expect(await target.all('SELECT y FROM taken')).toEqual([{ y: 'old' }]);
  });

  it('checks foreign keys at commit by default, and can restore inconsistent data with foreignKeys off', async () => {
    const sql = `PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE parent (id INTEGER PRIMARY KEY);
CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent(id));
INSERT INTO child VALUES(1,42);
COMMIT;
`;
    const target = await fresh();
    expect((await rejection(restore(target, sql))).code).toBe('SQLITE_CONSTRAINT_FOREIGNKEY');
    expect(await target.all("SELECT name FROM sqlite_schema WHERE type = 'table'")).toEqual([]);
    await restore(target, sql, { foreignKeys: 'off' });
    expect(await target.get('SELECT parent FROM child')).toEqual({ parent: 42 });
    expect(await target.get('PRAGMA foreign_keys')).toEqual({ foreign_keys: 1 });
  });

  it('reads a dump file as a byte stream cut in the middle of characters and statements', async () => {
    const source = await openTemp();
    await source.exec("CREATE TABLE t (s TEXT); INSERT INTO t VALUES ('ünïcödé 😀; and more'), ('line\nbreak')");
    const file = join(tempDir(), 'dump.sql');
    writeFileSync(file, await text(dump(source)));
    const target = await fresh();
    await restore(target, createReadStream(file, { highWaterMark: 7 }));
    expect(await target.all('SELECT s FROM t ORDER BY rowid')).toEqual([{ s: 'ünïcödé 😀; and more' }, { s: 'line\nbreak' }]);
  });

  it('refuses SQL that rolls back its own transaction, and bad sources', async () => {
    const target = await fresh();
    expect((await rejection(restore(target, 'CREATE TABLE t (x);\nROLLBACK; -- due to errors\n'))).code).toBe('ERR_RAPSQLITE_INVALID_ARGUMENT');
    expect((await rejection(restore(target, 42 as never))).code).toBe('ERR_RAPSQLITE_INVALID_ARGUMENT');
    expect((await rejection(restore(target, [Buffer.from('CREATE TABLE t (x);'), Buffer.from([0xff, 0xfe])]))).code).toBe('ERR_RAPSQLITE_INVALID_ARGUMENT');
    expect(await target.all("SELECT name FROM sqlite_schema WHERE type = 'table'")).toEqual([]);
  });

  it('keeps the sign of a real -0.0 through dump and restore (quote() alone writes 0.0)', async () => {
    const source = await openTemp();
    await source.exec('CREATE TABLE z (untyped, r REAL)');
    await source.run('INSERT INTO z VALUES (?, ?), (?, ?)', [-0, -0, 0, 1.5]);
    const sqlText = await text(dump(source));
    expect(sqlText).toMatch(/VALUES\(1,-0\.0,0\.0\);\n.*VALUES\(2,0\.0,1\.5\);/);
    const target = await fresh();
    await restore(target, sqlText);
    const rows = await target.values('SELECT untyped, typeof(untyped) FROM z ORDER BY rowid');
    expect(Object.is(rows.rows[0]![0], -0)).toBe(true);
    expect(Object.is(rows.rows[1]![0], 0)).toBe(true);
    expect(rows.rows.map((r) => r[1])).toEqual(['real', 'real']);
  });

  it('restores nothing from a dump cut short (BEGIN without its COMMIT), and all of the same dump whole', async () => {
    const source = await openTemp();
    await build(source);
    const whole = await text(dump(source));
    expect(whole.trimEnd().endsWith('COMMIT;')).toBe(true);
    const target = await fresh();
    const cut = whole.slice(0, whole.lastIndexOf('INSERT'));
    expect((await rejection(restore(target, cut))).code).toBe('ERR_RAPSQLITE_RESTORE_INCOMPLETE');
    expect(await target.all("SELECT name FROM sqlite_schema WHERE type = 'table'")).toEqual([]);
    // Cut in the middle of a statement too, through a stream of chunks.
    expect((await rejection(restore(target, [whole.slice(0, 40), whole.slice(40, whole.length - 30)]))).code).toBe('ERR_RAPSQLITE_RESTORE_INCOMPLETE');
    expect(await target.all("SELECT name FROM sqlite_schema WHERE type = 'table'")).toEqual([]);
    // A script without a transaction of its own is not a dump cut short.
    await restore(target, 'CREATE TABLE plain (x); INSERT INTO plain VALUES (1);');
    await restore(await fresh(), whole);
  });

  it('runs a dump through db.exec as well', async () => {
    const source = await openTemp();
    await build(source);
    const target = await fresh();
    await target.exec(await text(dump(source)));
    expect(await target.get('PRAGMA integrity_check')).toEqual({ integrity_check: 'ok' });
    expect(await text(dump(target))).toBe(await text(dump(source)));
  });
});
