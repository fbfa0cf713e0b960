import assert from 'node:assert/strict';
import { ITEMS_SCHEMA, rejectsWithCode, type ConformanceCheck } from '../check.ts';

const BEYOND_SAFE = 9007199254740997n; // 2^53 + 5: not representable as a number

/** Results and value types of every query method. */
export const resultChecks: readonly ConformanceCheck[] = [
  {
    name: 'runs a multi-statement script with exec and resolves with undefined',
    async run({ handle }) {
      const result = await handle.exec(`${ITEMS_SCHEMA}; INSERT INTO items (name) VALUES ('a'); INSERT INTO items (name) VALUES ('b');`);
      assert.equal(result, undefined);
      assert.deepEqual(await handle.all('SELECT name FROM items ORDER BY id'), [{ name: 'a' }, { name: 'b' }]);
    },
  },
  {
    name: 'reports changes and lastInsertRowid from run',
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      const first = await handle.run('INSERT INTO items (name, qty) VALUES (?, ?)', ['a', 1]);
      assert.deepEqual({ ...first }, { changes: 1, lastInsertRowid: 1 });
      await handle.run('INSERT INTO items (name, qty) VALUES (?, ?)', ['b', 1]);
      const update = await handle.run('UPDATE items SET qty = qty + 1');
      assert.equal(update.changes, 2);
      const none = await handle.run('DELETE FROM items WHERE id = ?', [99]);
      assert.equal(none.changes, 0);
    },
  },
  {
    name: 'returns the first row from get, or undefined when there is none',
    async run({ handle }) {
      await handle.exec(`${ITEMS_SCHEMA}; INSERT INTO items (name, qty) VALUES ('a', 1), ('b', 2)`);
      assert.deepEqual(await handle.get('SELECT name, qty FROM items ORDER BY id'), { name: 'a', qty: 1 });
      assert.equal(await handle.get('SELECT * FROM items WHERE id = ?', [42]), undefined);
    },
  },
  {
    name: 'returns every row from all, in order, and an empty array for no rows',
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      await handle.runMany('INSERT INTO items (name, qty) VALUES (?, ?)', Array.from({ length: 700 }, (_, i) => [`n${i}`, i]));
      const rows = await handle.all<{ id: number; qty: number }>('SELECT id, qty FROM items ORDER BY id');
      assert.equal(rows.length, 700);
      assert.ok(rows.every((row, i) => row.id === i + 1 && row.qty === i));
      assert.deepEqual(await handle.all('SELECT * FROM items WHERE id < 0'), []);
    },
  },
  {
    name: 'returns array rows and column metadata from values',
    async run({ handle }) {
      await handle.exec(`${ITEMS_SCHEMA}; INSERT INTO items (name, qty) VALUES ('a', 7)`);
      const { columns, rows } = await handle.values('SELECT id, name AS label, qty * 2 AS double FROM items');
      assert.deepEqual(rows, [[1, 'a', 14]]);
      assert.deepEqual(
        columns.map((c) => ({ ...c })),
        [
          { name: 'id', type: 'INTEGER', table: 'items', column: 'id', database: 'main' },
          { name: 'label', type: 'TEXT', table: 'items', column: 'name', database: 'main' },
          { name: 'double', type: null, table: null, column: null, database: null },
        ],
      );
    },
  },
  {
    name: 'binds positional arrays, a single value and named objects with :x, @x and $x',
    async run({ handle }) {
      assert.deepEqual(await handle.get('SELECT ? AS a, ? AS b', [1, 'two']), { a: 1, b: 'two' });
      assert.deepEqual(await handle.get('SELECT ? AS a', 5), { a: 5 });
      assert.deepEqual(await handle.get('SELECT ?2 AS b, ?1 AS a', ['x', 'y']), { b: 'y', a: 'x' });
      assert.deepEqual(await handle.get('SELECT :x AS x, @y AS y, $z AS z', { x: 1, y: 2, z: 3 }), { x: 1, y: 2, z: 3 });
      assert.deepEqual(await handle.get('SELECT :x AS a, :x AS b', { x: 'same' }), { a: 'same', b: 'same' });
    },
  },
  {
    name: 'round-trips null, integers, reals, text with any characters and bigint',
    async run({ handle }) {
      await handle.exec('CREATE TABLE v (a, b INTEGER, c REAL, d TEXT, e)');
      const text = 'héllo \u0000 wörld 🦊 \'"';
      await handle.run('INSERT INTO v VALUES (?, ?, ?, ?, ?)', [null, -42, 1.5, text, 123n]);
      assert.deepEqual(await handle.get('SELECT * FROM v'), { a: null, b: -42, c: 1.5, d: text, e: 123 });
      // A bigint always binds as an INTEGER; a number may bind as a REAL (better-sqlite3 does), so only typed
      // columns are checked for numbers.
      assert.deepEqual(await handle.get('SELECT typeof(a) AS a, typeof(b) AS b, typeof(c) AS c, typeof(d) AS d, typeof(e) AS e FROM v'), {
        a: 'null',
        b: 'integer',
        c: 'real',
        d: 'text',
        e: 'integer',
      });
    },
  },
  {
    name: 'returns BLOBs as Buffers, whether bound as a Buffer or a Uint8Array',
    async run({ handle }) {
      await handle.exec(ITEMS_SCHEMA);
      const bytes = Buffer.from([0, 1, 2, 250, 255]);
      await handle.run('INSERT INTO items (name, data) VALUES (?, ?)', ['buffer', bytes]);
      await handle.run('INSERT INTO items (name, data) VALUES (?, ?)', ['u8', new Uint8Array([9, 8, 7])]);
      await handle.run('INSERT INTO items (name, data) VALUES (?, ?)', ['empty', Buffer.alloc(0)]);
      const rows = await handle.all<{ data: unknown }>('SELECT data FROM items ORDER BY id');
      for (const row of rows) assert.ok(Buffer.isBuffer(row.data), 'BLOB cells are Buffers');
      assert.deepEqual(rows.map((r) => [...(r.data as Buffer)]), [[0, 1, 2, 250, 255], [9, 8, 7], []]);
      const { rows: arrays } = await handle.values('SELECT data FROM items WHERE name = ?', ['buffer']);
      assert.ok(Buffer.isBuffer(arrays[0]?.[0]));
      const one = await handle.get<{ data: unknown }>('SELECT data FROM items WHERE name = ?', ['u8']);
      assert.ok(Buffer.isBuffer(one?.data));
    },
  },
  {
    name: 'returns integers as numbers by default and refuses one beyond 2^53 with ERR_RAPSQLITE_INTEGER_OVERFLOW',
    async run({ handle }) {
      await handle.exec('CREATE TABLE n (id INTEGER PRIMARY KEY, v INTEGER)');
      await handle.run('INSERT INTO n (id, v) VALUES (1, ?)', [Number.MAX_SAFE_INTEGER]);
      await handle.run('INSERT INTO n (id, v) VALUES (2, ?)', [BEYOND_SAFE]);
      const safe = await handle.get<{ v: unknown }>('SELECT v FROM n WHERE id = 1');
      assert.equal(safe?.v, Number.MAX_SAFE_INTEGER);
      await rejectsWithCode(handle.get('SELECT v FROM n WHERE id = 2'), 'ERR_RAPSQLITE_INTEGER_OVERFLOW');
      await rejectsWithCode(handle.all('SELECT v FROM n'), 'ERR_RAPSQLITE_INTEGER_OVERFLOW');
      // The handle is still usable after the refusal.
      assert.deepEqual(await handle.get('SELECT count(*) AS c FROM n'), { c: 2 });
    },
  },
  {
    name: "returns bigints with integers: 'bigint' and only unsafe ones with 'auto', per call",
    async run({ handle }) {
      await handle.exec('CREATE TABLE n (id INTEGER PRIMARY KEY, v INTEGER)');
      await handle.run('INSERT INTO n (id, v) VALUES (1, 10), (2, ?)', [BEYOND_SAFE]);
      assert.deepEqual(await handle.all('SELECT v FROM n ORDER BY id', [], { integers: 'bigint' }), [{ v: 10n }, { v: BEYOND_SAFE }]);
      assert.deepEqual(await handle.all('SELECT v FROM n ORDER BY id', [], { integers: 'auto' }), [{ v: 10 }, { v: BEYOND_SAFE }]);
      const { rows } = await handle.values('SELECT v FROM n WHERE id = 2', [], { integers: 'auto' });
      assert.deepEqual(rows, [[BEYOND_SAFE]]);
    },
  },
  {
    name: 'reports a lastInsertRowid beyond 2^53 as a bigint',
    async run({ handle }) {
      await handle.exec('CREATE TABLE n (id INTEGER PRIMARY KEY)');
      const { lastInsertRowid } = await handle.run('INSERT INTO n (id) VALUES (?)', [BEYOND_SAFE]);
      assert.equal(lastInsertRowid, BEYOND_SAFE);
    },
  },
  {
    name: 'makes hostile column names such as __proto__ and constructor plain own properties',
    async run({ handle }) {
      const sql = 'SELECT 1 AS "__proto__", 2 AS "constructor", 3 AS "hasOwnProperty", 4 AS "toString"';
      for (const row of [await handle.get<Record<string, unknown>>(sql), ...(await handle.all<Record<string, unknown>>(sql))]) {
        assert.ok(row !== undefined);
        assert.deepEqual(Object.keys(row), ['__proto__', 'constructor', 'hasOwnProperty', 'toString']);
        assert.equal(Object.getOwnPropertyDescriptor(row, '__proto__')?.value, 1);
        assert.equal(row['constructor'], 2);
        assert.equal(Object.getPrototypeOf(row), Object.prototype, 'the prototype is not replaced');
        assert.equal(Object.prototype.hasOwnProperty.call(row, 'hasOwnProperty'), true);
      }
      for await (const row of handle.iterate<Record<string, unknown>>(sql)) {
        assert.equal(Object.getOwnPropertyDescriptor(row, '__proto__')?.value, 1);
        assert.equal(Object.getPrototypeOf(row), Object.prototype);
      }
      assert.equal(({} as Record<string, unknown>)['constructor'], Object, 'Object.prototype is untouched');
    },
  },
  {
    name: 'keeps the last of duplicate column names',
    async run({ handle }) {
      assert.deepEqual(await handle.get('SELECT 1 AS x, 2 AS x'), { x: 2 });
      const { rows, columns } = await handle.values('SELECT 1 AS x, 2 AS x');
      assert.deepEqual(rows, [[1, 2]]);
      assert.equal(columns.length, 2);
    },
  },
];
