import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { open, type Database } from '../../src/index.ts';
import { explain, predicates, tableAliases } from '../../src/toolbox/explain.ts';

let db: Database;
let folder: string;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'rapsqlite-explain-'));
  db = await open(join(folder, 'shop.db'));
  await db.exec(`
    CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT, city TEXT);
    CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, status TEXT, placed TEXT, total REAL);
    CREATE TABLE tiny (id INTEGER PRIMARY KEY, v TEXT);
    CREATE INDEX orders_placed ON orders (placed);
    WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000)
      INSERT INTO customers SELECT x, 'name ' || x, 'c' || x || '@example.com', 'city ' || (x % 50) FROM c;
    WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 6000)
      INSERT INTO orders SELECT x, 1 + x % 3000, CASE x % 3 WHEN 0 THEN 'open' ELSE 'done' END, date('2026-01-01', '+' || (x % 300) || ' days'), x * 1.5 FROM c;
    INSERT INTO tiny VALUES (1, 'a'), (2, 'b');
  `);
});

afterAll(async () => {
  await db.close();
  rmSync(folder, { recursive: true, force: true });
});

describe('explain', () => {
  it('returns the plan as a tree and as text, without running the statement', async () => {
    const result = await explain(db, 'DELETE FROM orders WHERE id IN (SELECT o.id FROM orders o WHERE o.total > ?)', [10]);
    expect(result.plan.length).toBeGreaterThan(0);
    expect(result.text.startsWith('QUERY PLAN\n')).toBe(true);
    expect(await db.get('SELECT count(*) AS n FROM orders')).toEqual({ n: 6000 });
    const sub = await explain(db, 'SELECT c.name, (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) AS n FROM customers c');
    const correlated = sub.plan.find((n) => n.detail.startsWith('CORRELATED SCALAR SUBQUERY'));
    expect(correlated?.children.length).toBeGreaterThan(0);
    expect(sub.findings.map((f) => f.kind)).toContain('correlated-subquery');
  });

  it('flags a full scan of a large table and proposes an index that the verification shows SQLite would use', async () => {
    const result = await explain(db, 'SELECT * FROM orders o WHERE o.customer_id = ? AND status = ? AND total > ?', [7, 'open', 3]);
    const scan = result.findings.find((f) => f.kind === 'full-scan');
    expect(scan).toMatchObject({ table: 'orders', schema: 'main', detail: 'SCAN o' });
    expect(scan!.rows).toBeGreaterThan(1000);
    expect(scan!.proposal).toMatchObject({
      sql: 'CREATE INDEX "orders_customer_id_status_total_idx" ON "orders" ("customer_id", "status", "total")',
      columns: ['customer_id', 'status', 'total'],
      verification: { status: 'improved', planMatched: true },
    });
    expect(scan!.proposal!.verification!.planAfter.map((n) => n.detail)).toEqual([
      'SEARCH o USING INDEX orders_customer_id_status_total_idx (customer_id=? AND status=? AND total>?)',
    ]);
    // The proposal was only tried on the copy.
    expect(await db.all("SELECT name FROM sqlite_schema WHERE name LIKE '%_idx'")).toEqual([]);
  });

  it('does not flag a scan of a small table, nor a search', async () => {
    expect((await explain(db, "SELECT * FROM tiny WHERE v = 'a'")).findings).toEqual([]);
    expect((await explain(db, 'SELECT * FROM orders WHERE id = 5')).findings).toEqual([]);
    const noFilter = await explain(db, 'SELECT count(*) FROM customers');
    expect(noFilter.findings.every((f) => f.proposal === undefined)).toBe(true);
  });

  it('reports a temporary b-tree for ORDER BY and proposes an index on the filter and the order', async () => {
    const result = await explain(db, 'SELECT * FROM orders WHERE status = ? ORDER BY total', ['open']);
    const sort = result.findings.find((f) => f.kind === 'temp-btree');
    expect(sort?.message).toContain('ORDER BY');
    expect(sort?.proposal?.columns).toEqual(['status', 'total']);
    expect(sort?.proposal?.verification?.status).toBe('improved');
    const group = await explain(db, 'SELECT city, count(*) FROM customers GROUP BY city');
    expect(group.findings.some((f) => f.kind === 'temp-btree' && f.message.includes('GROUP BY'))).toBe(true);
  });

  it('reports automatic indexes of a join and proposes the permanent one', async () => {
    const result = await explain(db, 'SELECT c.name, o.total FROM customers c JOIN orders o ON o.status = c.city');
    const auto = result.findings.find((f) => f.kind === 'automatic-index');
    expect(auto).toBeDefined();
    expect(auto!.proposal?.verification?.status).toBe('improved');
    expect(auto!.proposal?.sql).toMatch(/^CREATE INDEX "(orders_status|customers_city)_idx" ON "(orders|customers)" \("(status|city)"\)$/);
  });

  it('explains LIKE that no index serves: a leading wildcard, or a case-sensitive index', async () => {
    const leading = await explain(db, "SELECT * FROM customers WHERE email LIKE '%@example.com'");
    expect(leading.findings.find((f) => f.kind === 'like-no-index')?.message).toContain('starts with a wildcard');
    await db.exec('CREATE INDEX customers_name ON customers (name)');
    try {
      const prefix = await explain(db, "SELECT * FROM customers WHERE name LIKE 'name 1%'");
      const like = prefix.findings.find((f) => f.kind === 'like-no-index');
      expect(like?.proposal?.sql).toBe('CREATE INDEX "customers_name_nocase_idx" ON "customers" ("name" COLLATE NOCASE)');
      expect(like?.proposal?.verification?.status).toBe('improved');
    } finally {
      await db.exec('DROP INDEX customers_name');
    }
  });

  it('verifies against attached schemas too, and binds NULLs for parameters not given', async () => {
    await db.exec(`ATTACH DATABASE '${join(folder, 'archive.db')}' AS archive`);
    try {
      await db.exec(`CREATE TABLE archive.events (id INTEGER PRIMARY KEY, kind TEXT, at TEXT);
        WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000) INSERT INTO archive.events SELECT x, 'k' || (x % 10), x FROM c`);
      const result = await explain(db, 'SELECT * FROM archive.events WHERE kind = :kind');
      const scan = result.findings.find((f) => f.kind === 'full-scan');
      expect(scan).toMatchObject({ schema: 'archive', table: 'events' });
      expect(scan!.proposal!.sql).toBe('CREATE INDEX "archive"."events_kind_idx" ON "events" ("kind")');
      expect(scan!.proposal!.verification).toMatchObject({ status: 'improved', planMatched: true });
    } finally {
      await db.exec('DETACH DATABASE archive');
    }
  });

  it('handles table and column names with quotes, spaces and unicode', async () => {
    await db.exec(`CREATE TABLE "big ""odd"" 表" ("a b" INTEGER, "ü" TEXT);
      WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1500) INSERT INTO "big ""odd"" 表" SELECT x % 7, x FROM c`);
    try {
      const result = await explain(db, 'SELECT "ü" FROM "big ""odd"" 表" WHERE "a b" = ?', [3]);
      const scan = result.findings.find((f) => f.kind === 'full-scan');
      expect(scan).toMatchObject({ table: 'big "odd" 表', detail: 'SCAN big "odd" 表' });
      expect(scan!.proposal!.sql).toBe('CREATE INDEX "big_odd_表_a_b_idx" ON "big ""odd"" 表" ("a b")');
      expect(scan!.proposal!.verification!.status).toBe('improved');
    } finally {
      await db.exec('DROP TABLE "big ""odd"" 表"');
    }
  });

  it('uses the statistics of ANALYZE in the copy, so the copy plans as the database does', async () => {
    await db.exec('CREATE INDEX orders_status ON orders (status); ANALYZE');
    try {
      const result = await explain(db, "SELECT * FROM orders WHERE status = 'open' AND placed > '2026-03-01'", undefined, { largeTableRows: 10 });
      for (const f of result.findings) if (f.proposal?.verification !== undefined) expect(f.proposal.verification.planMatched).toBe(true);
    } finally {
      await db.exec('DROP INDEX orders_status; DROP TABLE sqlite_stat1');
    }
  });

  it('fails with SQLite codes for bad SQL and INVALID_ARGUMENT for bad input', async () => {
    await expect(explain(db, 'SELECT * FROM nowhere')).rejects.toMatchObject({ code: 'SQLITE_ERROR' });
    await expect(explain(db, '')).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
    await expect(explain(db, 'SELECT 1', undefined, { largeTableRows: -1 })).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
  });
});

