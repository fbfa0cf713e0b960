import assert from 'node:assert/strict';
import type { Queryable } from '@rapsqlite/engine';
import { ITEMS_SCHEMA, rejectsWithCode, type ConformanceCheck } from '../check.ts';

async function seed(handle: Queryable, n: number): Promise<void> {
  await handle.runMany('INSERT INTO items (name, qty) VALUES (?, ?)', Array.from({ length: n }, (_, i) => [`n${i}`, i]));
}

/** Streaming with `iterate`. */
export const streamingChecks: readonly ConformanceCheck[] = [
  {
    name: 'streams every row in order across chunk boundaries',
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      await seed(handle, 101);
      const seen: number[] = [];
      for await (const row of handle.iterate<{ qty: number }>('SELECT qty FROM items ORDER BY id', [], { chunkSize: 7 })) seen.push(row.qty);
      assert.deepEqual(seen, Array.from({ length: 101 }, (_, i) => i));
    },
  },
  {
    name: 'binds parameters and ends at once on an empty result',
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      await seed(handle, 10);
      const rows = [];
      for await (const row of handle.iterate('SELECT qty FROM items WHERE qty >= :min ORDER BY qty', { min: 8 })) rows.push(row);
      assert.deepEqual(rows, [{ qty: 8 }, { qty: 9 }]);
      const empty = handle.iterate('SELECT * FROM items WHERE qty < 0');
      assert.deepEqual(await empty.next(), { done: true, value: undefined });
    },
  },
  {
    name: 'finalizes the statement when the loop breaks early, so the table can be dropped at once',
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      await seed(handle, 500);
      let taken = 0;
      const iterator = handle.iterate('SELECT * FROM items ORDER BY id', [], { chunkSize: 4 });
      for await (const _row of iterator) {
        if (++taken === 3) break;
      }
      assert.equal(taken, 3);
      assert.deepEqual(await iterator.next(), { done: true, value: undefined }, 'a closed iterator stays done');
      // An unfinalized statement would make DROP TABLE fail with SQLITE_LOCKED on the same connection.
      await handle.exec('DROP TABLE items');
    },
  },
  {
    name: 'finalizes the statement when the loop body throws',
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      await seed(handle, 50);
      await assert.rejects(async () => {
        for await (const _row of handle.iterate('SELECT * FROM items', [], { chunkSize: 2 })) throw new Error('stop here');
      }, /stop here/);
      await handle.exec('DROP TABLE items');
    },
  },
  {
    name: 'closes with await using',
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      await seed(handle, 20);
      {
        await using rows = handle.iterate('SELECT * FROM items', [], { chunkSize: 2 });
        assert.equal((await rows.next()).done, false);
      }
      await handle.exec('DROP TABLE items');
    },
  },
  {
    name: 'rejects the first next() with the error code of a bad query',
    async run({ handle }) {
      await rejectsWithCode(handle.iterate('SELECT * FROM nowhere').next(), 'SQLITE_ERROR');
      await rejectsWithCode(handle.iterate('SELECT ?', [new Date() as never]).next(), 'ERR_RAPSQLITE_PARAMETER_TYPE');
      await rejectsWithCode(handle.iterate('SELECT ?', [1, 2]).next(), 'ERR_RAPSQLITE_PARAMETER_COUNT');
    },
  },
  {
    name: 'lets other calls run between chunks outside a transaction',
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      await seed(handle, 30);
      let rows = 0;
      for await (const _row of handle.iterate('SELECT * FROM items', [], { chunkSize: 5 })) {
        if (rows++ === 2) assert.deepEqual(await handle.get('SELECT 1 AS one'), { one: 1 });
      }
      assert.equal(rows, 30);
    },
  },
  {
    name: 'streams inside a transaction, whether the result fits in one chunk or spans many',
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      await seed(handle, 10);
      await handle.transaction(async (tx) => {
        const small = [];
        for await (const row of tx.iterate('SELECT qty FROM items WHERE qty < 2 ORDER BY qty')) small.push(row);
        assert.deepEqual(small, [{ qty: 0 }, { qty: 1 }]);
        let many = 0;
        for await (const _row of tx.iterate('SELECT qty FROM items', [], { chunkSize: 3 })) many++;
        assert.equal(many, 10);
      });
    },
  },
  {
    name: 'closes an open cursor when its transaction ends, so the commit succeeds',
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      await seed(handle, 40);
      await handle.transaction(async (tx) => {
        const iterator = tx.iterate('SELECT * FROM items', [], { chunkSize: 3 });
        assert.equal((await iterator.next()).done, false);
        await tx.run('INSERT INTO items (name) VALUES (?)', ['added']);
      });
      assert.deepEqual(await handle.get('SELECT count(*) AS n FROM items'), { n: 41 });
      await handle.exec('DROP TABLE items');
    },
  },
  {
    name: 'converts integers and BLOBs in streamed rows as in all()',
    async run({ handle }) {
      await handle.exec('CREATE TABLE b (v INTEGER, d BLOB)');
      await handle.run('INSERT INTO b VALUES (?, ?)', [9007199254740997n, Buffer.from([1, 2])]);
      await rejectsWithCode(handle.iterate('SELECT v FROM b').next(), 'ERR_RAPSQLITE_INTEGER_OVERFLOW');
      for await (const row of handle.iterate<{ v: unknown; d: unknown }>('SELECT v, d FROM b', [], { integers: 'bigint' })) {
        assert.equal(row.v, 9007199254740997n);
        assert.ok(Buffer.isBuffer(row.d));
      }
    },
  },
];
