import assert from 'node:assert/strict';
import type { Queryable } from '@rapsqlite/engine';
import { ITEMS_SCHEMA, rejectsWithCode, turns, type ConformanceCheck } from '../check.ts';

async function count(q: Queryable, where = '1'): Promise<number> {
  const row = await q.get<{ n: number }>(`SELECT count(*) AS n FROM items WHERE ${where}`);
  return row?.n ?? -1;
}

/** Transactions: commit, rollback, savepoints, isolation and misuse. */
export const transactionChecks: readonly ConformanceCheck[] = [
  {
    name: "commits when the callback resolves and resolves with the callback's value",
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      const value = await handle.transaction(async (tx) => {
        await tx.run('INSERT INTO items (name) VALUES (?)', ['a']);
        await tx.run('INSERT INTO items (name) VALUES (?)', ['b']);
        return { done: true };
      });
      assert.deepEqual(value, { done: true });
      assert.equal(await count(handle), 2);
    },
  },
  {
    name: 'accepts a synchronous callback',
    async run({ handle }) {
      assert.equal(await handle.transaction(() => 7), 7);
    },
  },
  {
    name: 'rolls back and rethrows the same error when the callback throws',
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      const boom = new Error('boom');
      let caught: unknown;
      try {
        await handle.transaction(async (tx) => {
          await tx.run('INSERT INTO items (name) VALUES (?)', ['a']);
          throw boom;
        });
      } catch (err) {
        caught = err;
      }
      assert.equal(caught, boom);
      assert.equal(await count(handle), 0);
    },
  },
  {
    name: 'rolls back when a statement fails and the callback lets the error through',
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      await rejectsWithCode(
        handle.transaction(async (tx) => {
          await tx.run('INSERT INTO items (name) VALUES (?)', ['a']);
          await tx.run('INSERT INTO items (name) VALUES (?)', ['a']);
        }),
        'SQLITE_CONSTRAINT_UNIQUE',
      );
      assert.equal(await count(handle), 0);
    },
  },
  {
    name: 'rolls back a nested savepoint that throws while the outer transaction commits',
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      await handle.transaction(async (tx) => {
        await tx.run('INSERT INTO items (name) VALUES (?)', ['outer']);
        await rejectsWithCode(
          tx.transaction(async (inner) => {
            await inner.run('INSERT INTO items (name) VALUES (?)', ['inner']);
            assert.equal(await count(inner), 2, 'the savepoint sees both rows');
            throw Object.assign(new Error('inner failure'), { code: 'TEST_INNER' });
          }),
          'TEST_INNER',
        );
        const kept = await tx.transaction(async (inner) => {
          await inner.run('INSERT INTO items (name) VALUES (?)', ['second']);
          return 'kept';
        });
        assert.equal(kept, 'kept');
      });
      assert.deepEqual(await handle.all('SELECT name FROM items ORDER BY id'), [{ name: 'outer' }, { name: 'second' }]);
    },
  },
  {
    name: 'rolls everything back, savepoints included, when the outer callback throws',
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      await assert.rejects(
        handle.transaction(async (tx) => {
          await tx.transaction(async (inner) => {
            await inner.transaction((deeper) => deeper.run('INSERT INTO items (name) VALUES (?)', ['deep']));
          });
          throw new Error('outer failure');
        }),
        /outer failure/,
      );
      assert.equal(await count(handle), 0);
    },
  },
  {
    name: 'begins deferred, immediate and exclusive transactions and refuses an unknown mode',
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      for (const mode of ['deferred', 'immediate', 'exclusive'] as const) {
        await handle.transaction((tx) => tx.run('INSERT INTO items (name) VALUES (?)', [mode]), { mode });
      }
      assert.equal(await count(handle), 3);
      await rejectsWithCode(handle.transaction(async () => 1, { mode: 'sideways' as never }), 'ERR_RAPSQLITE_INVALID_ARGUMENT');
    },
  },
  {
    name: 'isolates a transaction from many concurrent callers: nothing leaks in or out',
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let insideAtEnd = -1;
      const transaction = handle.transaction(async (tx) => {
        await tx.run('INSERT INTO items (name) VALUES (?)', ['tx-row']);
        await gate;
        await turns(20);
        insideAtEnd = await count(tx, "name LIKE 'out-%'");
        throw new Error('roll back on purpose');
      });
      // Let BEGIN and the first insert start before the outside calls are made.
      await turns(5);
      const writes = Array.from({ length: 50 }, (_, i) => handle.run('INSERT INTO items (name) VALUES (?)', [`out-${i}`]));
      const reads = Array.from({ length: 50 }, () => handle.get<{ n: number }>("SELECT count(*) AS n FROM items WHERE name = 'tx-row'"));
      release();
      await assert.rejects(transaction, /roll back on purpose/);
      const settled = await Promise.allSettled([...writes, ...reads]);
      assert.ok(settled.every((s) => s.status === 'fulfilled'), 'every outside call succeeded');
      assert.equal(insideAtEnd, 0, 'outside writes did not run inside the transaction');
      const seen = (await Promise.all(reads)).map((r) => r?.n);
      assert.ok(seen.every((n) => n === 0), 'outside reads never saw the uncommitted row');
      assert.equal(await count(handle, "name = 'tx-row'"), 0, 'the transaction rolled back');
      assert.equal(await count(handle, "name LIKE 'out-%'"), 50, "the outside writes were not rolled back with it");
    },
  },
  {
    name: 'serializes concurrent read-modify-write transactions without lost updates',
    async run({ handle }) {
      await handle.exec('CREATE TABLE counter (v INTEGER NOT NULL); INSERT INTO counter VALUES (0)');
      await Promise.all(
        Array.from({ length: 25 }, () =>
          handle.transaction(async (tx) => {
            const row = await tx.get<{ v: number }>('SELECT v FROM counter');
            await turns(1);
            await tx.run('UPDATE counter SET v = ?', [(row?.v ?? 0) + 1]);
          }),
        ),
      );
      assert.deepEqual(await handle.get('SELECT v FROM counter'), { v: 25 });
    },
  },
  {
    name: 'fails fast with ERR_RAPSQLITE_TRANSACTION_DEADLOCK when the callback writes through the outer handle',
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      const result = await handle.transaction(async (tx) => {
        await tx.run('INSERT INTO items (name) VALUES (?)', ['a']);
        await rejectsWithCode(handle.run('INSERT INTO items (name) VALUES (?)', ['b']), 'ERR_RAPSQLITE_TRANSACTION_DEADLOCK');
        await rejectsWithCode(handle.transaction(async () => 1), 'ERR_RAPSQLITE_TRANSACTION_DEADLOCK');
        return 'still usable';
      });
      assert.equal(result, 'still usable');
      assert.deepEqual(await handle.all('SELECT name FROM items'), [{ name: 'a' }]);
    },
  },
  {
    name: 'refuses a tx handle used after its callback settled with ERR_RAPSQLITE_TRANSACTION_CLOSED',
    async run({ handle }) {
      let leaked: Queryable | undefined;
      await handle.transaction(async (tx) => {
        leaked = tx;
      });
      assert.ok(leaked !== undefined);
      await rejectsWithCode(leaked.get('SELECT 1'), 'ERR_RAPSQLITE_TRANSACTION_CLOSED');
      await rejectsWithCode(leaked.run('SELECT 1'), 'ERR_RAPSQLITE_TRANSACTION_CLOSED');
    },
  },
  {
    name: 'sees its own uncommitted writes through every query method of tx',
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      await handle.transaction(async (tx) => {
        await tx.runMany('INSERT INTO items (name) VALUES (?)', [['a'], ['b']]);
        assert.deepEqual(await tx.get('SELECT count(*) AS n FROM items'), { n: 2 });
        assert.equal((await tx.all('SELECT * FROM items')).length, 2);
        assert.equal((await tx.values('SELECT * FROM items')).rows.length, 2);
        const streamed = [];
        for await (const row of tx.iterate('SELECT name FROM items ORDER BY id')) streamed.push(row);
        assert.deepEqual(streamed, [{ name: 'a' }, { name: 'b' }]);
        const stmt = await tx.prepare('SELECT name FROM items WHERE name = ?');
        assert.deepEqual(await stmt.get(['b']), { name: 'b' });
      });
    },
  },
];
