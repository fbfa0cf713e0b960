import { describe, expect, it } from 'vitest';
import { explain } from '../../src/toolbox/explain.ts';
import { openTemp } from '../helpers.ts';

// The example of docs/query-plans.md, run for real so the page shows what the library prints.
describe('docs/query-plans.md example', () => {
  it('prints the plan, the findings and the verified proposals shown on the page', async () => {
    const db = await openTemp();
    await db.exec(`CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, status TEXT, placed TEXT);
      WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000)
      INSERT INTO orders SELECT x, x % 100, CASE x % 2 WHEN 0 THEN 'open' ELSE 'done' END, date('2026-01-01', '+' || (x % 365) || ' days') FROM c`);
    const plan = await explain(db, 'SELECT * FROM orders WHERE customer_id = ? AND status = ? ORDER BY placed', [7, 'open']);
    expect(plan.text).toBe('QUERY PLAN\n|--SCAN orders\n`--USE TEMP B-TREE FOR ORDER BY');
    expect(plan.findings.map((f) => [f.kind, f.message, f.proposal?.sql, f.proposal?.verification?.status])).toEqual([
      ['full-scan', 'Full scan of orders (more than 1000 rows) to filter on customer_id, status', 'CREATE INDEX "orders_customer_id_status_idx" ON "orders" ("customer_id", "status")', 'improved'],
      ['temp-btree', 'SQLite sorts into a temporary b-tree for ORDER BY', 'CREATE INDEX "orders_customer_id_status_placed_idx" ON "orders" ("customer_id", "status", "placed")', 'improved'],
    ]);
  });
});
