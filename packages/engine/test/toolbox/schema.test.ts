import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { open, type Database } from '../../src/index.ts';
import { affinityOf, SchemaInspector } from '../../src/toolbox/schema.ts';

async function rejection(promise: Promise<unknown>): Promise<{ code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { code?: string };
  }
  throw new Error('expected a rejection');
}

let folder: string;
let db: Database;
let schema: SchemaInspector;

// One database for every test: they only read it.
beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'rapsqlite-schema-'));
  db = await open(join(folder, 'shop.db'));
  schema = new SchemaInspector(db);
  await db.exec(`
    CREATE TABLE "user ""accounts""" (
      id INTEGER PRIMARY KEY,
      "e mail" VARCHAR(200) NOT NULL UNIQUE,
      名前 TEXT DEFAULT 'anonymous',
      score FLOAT,
      avatar BLOB,
      created NUMERIC DEFAULT CURRENT_TIMESTAMP,
      loud TEXT GENERATED ALWAYS AS (upper(名前)) VIRTUAL,
      stored_len INTEGER GENERATED ALWAYS AS (length("e mail")) STORED
    );
    CREATE TABLE orders (
      id INTEGER PRIMARY KEY,
      owner INTEGER NOT NULL REFERENCES "user ""accounts"""(id) ON DELETE CASCADE,
      region TEXT, code TEXT,
      FOREIGN KEY (region, code) REFERENCES regions(name, code) ON UPDATE SET NULL
    );
    CREATE TABLE regions (name TEXT, code TEXT, PRIMARY KEY (name, code)) WITHOUT ROWID;
    CREATE INDEX orders_owner_desc ON orders (owner DESC, region COLLATE NOCASE);
    CREATE INDEX orders_open ON orders (code) WHERE region IS NOT NULL AND code <> 'x';
    CREATE INDEX orders_expr ON orders (lower(region));
    CREATE VIEW "owner view" AS SELECT o.id, u."e mail" AS email FROM orders o JOIN "user ""accounts""" u ON u.id = o.owner;
    CREATE TRIGGER orders_touch AFTER UPDATE OF region ON orders BEGIN SELECT 1; END;
    CREATE TRIGGER view_insert INSTEAD OF INSERT ON "owner view" BEGIN SELECT 1; END;
    CREATE VIRTUAL TABLE notes USING fts5(title, body, tokenize = 'porter unicode61');
    CREATE TEMP TABLE scratch (x);
  `);
  const archive = join(folder, 'archive.db');
  await db.exec(`ATTACH DATABASE '${archive}' AS "the archive"; CREATE TABLE "the archive".orders (id INTEGER PRIMARY KEY, old TEXT) STRICT`);
});

afterAll(async () => {
  await db.close();
  rmSync(folder, { recursive: true, force: true });
});

