// Knex on rapsqlite: migrations from files, a transaction with a savepoint, streaming, and the event loop staying
// free during a slow query. Run: npm test
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knex from 'knex';
import { RapsqliteClient, rapsqliteConnection } from '@rapsqlite/knex';

const dir = await mkdtemp(join(tmpdir(), 'rapsqlite-knex-example-'));
const db = knex({
  client: RapsqliteClient,
  connection: rapsqliteConnection({ filename: join(dir, 'todos.db'), pool: { maxReaders: 2 } }),
  useNullAsDefault: true,
});
try {
  const [, applied] = await db.migrate.latest({ directory: new URL('./migrations', import.meta.url).pathname });
  console.log(`applied ${applied.length} migrations`);

  await db.transaction(async (trx) => {
    await trx('todos').insert([
      { title: 'write docs', due: new Date('2026-01-10') },
      { title: 'ship', due: new Date('2026-01-20') },
    ]);
    // A savepoint: its failure rolls back only its own work.
    await trx
      .transaction(async (sp) => {
        await sp('todos').insert({ title: 'ship', due: new Date() }); // duplicate title
      })
      .catch((err) => assert.equal(err.code, 'SQLITE_CONSTRAINT_UNIQUE'));
  });
  assert.deepEqual(await db('todos').orderBy('id').pluck('title'), ['write docs', 'ship']);

  await db.batchInsert('todos', Array.from({ length: 2000 }, (_, i) => ({ title: `chore ${i}`, due: new Date(2026, 0, 1 + (i % 28)) })), 200);
  let streamed = 0;
  for await (const row of db('todos').where('title', 'like', 'chore %').stream()) {
    assert.equal(typeof row.title, 'string');
    streamed++;
  }
  assert.equal(streamed, 2000);
  console.log(`streamed ${streamed} rows`);

  // A slow query runs in a worker: timers keep firing meanwhile.
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  await db.raw('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) SELECT count(*) AS n FROM c');
  clearInterval(timer);
  assert.ok(ticks > 0, 'the event loop ran during the query');
  console.log(`the event loop ticked ${ticks} times during a slow query`);
} finally {
  await db.destroy();
  await rm(dir, { recursive: true, force: true });
}
