import assert from 'node:assert/strict';
import type { Middleware, Operation } from '@rapsqlite/engine';
import { ITEMS_SCHEMA, rejectsWithCode, type ConformanceCheck } from '../check.ts';

interface Seen {
  readonly kind: string;
  readonly sql: string;
  readonly depth: number | undefined;
  readonly txDepth: number | undefined;
}

function spy(seen: Seen[]): Middleware {
  return {
    name: 'conformance-spy',
    wrap: (next) => (op) => {
      seen.push({ kind: op.kind, sql: op.sql, depth: op.kind === 'transaction' ? op.depth : undefined, txDepth: op.transaction?.depth });
      return next(op);
    },
  };
}

/** What middleware sees, and what it may do. */
export const middlewareChecks: readonly ConformanceCheck[] = [
  {
    name: 'shows every query method to middleware with its kind and SQL',
    async run({ handle }) {
      const seen: Seen[] = [];
      const db = handle.with(spy(seen));
      await db.exec(ITEMS_SCHEMA);
      await db.run('INSERT INTO items (name) VALUES (?)', ['a']);
      await db.runMany('INSERT INTO items (name) VALUES (?)', [['b']]);
      await db.get('SELECT 1 AS one');
      await db.all('SELECT 2 AS two');
      await db.values('SELECT 3 AS three');
      for await (const _row of db.iterate('SELECT 4 AS four')) void _row;
      const stmt = await db.prepare('SELECT 5 AS five');
      await stmt.get();
      assert.deepEqual(
        seen.map((s) => [s.kind, s.sql]),
        [
          ['exec', ITEMS_SCHEMA],
          ['run', 'INSERT INTO items (name) VALUES (?)'],
          ['runMany', 'INSERT INTO items (name) VALUES (?)'],
          ['get', 'SELECT 1 AS one'],
          ['all', 'SELECT 2 AS two'],
          ['values', 'SELECT 3 AS three'],
          ['iterate', 'SELECT 4 AS four'],
          ['prepare', 'SELECT 5 AS five'],
          ['get', 'SELECT 5 AS five'],
        ],
      );
    },
  },
  {
    name: 'shows a transaction as one operation around BEGIN, its statements and COMMIT, with depth for savepoints',
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      const seen: Seen[] = [];
      const db = handle.with(spy(seen));
      await db.transaction(async (tx) => {
        await tx.run('INSERT INTO items (name) VALUES (?)', ['a']);
        await tx.transaction((inner) => inner.get('SELECT 1 AS one'));
        await tx.transaction(() => Promise.reject(new Error('undo savepoint'))).catch(() => undefined);
      });
      await db.transaction(() => Promise.reject(new Error('undo all'))).catch(() => undefined);
      const kinds = seen.map((s) => `${s.kind}:${s.depth ?? '-'}:${s.txDepth ?? '-'}`);
      assert.deepEqual(kinds, [
        'transaction:0:-',
        'begin:-:0',
        'run:-:0',
        'transaction:1:0',
        'savepoint:-:1',
        'get:-:1',
        'release:-:1',
        'transaction:1:0',
        'savepoint:-:1',
        'rollbackTo:-:1',
        'release:-:1',
        'commit:-:0',
        'transaction:0:-',
        'begin:-:0',
        'rollback:-:0',
      ]);
    },
  },
  {
    name: 'gives every operation its own attributes bag, shared by the middleware along the chain',
    async run({ handle }) {
      const bags: Array<Record<string, unknown>> = [];
      const outer: Middleware = {
        name: 'outer',
        wrap: (next) => (op) => {
          op.attributes['conformance.mark'] = op.sql;
          return next(op);
        },
      };
      const inner: Middleware = {
        name: 'inner',
        wrap: (next) => (op) => {
          bags.push(op.attributes);
          assert.equal(op.attributes['conformance.mark'], op.sql);
          return next(op);
        },
      };
      const db = handle.with(outer, inner);
      await db.get('SELECT 1');
      await db.get('SELECT 2');
      assert.equal(bags.length, 2);
      assert.notEqual(bags[0], bags[1]);
    },
  },
  {
    name: 'runs middleware in registration order, first registered outermost',
    async run({ handle }) {
      const order: string[] = [];
      const mark = (name: string): Middleware => ({
        name,
        wrap: (next) => async (op) => {
          order.push(`${name}>`);
          try {
            return await next(op);
          } finally {
            order.push(`<${name}`);
          }
        },
      });
      await handle.with(mark('a'), mark('b'), mark('c')).get('SELECT 1');
      assert.deepEqual(order, ['a>', 'b>', 'c>', '<c', '<b', '<a']);
    },
  },
  {
    name: 'fills in the connection that ran an operation by the time next settles',
    async run({ handle }) {
      const connections: Array<Operation['connection']> = [];
      const db = handle.with({
        name: 'connection-spy',
        wrap: (next) => async (op) => {
          const result = await next(op);
          connections.push(op.connection);
          return result;
        },
      });
      await db.exec(ITEMS_SCHEMA);
      await db.get('SELECT 1');
      await db.run('INSERT INTO items (name) VALUES (?)', ['x']);
      for (const connection of connections) {
        assert.ok(connection !== undefined);
        assert.ok(connection.role === 'writer' || connection.role === 'reader');
        assert.equal(typeof connection.id, 'number');
        assert.equal(typeof connection.path, 'string');
      }
    },
  },
  {
    name: 'lets middleware answer without touching SQLite',
    async run({ handle }) {
      const db = handle.with({
        name: 'canned',
        wrap: (next) => (op) => (op.sql === 'SELECT * FROM imaginary' ? Promise.resolve([{ id: 1 }]) : next(op)),
      });
      assert.deepEqual(await db.all('SELECT * FROM imaginary'), [{ id: 1 }]);
      await rejectsWithCode(handle.all('SELECT * FROM imaginary'), 'SQLITE_ERROR');
    },
  },
  {
    name: 'lets middleware rewrite the SQL and parameters before calling next',
    async run({ handle }) {
      const db = handle.with({
        name: 'rewrite',
        wrap: (next) => (op) => {
          if (op.kind === 'get') {
            op.sql = 'SELECT ? * 10 AS v';
            op.params = [4];
          }
          return next(op);
        },
      });
      assert.deepEqual(await db.get('SELECT ? AS v', [1]), { v: 40 });
    },
  },
  {
    name: 'passes SQLite errors through middleware with their code, and turns a middleware throw into a rejection',
    async run({ handle }) {
      const codes: string[] = [];
      const db = handle.with({
        name: 'error-spy',
        wrap: (next) => async (op) => {
          try {
            return await next(op);
          } catch (err) {
            codes.push((err as { code: string }).code);
            throw err;
          }
        },
      });
      await rejectsWithCode(db.get('SELECT * FROM nope'), 'SQLITE_ERROR');
      assert.deepEqual(codes, ['SQLITE_ERROR']);
      const thrower = handle.with({
        name: 'thrower',
        wrap: () => () => {
          throw Object.assign(new Error('refused'), { code: 'TEST_REFUSED' });
        },
      });
      await rejectsWithCode(thrower.get('SELECT 1'), 'TEST_REFUSED');
    },
  },
  {
    name: 'reruns the whole transaction from BEGIN when middleware calls next again',
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      const seen: Seen[] = [];
      const rerun: Middleware = {
        name: 'rerun-once',
        wrap: (next) => async (op) => {
          if (op.kind !== 'transaction' || op.depth !== 0) return next(op);
          try {
            return await next(op);
          } catch (err) {
            if ((err as { code?: string }).code !== 'TEST_AGAIN') throw err;
            return next(op);
          }
        },
      };
      const db = handle.with(rerun, spy(seen));
      let calls = 0;
      const result = await db.transaction(async (tx) => {
        calls++;
        await tx.run('INSERT INTO items (name) VALUES (?)', [`attempt-${calls}`]);
        if (calls === 1) throw Object.assign(new Error('again'), { code: 'TEST_AGAIN' });
        return calls;
      });
      assert.equal(result, 2);
      assert.deepEqual(await handle.all('SELECT name FROM items'), [{ name: 'attempt-2' }]);
      assert.deepEqual(
        seen.map((s) => s.kind),
        ['transaction', 'begin', 'run', 'rollback', 'transaction', 'begin', 'run', 'commit'],
      );
    },
  },
  {
    name: 'leaves the original handle without the middleware added by with()',
    async run({ handle }) {
      const seen: Seen[] = [];
      const scoped = handle.with(spy(seen));
      await handle.get('SELECT 1');
      await scoped.get('SELECT 2');
      assert.deepEqual(seen.map((s) => s.sql), ['SELECT 2']);
    },
  },
];