describe('SchemaInspector', () => {
  it('lists tables of every schema (not internal or shadow tables), and views', async () => {
    const tables = await schema.tables();
    expect(tables.map((t) => `${t.schema}.${t.name}:${t.type}`)).toEqual([
      'temp.scratch:table',
      'main.user "accounts":table',
      'main.orders:table',
      'main.regions:table',
      'main.notes:virtual',
      'the archive.orders:table',
    ]);
    expect(tables.find((t) => t.name === 'regions')).toMatchObject({ withoutRowid: true, strict: false, columnCount: 2 });
    expect(tables.find((t) => t.schema === 'the archive')).toMatchObject({ strict: true, sql: 'CREATE TABLE orders (id INTEGER PRIMARY KEY, old TEXT) STRICT' });
    expect((await schema.tables({ schema: 'main' })).length).toBe(4);
    expect(await schema.views()).toEqual([
      { schema: 'main', name: 'owner view', columns: ['id', 'email'], sql: expect.stringContaining('CREATE VIEW "owner view"') },
    ]);
    expect((await schema.schemas()).map((s) => s.name)).toEqual(['temp', 'main', 'the archive']);
  });

  it('describes columns from table_xinfo: declared type, affinity, nullability, defaults, key position, generated', async () => {
    const columns = await schema.columns('USER "ACCOUNTS"');
    expect(columns).toEqual([
      { name: 'id', declaredType: 'INTEGER', affinity: 'INTEGER', notNull: false, defaultValue: null, primaryKey: 1, hidden: false, generated: null },
      { name: 'e mail', declaredType: 'VARCHAR(200)', affinity: 'TEXT', notNull: true, defaultValue: null, primaryKey: 0, hidden: false, generated: null },
      { name: '名前', declaredType: 'TEXT', affinity: 'TEXT', notNull: false, defaultValue: "'anonymous'", primaryKey: 0, hidden: false, generated: null },
      { name: 'score', declaredType: 'FLOAT', affinity: 'REAL', notNull: false, defaultValue: null, primaryKey: 0, hidden: false, generated: null },
      { name: 'avatar', declaredType: 'BLOB', affinity: 'BLOB', notNull: false, defaultValue: null, primaryKey: 0, hidden: false, generated: null },
      { name: 'created', declaredType: 'NUMERIC', affinity: 'NUMERIC', notNull: false, defaultValue: 'CURRENT_TIMESTAMP', primaryKey: 0, hidden: false, generated: null },
      { name: 'loud', declaredType: 'TEXT', affinity: 'TEXT', notNull: false, defaultValue: null, primaryKey: 0, hidden: false, generated: 'virtual' },
      { name: 'stored_len', declaredType: 'INTEGER', affinity: 'INTEGER', notNull: false, defaultValue: null, primaryKey: 0, hidden: false, generated: 'stored' },
    ]);
    const regions = await schema.columns('regions');
    expect(regions.map((c) => [c.name, c.primaryKey])).toEqual([['name', 1], ['code', 2]]);
    // A bare name resolves as SQL resolves it: temp first, then main, then attached databases.
    expect((await schema.columns('orders')).map((c) => c.name)).toEqual(['id', 'owner', 'region', 'code']);
    expect((await schema.columns('orders', { schema: 'the archive' })).map((c) => c.name)).toEqual(['id', 'old']);
    const notes = await schema.columns('notes');
    expect(notes.filter((c) => c.hidden).map((c) => c.name)).toEqual(['notes', 'rank']);
  });

  it('lists indexes with their columns, order, collation, uniqueness and partial conditions', async () => {
    const indexes = await schema.indexes('orders');
    expect(indexes.map((i) => i.name)).toEqual(['orders_owner_desc', 'orders_open', 'orders_expr']);
    expect(indexes[0]).toMatchObject({
      unique: false,
      origin: 'create',
      partial: false,
      where: null,
      columns: [
        { name: 'owner', descending: true, collation: 'BINARY' },
        { name: 'region', descending: false, collation: 'NOCASE' },
      ],
    });
    expect(indexes[1]).toMatchObject({ partial: true, where: "region IS NOT NULL AND code <> 'x'", columns: [{ name: 'code' }] });
    expect(indexes[2]!.columns).toEqual([{ name: null, descending: false, collation: 'BINARY' }]);
    const accounts = await schema.indexes('user "accounts"');
    expect(accounts).toEqual([
      expect.objectContaining({ name: 'sqlite_autoindex_user "accounts"_1', unique: true, origin: 'unique', sql: null, columns: [{ name: 'e mail', descending: false, collation: 'BINARY' }] }),
    ]);
    expect((await schema.indexes('regions'))[0]).toMatchObject({ origin: 'primaryKey', unique: true });
  });

  it('groups foreign keys per constraint, in declaration order', async () => {
    expect(await schema.foreignKeys('orders')).toEqual([
      { id: 1, table: 'user "accounts"', from: ['owner'], to: ['id'], onUpdate: 'NO ACTION', onDelete: 'CASCADE', match: 'NONE' },
      { id: 0, table: 'regions', from: ['region', 'code'], to: ['name', 'code'], onUpdate: 'SET NULL', onDelete: 'NO ACTION', match: 'NONE' },
    ]);
    expect(await schema.foreignKeys('regions')).toEqual([]);
  });

  it('lists triggers with timing and event, and virtual tables with their module and arguments', async () => {
    expect((await schema.triggers()).map((t) => [t.name, t.table, t.timing, t.event])).toEqual([
      ['orders_touch', 'orders', 'AFTER', 'UPDATE'],
      ['view_insert', 'owner view', 'INSTEAD OF', 'INSERT'],
    ]);
    expect((await schema.triggers('orders')).map((t) => t.name)).toEqual(['orders_touch']);
    expect(await schema.virtualTables()).toEqual([
      { schema: 'main', name: 'notes', module: 'fts5', arguments: ['title', 'body', "tokenize = 'porter unicode61'"], sql: expect.any(String) },
    ]);
  });

  it('describes everything at once, consistently', async () => {
    const all = await schema.describe();
    expect(all.schemas.map((s) => s.name)).toEqual(['temp', 'main', 'the archive']);
    const orders = all.tables.find((t) => t.schema === 'main' && t.name === 'orders')!;
    expect(orders.columns.length).toBe(4);
    expect(orders.indexes.length).toBe(3);
    expect(orders.foreignKeys.length).toBe(2);
    expect(orders.triggers.map((t) => t.name)).toEqual(['orders_touch']);
    expect(all.views.map((v) => v.name)).toEqual(['owner view']);
    expect(all.virtualTables.map((v) => v.module)).toEqual(['fts5']);
    const archiveOnly = await schema.describe({ schema: 'THE ARCHIVE' });
    expect(archiveOnly.tables.map((t) => t.name)).toEqual(['orders']);
  });

  it('fails with ERR_RAPSQLITE_SCHEMA_NOT_FOUND for a missing table or schema', async () => {
    expect((await rejection(schema.columns('missing'))).code).toBe('ERR_RAPSQLITE_SCHEMA_NOT_FOUND');
    expect((await rejection(schema.indexes('regions', { schema: 'the archive' }))).code).toBe('ERR_RAPSQLITE_SCHEMA_NOT_FOUND');
    expect((await rejection(schema.tables({ schema: 'nope' }))).code).toBe('ERR_RAPSQLITE_SCHEMA_NOT_FOUND');
    expect((await rejection(schema.foreignKeys(''))).code).toBe('ERR_RAPSQLITE_SCHEMA_NOT_FOUND');
  });

  it("derives affinity by SQLite's rules, in their order", () => {
    expect(['INT', 'BIGINT', 'CHARINT', 'VARCHAR(2)', 'CLOB', 'BLOB', '', 'REAL', 'DOUBLE PRECISION', 'FLOATING POINT', 'DECIMAL(10,5)', 'BOOLEAN', 'ANY'].map(affinityOf)).toEqual([
      'INTEGER', 'INTEGER', 'INTEGER', 'TEXT', 'TEXT', 'BLOB', 'BLOB', 'REAL', 'REAL', 'INTEGER', 'NUMERIC', 'NUMERIC', 'NUMERIC',
    ]);
  });
});
