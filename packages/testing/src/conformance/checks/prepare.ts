import assert from 'node:assert/strict';
import { ITEMS_SCHEMA, rejectsWithCode, type ConformanceCheck } from '../check.ts';

/** Prepared statements. */
export const prepareChecks: readonly ConformanceCheck[] = [
  {
    name: 'prepares a query with its metadata and runs it many times',
    async run({ handle }) {
      await handle.exec(`${ITEMS_SCHEMA}; INSERT INTO items (name, qty) VALUES ('a', 1), ('b', 2), ('c', 3)`);
      const stmt = await handle.prepare<{ name: string; qty: number }>('SELECT name, qty FROM items WHERE qty >= ? ORDER BY qty');
      assert.equal(stmt.reader, true);
      assert.equal(stmt.readonly, true);
      assert.deepEqual(stmt.columns.map((c) => c.name), ['name', 'qty']);
      assert.deepEqual(await stmt.get([2]), { name: 'b', qty: 2 });
      assert.deepEqual(await stmt.all([2]), [{ name: 'b', qty: 2 }, { name: 'c', qty: 3 }]);
      assert.deepEqual((await stmt.values([3])).rows, [['c', 3]]);
      const streamed = [];
      for await (const row of stmt.iterate([1])) streamed.push(row.name);
      assert.deepEqual(streamed, ['a', 'b', 'c']);
      assert.equal(await stmt.get([99]), undefined);
    },
  },
  {
    name: 'prepares a write and runs it with run and runMany',
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      const insert = await handle.prepare('INSERT INTO items (name) VALUES (?)');
      assert.equal(insert.reader, false);
      assert.equal(insert.readonly, false);
      assert.deepEqual(insert.columns, []);
      assert.equal((await insert.run(['a'])).changes, 1);
      assert.equal((await insert.runMany([['b'], ['c']])).count, 2);
      await rejectsWithCode(insert.run(['a']), 'SQLITE_CONSTRAINT_UNIQUE');
      assert.deepEqual(await handle.get('SELECT count(*) AS n FROM items'), { n: 3 });
    },
  },
  {
    name: 'reports a compile error when preparing, not later',
    async run({ handle }) {
      await rejectsWithCode(handle.prepare('SELECT * FROM nowhere'), 'SQLITE_ERROR');
      await rejectsWithCode(handle.prepare('SELEC 1'), 'SQLITE_ERROR');
    },
  },
  {
    name: 'checks parameters of each run of a prepared statement',
    async run({ handle }) {
      const stmt = await handle.prepare('SELECT ? AS v');
      assert.deepEqual(await stmt.get([1]), { v: 1 });
      await rejectsWithCode(stmt.get([1, 2]), 'ERR_RAPSQLITE_PARAMETER_COUNT');
      await rejectsWithCode(stmt.get([new Date() as never]), 'ERR_RAPSQLITE_PARAMETER_TYPE');
      assert.deepEqual(await stmt.get([2]), { v: 2 });
    },
  },
  {
    name: 'runs a statement prepared inside a transaction within that transaction',
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      await assert.rejects(
        handle.transaction(async (tx) => {
          const insert = await tx.prepare('INSERT INTO items (name) VALUES (?)');
          await insert.run(['in-tx']);
          assert.deepEqual(await tx.get('SELECT count(*) AS n FROM items'), { n: 1 });
          throw new Error('undo');
        }),
        /undo/,
      );
      assert.deepEqual(await handle.get('SELECT count(*) AS n FROM items'), { n: 0 });
    },
  },
];