describe('explain helpers', () => {
  it('reads table aliases from FROM, JOIN, UPDATE and INSERT INTO', () => {
    const aliases = tableAliases('SELECT * FROM main.orders AS o JOIN "my table" t ON t.id = o.id, customers WHERE x IN (SELECT 1 FROM tiny y)');
    expect(Object.fromEntries(aliases)).toEqual({
      orders: { schema: 'main', table: 'orders' },
      o: { schema: 'main', table: 'orders' },
      'my table': { schema: undefined, table: 'my table' },
      t: { schema: undefined, table: 'my table' },
      customers: { schema: undefined, table: 'customers' },
      tiny: { schema: undefined, table: 'tiny' },
      y: { schema: undefined, table: 'tiny' },
    });
  });

  it('reads column predicates on either side of the operator', () => {
    expect(predicates("SELECT * FROM t WHERE a = 1 AND 2 < t.b AND c IN (1, 2) AND d LIKE 'x%' AND e IS NOT NULL")).toEqual([
      { qualifier: undefined, column: 'a', kind: 'equality' },
      { qualifier: 't', column: 'b', kind: 'range' },
      { qualifier: undefined, column: 'c', kind: 'equality' },
      { qualifier: undefined, column: 'd', kind: 'like', pattern: 'x%' },
    ]);
  });
});
