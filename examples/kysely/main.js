/* global AbortSignal */
// Kysely on rapsqlite: `npm start` in this folder (after `npm run build` at the root). Exits non-zero if anything
// does not behave as printed.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import { createPool } from '@rapsqlite/pool';
import { RapsqliteDialect } from '@rapsqlite/kysely';

const dir = await mkdtemp(join(tmpdir(), 'rapsqlite-kysely-example-'));
// Integers past 2^53 come back as bigints; smaller ones stay numbers.
const pool = await createPool(join(dir, 'shop.db'), { integers: 'auto', minReaders: 2, maxReaders: 2 });
const db = new Kysely({ dialect: new RapsqliteDialect({ database: pool }) });

try {
  // Migrations: all pending ones run in one BEGIN IMMEDIATE transaction on the writer.
  const migrations = {
    '0001_schema': {
      async up(db) {
        await db.schema.createTable('customers').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('email', 'text', (c) => c.notNull().unique()).execute();
        await db.schema
          .createTable('orders')
          .addColumn('id', 'integer', (c) => c.primaryKey())
          .addColumn('customer_id', 'integer', (c) => c.notNull().references('customers.id'))
          .addColumn('total', 'integer', (c) => c.notNull())
          .execute();
      },
    },
  };
  const { error } = await new Migrator({ db, provider: { getMigrations: async () => migrations } }).migrateToLatest();
  if (error) throw error;

  const big = 2n ** 60n + 3n;
  await db.insertInto('customers').values([{ id: 1, email: 'ada@example.com' }, { id: big, email: 'big@example.com' }]).execute();
  await db.insertInto('orders').values(Array.from({ length: 1000 }, (_, i) => ({ customer_id: i % 2 ? big : 1, total: i }))).execute();

  // A transaction holds the writer; savepoints nest inside it.
  const trx = await db.startTransaction().execute();
  await trx.insertInto('orders').values({ customer_id: 1, total: 5000 }).execute();
  const sp = await trx.savepoint('risky').execute();
  const duplicate = await sp.insertInto('customers').values({ id: 2, email: 'ada@example.com' }).execute().catch((e) => e);
  assert.equal(duplicate.code, 'SQLITE_CONSTRAINT_UNIQUE');
  const afterRollback = await sp.rollbackToSavepoint('risky').execute();

  // Meanwhile reads run on the pool's readers, in parallel, and do not see the open transaction.
  const [count, top] = await Promise.all([
    db.selectFrom('orders').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow(),
    db.selectFrom('orders').innerJoin('customers', 'customers.id', 'orders.customer_id').select(['customers.id', 'customers.email', 'orders.total']).orderBy('orders.total', 'desc').limit(1).executeTakeFirstOrThrow(),
  ]);
  assert.equal(count.n, 1000);
  assert.deepEqual(top, { id: big, email: 'big@example.com', total: 999 });
  console.log(`while the transaction is open: ${count.n} orders seen by a reader; the largest belongs to customer ${top.id}`);
  await afterRollback.releaseSavepoint('risky').execute().then((t) => t.commit().execute());

  // Streaming: rows arrive in chunks; leaving the loop early finalizes the statement in the worker.
  let streamed = 0;
  for await (const order of db.selectFrom('orders').select('total').orderBy('id').stream(200)) {
    streamed += order.total >= 0 ? 1 : 0;
    if (streamed === 500) break;
  }
  assert.equal(streamed, 500);

  const totals = await db
    .selectFrom('orders')
    .select(['customer_id', (eb) => eb.fn.sum('total').as('sum')])
    .groupBy('customer_id')
    .orderBy('customer_id')
    .execute();
  assert.deepEqual(totals, [
    { customer_id: 1, sum: 249_500 + 5000 },
    { customer_id: big, sum: 250_000 },
  ]);
  console.log('totals per customer:', totals.map((t) => `${t.customer_id}: ${t.sum}`).join(', '));

  // A query can be cancelled: the signal reaches the worker and stops SQLite.
  const slow = sql`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c`.execute(db, { signal: AbortSignal.timeout(50) });
  await assert.rejects(slow, { name: 'TimeoutError' });
  console.log('a runaway query was stopped after 50 ms; the pool goes on:', (await sql`SELECT 1 AS ok`.execute(db)).rows[0]);
} finally {
  await db.destroy();
  await rm(dir, { recursive: true, force: true });
}
