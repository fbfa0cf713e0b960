import assert from 'node:assert/strict';
import { ITEMS_SCHEMA, rejectsWithCode, type ConformanceCheck } from '../check.ts';

const SECRET = 'hunter2-secret-value';

/** Coded errors for bad input and SQLite failures, and a handle that survives them. */
export const errorChecks: readonly ConformanceCheck[] = [
  {
    name: 'rejects parameter values SQLite cannot bind with ERR_RAPSQLITE_PARAMETER_TYPE',
    async run({ handle }) {
      const bad: unknown[] = [new Date(0), true, undefined, { a: 1 }, Symbol('s'), () => 1];
      for (const value of bad) {
        await rejectsWithCode(handle.get('SELECT ? AS v', [value] as never), 'ERR_RAPSQLITE_PARAMETER_TYPE');
      }
      await rejectsWithCode(handle.get('SELECT :v AS v', { v: new Date(0) } as never), 'ERR_RAPSQLITE_PARAMETER_TYPE');
      await rejectsWithCode(handle.run('SELECT ?', [false] as never), 'ERR_RAPSQLITE_PARAMETER_TYPE');
    },
  },
  {
    name: 'rejects a wrong number of positional parameters with ERR_RAPSQLITE_PARAMETER_COUNT',
    async run({ handle }) {
      await rejectsWithCode(handle.get('SELECT ? AS a', [1, 2]), 'ERR_RAPSQLITE_PARAMETER_COUNT');
      await rejectsWithCode(handle.get('SELECT ? AS a, ? AS b', [1]), 'ERR_RAPSQLITE_PARAMETER_COUNT');
      await rejectsWithCode(handle.get('SELECT ? AS a', []), 'ERR_RAPSQLITE_PARAMETER_COUNT');
    },
  },
  {
    name: 'rejects a missing named parameter with ERR_RAPSQLITE_PARAMETER_MISSING',
    async run({ handle }) {
      await rejectsWithCode(handle.get('SELECT :a AS a, :b AS b', { a: 1 }), 'ERR_RAPSQLITE_PARAMETER_MISSING');
    },
  },
  {
    name: 'rejects an unknown named parameter with ERR_RAPSQLITE_PARAMETER_UNKNOWN',
    async run({ handle }) {
      await rejectsWithCode(handle.get('SELECT :a AS a', { a: 1, typo: 2 }), 'ERR_RAPSQLITE_PARAMETER_UNKNOWN');
    },
  },
  {
    name: 'rejects a syntax error with SQLITE_ERROR and the statement in sql, without bound values in the message',
    async run({ handle }) {
      const sql = 'SELEC * FROM nowhere WHERE x = ?';
      const err = await rejectsWithCode(handle.get(sql, [SECRET]), 'SQLITE_ERROR');
      assert.equal(err['sql'], sql);
      assert.ok(!err.message.includes(SECRET), 'the message does not contain bound values');
      await rejectsWithCode(handle.all('SELECT * FROM missing_table'), 'SQLITE_ERROR');
      await rejectsWithCode(handle.exec('CREATE TABLE ok (a); CREATE TABLE ok (a)'), 'SQLITE_ERROR');
    },
  },
  {
    name: "reports constraint failures with SQLite's extended codes",
    async run({ handle }) {
      await handle.exec(`${ITEMS_SCHEMA};
        CREATE TABLE parent (id INTEGER PRIMARY KEY);
        CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent (id));
        CREATE TABLE checked (v INTEGER CHECK (v > 0));`);
      await handle.run('INSERT INTO items (id, name) VALUES (1, ?)', [SECRET]);
      const unique = await rejectsWithCode(handle.run('INSERT INTO items (name) VALUES (?)', [SECRET]), 'SQLITE_CONSTRAINT_UNIQUE');
      assert.ok(!unique.message.includes(SECRET));
      await rejectsWithCode(handle.run('INSERT INTO items (id, name) VALUES (1, ?)', ['other']), 'SQLITE_CONSTRAINT_PRIMARYKEY');
      await rejectsWithCode(handle.run('INSERT INTO items (name) VALUES (NULL)'), 'SQLITE_CONSTRAINT_NOTNULL');
      await rejectsWithCode(handle.run('INSERT INTO checked (v) VALUES (0)'), 'SQLITE_CONSTRAINT_CHECK');
      await rejectsWithCode(handle.run('INSERT INTO child (parent) VALUES (7)'), 'SQLITE_CONSTRAINT_FOREIGNKEY');
      assert.deepEqual(await handle.get('SELECT count(*) AS n FROM items'), { n: 1 });
    },
  },
  {
    name: 'rejects get, all, values and iterate on a statement that returns no rows with ERR_RAPSQLITE_NOT_A_QUERY',
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      const sql = "INSERT INTO items (name) VALUES ('x')";
      await rejectsWithCode(handle.get(sql), 'ERR_RAPSQLITE_NOT_A_QUERY');
      await rejectsWithCode(handle.all(sql), 'ERR_RAPSQLITE_NOT_A_QUERY');
      await rejectsWithCode(handle.values(sql), 'ERR_RAPSQLITE_NOT_A_QUERY');
      await rejectsWithCode(handle.iterate(sql).next(), 'ERR_RAPSQLITE_NOT_A_QUERY');
      assert.deepEqual(await handle.get('SELECT count(*) AS n FROM items'), { n: 0 }, 'the refused statement did not run');
    },
  },
  {
    name: 'rejects non-string SQL with ERR_RAPSQLITE_INVALID_ARGUMENT',
    async run({ handle }) {
      await rejectsWithCode(handle.get(42 as never), 'ERR_RAPSQLITE_INVALID_ARGUMENT');
      await rejectsWithCode(handle.transaction('nope' as never), 'ERR_RAPSQLITE_INVALID_ARGUMENT');
    },
  },
  {
    name: 'keeps working after errors: nothing is lost or left half-open',
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      const attempts = await Promise.allSettled([
        handle.run('INSERT INTO items (name) VALUES (?)', ['a']),
        handle.run('INSERT INTO items (name) VALUES (?)', [new Date() as never]),
        handle.run('INSERT INTO itemz (name) VALUES (?)', ['b']),
        handle.run('INSERT INTO items (name) VALUES (?)', ['a']),
        handle.run('INSERT INTO items (name) VALUES (?)', ['c']),
      ]);
      assert.deepEqual(attempts.map((a) => a.status), ['fulfilled', 'rejected', 'rejected', 'rejected', 'fulfilled']);
      assert.deepEqual(await handle.all('SELECT name FROM items ORDER BY id'), [{ name: 'a' }, { name: 'c' }]);
      // No transaction was left open by a failure: an explicit one can start.
      assert.equal(await handle.transaction(async (tx) => (await tx.get<{ n: number }>('SELECT count(*) AS n FROM items'))?.n), 2);
    },
  },
  {
    name: 'rejects every call after close with ERR_RAPSQLITE_CLOSED, and close is idempotent',
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      await handle.close();
      await handle.close();
      await rejectsWithCode(handle.get('SELECT 1'), 'ERR_RAPSQLITE_CLOSED');
      await rejectsWithCode(handle.run('INSERT INTO items (name) VALUES (?)', ['x']), 'ERR_RAPSQLITE_CLOSED');
      await rejectsWithCode(handle.exec('SELECT 1'), 'ERR_RAPSQLITE_CLOSED');
      await rejectsWithCode(handle.runMany('INSERT INTO items (name) VALUES (?)', [['x']]), 'ERR_RAPSQLITE_CLOSED');
      await rejectsWithCode(handle.iterate('SELECT 1').next(), 'ERR_RAPSQLITE_CLOSED');
      await rejectsWithCode(handle.prepare('SELECT 1'), 'ERR_RAPSQLITE_CLOSED');
      await rejectsWithCode(handle.transaction(async () => 1), 'ERR_RAPSQLITE_CLOSED');
    },
  },
  {
    name: 'lets calls queued before close finish',
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      const writes = Array.from({ length: 20 }, (_, i) => handle.run('INSERT INTO items (name) VALUES (?)', [`q${i}`]));
      const closing = handle.close();
      const results = await Promise.allSettled(writes);
      await closing;
      assert.ok(results.every((r) => r.status === 'fulfilled'), 'every call made before close() completed');
    },
  },
  {
    name: 'gives errors a string code, a name, the sql property and a stack',
    async run({ handle }) {
      const err = await rejectsWithCode(handle.get('SELECT * FROM nope'), 'SQLITE_ERROR');
      assert.equal(typeof err.name, 'string');
      assert.equal(typeof err.stack, 'string');
      assert.equal(err['sql'], 'SELECT * FROM nope');
    },
  },
];
