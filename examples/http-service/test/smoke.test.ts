/**
 * The smoke test `npm test` runs: starts the service (as `node src/main.ts` does, on a small seed), sends one
 * request of each kind, and stops it.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

const dir = mkdtempSync(join(tmpdir(), 'rapsqlite-http-service-'));
const main = join(import.meta.dirname, '..', 'src', 'main.ts');
let child: ReturnType<typeof spawn>;
let base = '';

before(async () => {
  child = spawn(process.execPath, [main, '--port', '0', '--db', join(dir, 'orders.db'), '--orders', '3000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    const message = JSON.parse(line) as { listening?: string };
    if (message.listening !== undefined) {
      base = message.listening;
      break;
    }
  }
  assert.ok(base !== '', 'the service printed its address');
});

after(async () => {
  if (child.exitCode === null) {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
  rmSync(dir, { recursive: true, force: true });
});

test('GET /orders/:id returns one order with its customer and product', async () => {
  const response = await fetch(`${base}/orders/42`);
  assert.equal(response.status, 200);
  const order = (await response.json()) as { id: number; sku: string; customer_name: string };
  assert.equal(order.id, 42);
  assert.match(order.sku, /^SKU-\d{5}$/);
  assert.match(order.customer_name, /^Customer \d+$/);
  assert.equal((await fetch(`${base}/orders/999999`)).status, 404);
});

test('GET /customers/:id/orders returns the latest orders', async () => {
  const rows = (await (await fetch(`${base}/customers/7/orders?limit=3`)).json()) as Array<{ created_at: string }>;
  assert.ok(rows.length > 0 && rows.length <= 3);
  assert.deepEqual([...rows].sort((a, b) => b.created_at.localeCompare(a.created_at)), rows);
});

test('GET /reports/revenue returns revenue per country and month', async () => {
  const report = (await (await fetch(`${base}/reports/revenue`)).json()) as { rows: Array<{ country: string; revenue: number }> };
  assert.ok(report.rows.length > 0);
  assert.ok(report.rows.every((row) => row.country.length === 2 && row.revenue > 0));
});

test('POST /orders places an order in a transaction, and refuses an unknown customer with 409', async () => {
  const post = (body: unknown) => fetch(`${base}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const placed = await post({ customerId: 3, sku: 'SKU-00005', quantity: 2 });
  assert.equal(placed.status, 201);
  const order = (await placed.json()) as { id: number; status: string };
  assert.equal(order.status, 'placed');
  assert.equal((await fetch(`${base}/orders/${order.id}`)).status, 200);
  const refused = await post({ customerId: 999999, sku: 'SKU-00005', quantity: 1 });
  assert.equal(refused.status, 409);
  assert.equal(((await refused.json()) as { code: string }).code, 'SQLITE_CONSTRAINT_FOREIGNKEY');
});

test('GET /health and GET /metrics report the pool', async () => {
  const health = (await (await fetch(`${base}/health`)).json()) as { status: string; pool: { readers: { max: number } } };
  assert.equal(health.status, 'ok');
  assert.equal(health.pool.readers.max, 2);
  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, /db_client_operation_duration_seconds_count\{[^}]*\} \d+/);
});

test('SIGTERM stops the service cleanly', async () => {
  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0);
});
