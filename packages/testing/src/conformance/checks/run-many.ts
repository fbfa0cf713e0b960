import assert from 'node:assert/strict';
import { ITEMS_SCHEMA, rejectsWithCode, type ConformanceCheck } from '../check.ts';

/** `runMany`: results, atomicity and the failing set's index. */
export const runManyChecks: readonly ConformanceCheck[] = [
  {
    name: 'runs every parameter set and reports count, changes and the last rowid',
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      const result = await handle.runMany('INSERT INTO items (name, qty) VALUES (?, ?)', [['a', 1], ['b', 2], ['c', 3]]);
      assert.equal(result.count, 3);
      assert.equal(result.changes, 3);
      assert.equal(result.lastInsertRowid, 3);
      const named = await handle.runMany('UPDATE items SET qty = :qty WHERE name = :name', [{ qty: 10, name: 'a' }, { qty: 20, name: 'zzz' }]);
      assert.equal(named.count, 2);
      assert.equal(named.changes, 1);
    },
  },
  {
    name: 'accepts an empty list',
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      const result = await handle.runMany('INSERT INTO items (name) VALUES (?)', []);
      assert.equal(result.count, 0);
      assert.equal(result.changes, 0);
    },
  },
  {
    name: 'applies no set when one fails, and gives the failing set its index',
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      const err = await rejectsWithCode(
        handle.runMany('INSERT INTO items (name) VALUES (?)', [['a'], ['b'], ['a'], ['d']]),
        'SQLITE_CONSTRAINT_UNIQUE',
      );
      assert.equal(err['index'], 2);
      assert.deepEqual(await handle.get('SELECT count(*) AS n FROM items'), { n: 0 });
      await rejectsWithCode(handle.runMany('INSERT INTO items (name) VALUES (?)', [['x'], ['y', 'extra']]), 'ERR_RAPSQLITE_PARAMETER_COUNT');
      await rejectsWithCode(handle.runMany('INSERT INTO items (name) VALUES (?)', [['x'], [new Date() as never]]), 'ERR_RAPSQLITE_PARAMETER_TYPE');
      assert.deepEqual(await handle.get('SELECT count(*) AS n FROM items'), { n: 0 });
    },
  },
  {
    name: 'inside a transaction, undoes only its own sets on failure and lets the transaction go on',
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      await handle.transaction(async (tx) => {
        await tx.run('INSERT INTO items (name) VALUES (?)', ['before']);
        const err = await rejectsWithCode(tx.runMany('INSERT INTO items (name) VALUES (?)', [['m1'], ['before']]), 'SQLITE_CONSTRAINT_UNIQUE');
        assert.equal(err['index'], 1);
        await tx.run('INSERT INTO items (name) VALUES (?)', ['after']);
      });
      assert.deepEqual(await handle.all('SELECT name FROM items ORDER BY id'), [{ name: 'before' }, { name: 'after' }]);
    },
  },
  {
    name: 'rejects a paramsList that is not an array with ERR_RAPSQLITE_INVALID_ARGUMENT',
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      await rejectsWithCode(handle.runMany('INSERT INTO items (name) VALUES (?)', 'a' as never), 'ERR_RAPSQLITE_INVALID_ARGUMENT');
    },
  },
];
