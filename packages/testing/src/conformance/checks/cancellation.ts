import assert from 'node:assert/strict';
import { ITEMS_SCHEMA, rejectsWithCode, turns, type ConformanceCheck } from '../check.ts';

/** A query that keeps SQLite busy for seconds: far longer than any deadline these checks set. */
const SLOW = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000000) SELECT count(*) AS n FROM c';

/** Cancellation through `signal` and `timeoutMs`. */
export const cancellationChecks: readonly ConformanceCheck[] = [
  {
    name: 'rejects a call whose signal is already aborted with ERR_RAPSQLITE_ABORTED, without running it',
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      await rejectsWithCode(handle.run('INSERT INTO items (name) VALUES (?)', ['x'], { signal: AbortSignal.abort() }), 'ERR_RAPSQLITE_ABORTED');
      await rejectsWithCode(handle.transaction(async () => 1, { signal: AbortSignal.abort() }), 'ERR_RAPSQLITE_ABORTED');
      assert.deepEqual(await handle.get('SELECT count(*) AS n FROM items'), { n: 0 });
    },
  },
  {
    name: 'drops a queued call when its signal aborts, and it never runs',
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const held = handle.transaction(async (tx) => {
        await tx.run('INSERT INTO items (name) VALUES (?)', ['in-tx']);
        await gate;
      });
      await turns(3);
      const controller = new AbortController();
      const queued = handle.run('INSERT INTO items (name) VALUES (?)', ['queued'], { signal: controller.signal });
      controller.abort();
      await rejectsWithCode(queued, 'ERR_RAPSQLITE_ABORTED');
      release();
      await held;
      assert.deepEqual(await handle.all('SELECT name FROM items'), [{ name: 'in-tx' }]);
    },
  },
  {
    name: 'stops a running query at its timeoutMs with ERR_RAPSQLITE_TIMEOUT and stays usable',
    async run({ handle }) {
      await handle.exec(`${ITEMS_SCHEMA}; INSERT INTO items (name) VALUES ('kept')`);
      await rejectsWithCode(handle.get(SLOW, [], { timeoutMs: 50 }), 'ERR_RAPSQLITE_TIMEOUT');
      assert.deepEqual(await handle.all('SELECT name FROM items'), [{ name: 'kept' }]);
    },
  },
  {
    name: 'stops a running query when its signal aborts with ERR_RAPSQLITE_ABORTED',
    async run({ handle }) {
      const controller = new AbortController();
      const running = handle.get(SLOW, [], { signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      await rejectsWithCode(running, 'ERR_RAPSQLITE_ABORTED');
      assert.deepEqual(await handle.get('SELECT 1 AS ok'), { ok: 1 });
    },
  },
  {
    name: 'rolls back a transaction that passes its timeoutMs',
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      await rejectsWithCode(
        handle.transaction(
          async (tx) => {
            await tx.run('INSERT INTO items (name) VALUES (?)', ['doomed']);
            await tx.get(SLOW);
          },
          { timeoutMs: 50 },
        ),
        'ERR_RAPSQLITE_TIMEOUT',
      );
      assert.deepEqual(await handle.get('SELECT count(*) AS n FROM items'), { n: 0 });
    },
  },
];
