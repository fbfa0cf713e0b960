import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inspect } from 'node:util';
import { Worker } from 'node:worker_threads';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { companionUnavailableReason, loadCompanion, type Companion } from '../../src/native/companion.ts';
import { SERVING, STOP, type FastWorkerReply, type FastWorkerRequest } from './fixtures/fast-protocol.ts';

const RUN = 0;
const GET = 1;
const ALL = 2;
const NUMBER = 0;
const AUTO = 1;
const BIGINT = 2;

const MAX = 2 ** 53 - 1;
const OVERFLOW_MESSAGE = (column: string) =>
  `Column "${column}" holds an integer beyond ±(2^53−1); read it with { integers: 'bigint' } or 'auto'`;

interface Outcome {
  readonly slot: number;
  readonly status: number;
  readonly payload: unknown;
  readonly inTransaction: boolean;
}

interface BetterSqlite3 {
  prepare(sql: string): { get(...params: unknown[]): unknown; all(...params: unknown[]): unknown[] };
  exec(sql: string): void;
  close(): void;
}

const disabled = process.env['RAPSQLITE_NO_COMPANION'] === '1';

/** A worker serving the fast path on one connection (fixtures/fast-worker.ts). */
interface FastWorker {
  readonly slot: number;
  readonly path: string;
  call(request: FastWorkerRequest): Promise<unknown>;
  /** Starts the fastServe loop and resolves once the owner accepts requests. */
  serve(options?: { spinMicros?: number; maxMs?: number }): Promise<void>;
  /** Stops the loop (stop flag, then a kick) and resolves with every fastServe result. */
  stop(): Promise<number[]>;
  terminate(): Promise<void>;
}

describe.skipIf(disabled)('native fast path', () => {
  let companion: Companion;
  let directory: string;
  let dbCount = 0;
  let nextId = 1;
  const workers: FastWorker[] = [];
  const waiting = new Map<number, (outcome: Outcome) => void>();
  /** Every reply received, in order: [id, status]. */
  const received: Array<[number, number]> = [];

  function onReply(slot: number, id: number, status: number, payload: unknown, inTransaction: boolean): void {
    received.push([id, status]);
    const resolve = waiting.get(id);
    waiting.delete(id);
    resolve?.({ slot, status, payload, inTransaction });
  }

  /** Submits a request; undefined when fastSubmit returned false. */
  function submit(
    slot: number,
    kind: number,
    sql: string,
    params?: readonly unknown[],
    mode = NUMBER,
    id = nextId++,
  ): Promise<Outcome> | undefined {
    const outcome = new Promise<Outcome>((resolve) => waiting.set(id, resolve));
    if (!companion.fastSubmit(slot, id, kind, sql, params, mode)) {
      waiting.delete(id);
      return undefined;
    }
    return outcome;
  }

  /** Submits a request that must be accepted and resolves with its outcome. */
  async function fast(slot: number, kind: number, sql: string, params?: readonly unknown[], mode = NUMBER) {
    const outcome = submit(slot, kind, sql, params, mode);
    if (outcome === undefined) throw new Error(`fastSubmit refused ${sql}`);
    return outcome;
  }

  /** An ok result's payload (fails the test on any other status). */
  async function ok(slot: number, kind: number, sql: string, params?: readonly unknown[], mode = NUMBER) {
    const outcome = await fast(slot, kind, sql, params, mode);
    expect(outcome.status, inspect(outcome.payload)).toBe(0);
    return outcome.payload;
  }

  async function startFastWorker(path = join(directory, `fast-${++dbCount}.sqlite`)): Promise<FastWorker> {
    const worker = new Worker(new URL('./fixtures/fast-worker.ts', import.meta.url), { workerData: { path } });
    const replies: Array<(reply: FastWorkerReply) => void> = [];
    const slot = await new Promise<number>((resolve, reject) => {
      worker.once('error', reject);
      worker.once('message', (reply: FastWorkerReply) => {
        worker.off('error', reject);
        if (reply.type === 'ready') resolve(reply.slot);
        else reject(new Error(`unexpected first message ${reply.type}`));
      });
    });
    worker.on('message', (reply: FastWorkerReply) => replies.shift()?.(reply));
    const call = (request: FastWorkerRequest) =>
      new Promise<unknown>((resolve, reject) => {
        replies.push((reply) => {
          if (reply.type === 'ok') resolve(reply.result);
          else if (reply.type === 'error') reject(Object.assign(new Error(reply.message), { code: reply.code }));
        });
        worker.postMessage(request);
      });
    let control: Int32Array | undefined;
    let served: Promise<unknown> | undefined;
    const handle: FastWorker = {
      slot,
      path,
      call,
      async serve({ spinMicros = 50, maxMs = 100 } = {}) {
        const buffer = new SharedArrayBuffer(8);
        control = new Int32Array(buffer);
        served = call({ op: 'serve', control: buffer, spinMicros, maxMs });
        // Accepted once a probe is queued: the owner is inside fastServe.
        for (;;) {
          const probe = submit(slot, GET, 'SELECT 1 AS probe');
          if (probe !== undefined) {
            expect((await probe).payload).toEqual({ probe: 1 });
            return;
          }
          await sleep(1);
        }
      },
      async stop() {
        Atomics.store(control!, STOP, 1);
        companion.fastKick(slot);
        return (await served) as number[];
      },
      async terminate() {
        if (control !== undefined && Atomics.load(control, STOP) === 0) await handle.stop();
        await worker.terminate();
      },
    };
    workers.push(handle);
    return handle;
  }

  beforeAll(() => {
    const loaded = loadCompanion();
    if (loaded === undefined) {
      throw new Error(`native companion unavailable: ${companionUnavailableReason()} (build it: node native/build.mjs)`);
    }
    companion = loaded;
    companion.fastInit(onReply);
    directory = mkdtempSync(join(tmpdir(), 'rapsqlite-fast-'));
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.terminate()));
  });

  afterAll(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it('accepts nothing while the owner is not serving, and serves only on the owner thread', async () => {
    const w = await startFastWorker();
    expect(companion.fastSubmit(w.slot, nextId++, GET, 'SELECT 1', undefined, NUMBER)).toBe(false);
    expect(companion.fastKick(w.slot)).toBe(false);
    expect(() => companion.fastServe(w.slot, 0, 10)).toThrow(expect.objectContaining({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' }));
    // Each thread has its own channel for the replies to what it submits: a second thread makes one.
    await expect(w.call({ op: 'fastInit' })).resolves.toBeNull();
    // The same thread again: a no-op.
    companion.fastInit(onReply);

    await w.serve();
    expect(companion.fastSubmit(w.slot + 1, nextId++, GET, 'SELECT 1', undefined, NUMBER)).toBe(false);
    const results = await w.stop();
    expect(results.at(-1)).toBe(1);
    expect(companion.fastSubmit(w.slot, nextId++, GET, 'SELECT 1', undefined, NUMBER)).toBe(false);
  });

  it('throws for arguments of the wrong type, and refuses parameters it does not bind', async () => {
    const w = await startFastWorker();
    await w.serve();
    const invalid = expect.objectContaining({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
    const bad = (...args: unknown[]) => () =>
      (companion.fastSubmit as (...a: unknown[]) => boolean)(...args);
    expect(bad('1', 1, GET, 'SELECT 1', undefined, NUMBER)).toThrow(invalid);
    expect(bad(w.slot, 0, GET, 'SELECT 1', undefined, NUMBER)).toThrow(invalid);
    expect(bad(w.slot, 1.5, GET, 'SELECT 1', undefined, NUMBER)).toThrow(invalid);
    expect(bad(w.slot, 1, '1', 'SELECT 1', undefined, NUMBER)).toThrow(invalid);
    expect(bad(w.slot, 1, GET, 42, undefined, NUMBER)).toThrow(invalid);
    expect(bad(w.slot, 1, GET, 'SELECT 1', undefined, 'number')).toThrow(invalid);
    expect(() => companion.fastKick('x' as unknown as number)).toThrow(invalid);
    for (const params of [
      [true],
      [undefined],
      [{}],
      [new Int16Array(2)],
      [2n ** 63n],
      [-(2n ** 63n) - 1n],
      [Symbol('x')],
    ]) {
      expect(companion.fastSubmit(w.slot, nextId++, GET, 'SELECT ? AS v', params, NUMBER)).toBe(false);
    }
    expect(companion.fastSubmit(w.slot, nextId++, GET, 'SELECT 1', null as unknown as undefined, NUMBER)).toBe(false);
    // Nothing was queued by the refusals: the next request is answered as usual.
    expect(await ok(w.slot, GET, 'SELECT ? AS v', [2n ** 63n - 1n], BIGINT)).toEqual({ v: 2n ** 63n - 1n });
  });

  it('runs get, all and run on a real file, with every value type', async () => {
    const w = await startFastWorker();
    await w.call({
      op: 'exec',
      sql: `CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
            CREATE TABLE books (id INTEGER PRIMARY KEY, author INTEGER NOT NULL REFERENCES authors(id),
                                title TEXT, price REAL, cover BLOB, notes TEXT);`,
    });
    await w.serve();
    expect(await ok(w.slot, RUN, 'INSERT INTO authors (name) VALUES (?)', ['Ursula'])).toEqual([1, 1]);
    expect(await ok(w.slot, RUN, 'INSERT INTO authors (name) VALUES (?)', ['Ted Chiang'])).toEqual([1, 2]);
    const cover = Buffer.from([0, 1, 2, 254, 255]);
    expect(
      await ok(w.slot, RUN, 'INSERT INTO books (author, title, price, cover, notes) VALUES (?, ?, ?, ?, ?)', [
        1,
        'Les dépossédés — 日本語 🎉',
        12.5,
        cover,
        null,
      ]),
    ).toEqual([1, 1]);
    expect(
      await ok(w.slot, RUN, 'INSERT INTO books (author, title, price, cover, notes) VALUES (?, ?, ?, ?, ?)', [
        2n,
        '',
        3,
        new Uint8Array(0),
        'x',
      ]),
    ).toEqual([1, 2]);

    const first = (await ok(
      w.slot,
      GET,
      'SELECT b.id, a.name, b.title, b.price, b.cover, b.notes, typeof(b.price) AS t FROM books b JOIN authors a ON a.id = b.author WHERE b.id = ?',
      [1],
    )) as Record<string, unknown>;
    expect(first).toEqual({
      id: 1,
      name: 'Ursula',
      title: 'Les dépossédés — 日本語 🎉',
      price: 12.5,
      cover,
      notes: null,
      t: 'real',
    });
    expect(Object.keys(first)).toEqual(['id', 'name', 'title', 'price', 'cover', 'notes', 't']);
    expect(Buffer.isBuffer(first['cover'])).toBe(true);

    const second = (await ok(w.slot, GET, 'SELECT cover, typeof(cover) AS t, title, price FROM books WHERE id = 2')) as Record<string, unknown>;
    // An empty Uint8Array binds as an empty blob, not NULL, and reads back as an empty Buffer.
    expect(second).toEqual({ cover: Buffer.alloc(0), t: 'blob', title: '', price: 3 });
    expect(Buffer.isBuffer(second['cover'])).toBe(true);

    expect(await ok(w.slot, GET, 'SELECT * FROM books WHERE id = ?', [99])).toBeUndefined();
    expect(await ok(w.slot, ALL, 'SELECT id FROM books WHERE id > ?', [99])).toEqual([]);
    expect(await ok(w.slot, ALL, 'SELECT a.name, count(b.id) AS n FROM authors a LEFT JOIN books b ON b.author = a.id GROUP BY a.id ORDER BY a.id')).toEqual([
      { name: 'Ursula', n: 1 },
      { name: 'Ted Chiang', n: 1 },
    ]);
    // Duplicate names: one property, the last column's value, in the first one's place.
    const duplicate = (await ok(w.slot, GET, 'SELECT 1 AS a, 2 AS b, 3 AS a')) as Record<string, unknown>;
    expect(duplicate).toEqual({ a: 3, b: 2 });
    expect(Object.keys(duplicate)).toEqual(['a', 'b']);
    // Numbered parameters bind by their number, as the engine binds an array to them.
    expect(await ok(w.slot, GET, 'SELECT ?2 AS b, ?1 AS a, ?2 AS c', ['one', 'two'])).toEqual({ b: 'two', a: 'one', c: 'two' });
    // A trailing semicolon and comments are one statement, as better-sqlite3 has it.
    expect(await ok(w.slot, GET, 'SELECT 7 AS v; -- done\n /* really */ ;')).toEqual({ v: 7 });
    expect(await ok(w.slot, ALL, 'INSERT INTO authors (name) VALUES (?), (?) RETURNING id, name', ['Le Guin', 'Butler'])).toEqual([
      { id: 3, name: 'Le Guin' },
      { id: 4, name: 'Butler' },
    ]);
    expect(await ok(w.slot, RUN, 'UPDATE books SET price = price * 2')).toEqual([2, 4]);
    // better-sqlite3's count: a statement that changes nothing reports 0, not the last write's count.
    expect(await ok(w.slot, RUN, 'DELETE FROM books WHERE id = 99')).toEqual([0, 4]);
    await w.stop();
    // The worker's own connection sees every write.
    expect(await w.call({ op: 'all', sql: 'SELECT id, price FROM books ORDER BY id' })).toEqual([
      { id: 1n, price: 25 },
      { id: 2n, price: 6 },
    ]);
  });

  it('converts integers at the ±2^53 edges as each mode wants', async () => {
    const w = await startFastWorker();
    await w.call({ op: 'exec', sql: 'CREATE TABLE n (k INTEGER PRIMARY KEY, v INTEGER)' });
    await w.serve();
    const values = [MAX, -MAX, 2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n), 0];
    for (const [i, v] of values.entries()) {
      expect(await ok(w.slot, RUN, 'INSERT INTO n (k, v) VALUES (?, ?)', [i + 1, typeof v === 'number' ? BigInt(v) : v])).toEqual([1, i + 1]);
    }
    const rows = (mode: number) => ok(w.slot, ALL, 'SELECT v FROM n ORDER BY k', undefined, mode);
    expect(await rows(BIGINT)).toEqual(values.map((v) => ({ v: BigInt(v) })));
    expect(await rows(AUTO)).toEqual([MAX, -MAX, 2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n), 0].map((v) => ({ v })));
    expect(await ok(w.slot, ALL, 'SELECT v FROM n WHERE k IN (1, 2, 7) ORDER BY k')).toEqual([{ v: MAX }, { v: -MAX }, { v: 0 }]);
    // Mode number: never a silently wrong value.
    for (const k of [3, 4, 5, 6]) {
      const outcome = await fast(w.slot, GET, 'SELECT k AS key, v AS big FROM n WHERE k = ?', [k], NUMBER);
      expect(outcome.status).toBe(1);
      expect(outcome.payload).toEqual({ code: 'ERR_RAPSQLITE_INTEGER_OVERFLOW', message: OVERFLOW_MESSAGE('big') });
    }
    const all = await fast(w.slot, ALL, 'SELECT v AS "wide é" FROM n ORDER BY k', undefined, NUMBER);
    expect(all.payload).toEqual({ code: 'ERR_RAPSQLITE_INTEGER_OVERFLOW', message: OVERFLOW_MESSAGE('wide é') });
    // A number parameter binds as a double, a bigint as an integer.
    expect(await ok(w.slot, GET, 'SELECT typeof(?) AS a, typeof(?) AS b, ? AS c', [1, 1n, 2.5])).toEqual({ a: 'real', b: 'integer', c: 2.5 });

    // lastInsertRowid past 2^53: a bigint in every mode; a small one a number except in mode bigint.
    for (const mode of [NUMBER, AUTO]) {
      expect(await ok(w.slot, RUN, 'INSERT INTO n (k, v) VALUES (?, 1)', [2n ** 60n + BigInt(mode)], mode)).toEqual([1, 2n ** 60n + BigInt(mode)]);
    }
    expect(await ok(w.slot, RUN, 'INSERT INTO n (k, v) VALUES (?, 1)', [2n ** 60n + 2n], BIGINT)).toEqual([1, 2n ** 60n + 2n]);
    expect(await ok(w.slot, RUN, 'INSERT INTO n (k, v) VALUES (?, 1)', [100], BIGINT)).toEqual([1, 100n]);
    expect(await ok(w.slot, RUN, 'INSERT INTO n (k, v) VALUES (?, 1)', [MAX], NUMBER)).toEqual([1, MAX]);
  });

  it('reports SQLite errors with better-sqlite3 codes and messages', async () => {
    const schema = 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, age INTEGER CHECK (age >= 0))';
    const w = await startFastWorker();
    await w.call({ op: 'exec', sql: schema });
    // The same statements on better-sqlite3 itself, for its exact codes and messages.
    const Database = createRequire(import.meta.url)('better-sqlite3') as new (path: string) => BetterSqlite3;
    const reference = new Database(':memory:');
    try {
      reference.exec(schema);
      reference.exec("INSERT INTO users (email, age) VALUES ('a@x', 1)");
      await w.serve();
      expect(await ok(w.slot, RUN, 'INSERT INTO users (email, age) VALUES (?, ?)', ['a@x', 1])).toEqual([1, 1]);
      const cases: Array<[number, string, unknown[]]> = [
        [RUN, 'INSERT INTO users (email, age) VALUES (?, ?)', ['a@x', 2]],
        [RUN, 'INSERT INTO users (email, age) VALUES (?, ?)', [null, 2]],
        [RUN, 'INSERT INTO users (email, age) VALUES (?, ?)', ['b@x', -1]],
        [RUN, 'INSERT INTO users (id, email) VALUES (?, ?)', [1, 'c@x']],
        [ALL, 'SELEC * FROM users', []],
        [GET, 'SELECT * FROM nowhere', []],
        [GET, 'SELECT nope FROM users', []],
      ];
      for (const [kind, sql, params] of cases) {
        let expected: { code: unknown; message: unknown } | undefined;
        try {
          const stmt = reference.prepare(sql) as unknown as Record<string, (...p: unknown[]) => unknown>;
          stmt[kind === RUN ? 'run' : kind === GET ? 'get' : 'all']!(...params);
        } catch (error) {
          expected = { code: (error as { code: unknown }).code, message: (error as Error).message };
        }
        expect(expected, sql).toBeDefined();
        const outcome = await fast(w.slot, kind, sql, params);
        expect(outcome.status, sql).toBe(1);
        expect(outcome.payload, sql).toEqual(expected);
      }
      const unique = await fast(w.slot, RUN, 'INSERT INTO users (email, age) VALUES (?, ?)', ['a@x', 3]);
      expect(unique.payload).toEqual({ code: 'SQLITE_CONSTRAINT_UNIQUE', message: 'UNIQUE constraint failed: users.email' });
      const syntax = await fast(w.slot, GET, 'SELEC 1');
      expect(syntax.payload).toMatchObject({ code: 'SQLITE_ERROR' });
      // The connection goes on after errors.
      expect(await ok(w.slot, GET, 'SELECT count(*) AS n FROM users')).toEqual({ n: 1 });
    } finally {
      reference.close();
    }
  });

  it('hands back, unexecuted, what better-sqlite3 would refuse or run differently', async () => {
    const w = await startFastWorker();
    await w.call({ op: 'exec', sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)' });
    await w.serve();
    const fallbacks: Array<[number, string, unknown[] | undefined]> = [
      [RUN, "INSERT INTO t (v) VALUES ('a'); INSERT INTO t (v) VALUES ('b')", undefined],
      [GET, 'SELECT 1; SELECT 2', undefined],
      [RUN, 'INSERT INTO t (v) VALUES (?)', []],
      [RUN, 'INSERT INTO t (v) VALUES (?)', ['a', 'b']],
      [RUN, 'INSERT INTO t (v) VALUES (?)', undefined],
      [RUN, 'INSERT INTO t (v) VALUES (:v)', ['a']],
      [RUN, 'INSERT INTO t (v) VALUES (@v)', ['a']],
      [RUN, 'INSERT INTO t (v) VALUES ($v)', ['a']],
      [RUN, 'INSERT INTO t (id, v) VALUES (?, ?2)', [1, 'a']],
      [GET, 'SELECT ?2 AS v', [1, 2]],
      [GET, "INSERT INTO t (v) VALUES ('x')", undefined],
      [ALL, "INSERT INTO t (v) VALUES ('x')", undefined],
      [RUN, 'SELECT * FROM t', undefined],
      [GET, '', undefined],
      [GET, '  ;  ', undefined],
      [GET, '-- nothing', undefined],
    ];
    for (const [kind, sql, params] of fallbacks) {
      const outcome = await fast(w.slot, kind, sql, params);
      expect({ sql, status: outcome.status, payload: outcome.payload }).toEqual({ sql, status: 2, payload: undefined });
    }
    expect(await ok(w.slot, GET, 'SELECT count(*) AS n FROM t')).toEqual({ n: 0 });
  });

  it('never runs JavaScript, a virtual table or a schema change inside fastServe: those fall back', async () => {
    const w = await startFastWorker();
    await w.call({ op: 'functions' });
    await w.call({
      op: 'exec',
      sql: `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
            CREATE TABLE audit (v TEXT);
            CREATE TABLE plain (v TEXT);
            CREATE TRIGGER t_audit AFTER INSERT ON t BEGIN INSERT INTO audit VALUES (twice(new.id)); END;
            CREATE VIEW doubled AS SELECT id, twice(id) AS d FROM t;`,
    });
    await w.serve({ maxMs: 10_000 });
    const fallbacks: Array<[number, string, unknown[] | undefined]> = [
      [GET, 'SELECT boom() AS x', undefined],
      [GET, 'SELECT twice(?) AS x', [2]],
      [GET, 'SELECT TWICE(1) AS x', undefined],
      [ALL, 'SELECT total_len(v) AS n FROM t', undefined],
      [ALL, 'SELECT * FROM doubled', undefined],
      [RUN, "INSERT INTO t (v) VALUES ('fires the trigger')", undefined],
      [GET, "SELECT max(twice(id)) AS m FROM t WHERE v <> 'x'", undefined],
      [ALL, 'SELECT value FROM json_each(?)', ['[1, 2]']],
      [RUN, 'CREATE TABLE made_here (a)', undefined],
      [RUN, 'CREATE INDEX plain_v ON plain (v)', undefined],
      [RUN, 'DROP TABLE plain', undefined],
      [RUN, 'ALTER TABLE plain ADD COLUMN w', undefined],
      [RUN, 'PRAGMA user_version = 7', undefined],
      [GET, 'EXPLAIN SELECT 1', undefined],
    ];
    // Twice each: the second answer comes from the statement cache's verdict.
    for (const [kind, sql, params] of [...fallbacks, ...fallbacks]) {
      const outcome = await fast(w.slot, kind, sql, params);
      expect({ sql, status: outcome.status }).toEqual({ sql, status: 2 });
    }
    // SQLite's own functions, aggregates and window functions run.
    expect(await ok(w.slot, RUN, "INSERT INTO plain (v) VALUES ('Abc')")).toEqual([1, 1]);
    expect(
      await ok(w.slot, ALL, "SELECT lower(v) AS l, json_extract('{\"a\": 5}', '$.a') AS j, count(*) OVER () AS n, row_number() OVER () AS r FROM plain"),
    ).toEqual([{ l: 'abc', j: 5, n: 1, r: 1 }]);
    await w.stop();
    // Nothing ran (the trigger did not fire, no table was made), and the worker's JavaScript is healthy.
    expect(await w.call({ op: 'all', sql: "SELECT (SELECT count(*) FROM t) AS t, (SELECT count(*) FROM audit) AS a, (SELECT count(*) FROM sqlite_schema WHERE name IN ('made_here', 'plain_v')) AS made, (SELECT count(*) FROM pragma_table_info('plain')) AS cols" })).toEqual([
      { t: 0n, a: 0n, made: 0n, cols: 1n },
    ]);
    expect(await w.call({ op: 'all', sql: 'SELECT twice(21) AS x' })).toEqual([{ x: 42n }]);
    await expect(w.call({ op: 'all', sql: 'SELECT boom()' })).rejects.toThrow('boom');
  });

  it('reports inTransaction after BEGIN, COMMIT and ROLLBACK sent through run', async () => {
    const w = await startFastWorker();
    await w.call({ op: 'exec', sql: 'CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)' });
    await w.serve();
    expect((await fast(w.slot, RUN, 'BEGIN')).inTransaction).toBe(true);
    const insert = await fast(w.slot, RUN, 'INSERT INTO accounts (balance) VALUES (?)', [100]);
    expect([insert.payload, insert.inTransaction]).toEqual([[1, 1], true]);
    expect((await fast(w.slot, RUN, 'COMMIT')).inTransaction).toBe(false);
    expect((await fast(w.slot, RUN, 'BEGIN IMMEDIATE')).inTransaction).toBe(true);
    expect((await fast(w.slot, RUN, 'SAVEPOINT inner')).inTransaction).toBe(true);
    expect(await ok(w.slot, RUN, 'UPDATE accounts SET balance = balance - 30')).toEqual([1, 1]);
    expect((await fast(w.slot, RUN, 'ROLLBACK TO inner')).inTransaction).toBe(true);
    expect(await ok(w.slot, RUN, 'UPDATE accounts SET balance = balance + 5')).toEqual([1, 1]);
    expect((await fast(w.slot, RUN, 'RELEASE inner')).inTransaction).toBe(true);
    const read = await fast(w.slot, GET, 'SELECT balance FROM accounts');
    expect([read.payload, read.inTransaction]).toEqual([{ balance: 105 }, true]);
    const rolledBack = await fast(w.slot, RUN, 'ROLLBACK');
    expect([rolledBack.payload, rolledBack.inTransaction]).toEqual([[0, 1], false]);
    // A failed statement inside a transaction leaves it open, and says so.
    await fast(w.slot, RUN, 'BEGIN');
    const failed = await fast(w.slot, RUN, 'INSERT INTO accounts (balance) VALUES (NULL)');
    expect([failed.status, (failed.payload as { code: string }).code, failed.inTransaction]).toEqual([1, 'SQLITE_CONSTRAINT_NOTNULL', true]);
    expect((await fast(w.slot, RUN, 'COMMIT')).inTransaction).toBe(false);
    await w.stop();
    expect(await w.call({ op: 'all', sql: 'SELECT balance FROM accounts' })).toEqual([{ balance: 100n }]);
  });

  it('returns 1 when kicked, 0 each time maxMs passes', async () => {
    const w = await startFastWorker();
    await w.serve({ maxMs: 20 });
    await sleep(120);
    const results = await w.stop();
    expect(results.filter((r) => r === 0).length).toBeGreaterThan(0);
    expect(results.at(-1)).toBe(1);
    expect(results.slice(0, -1).every((r) => r === 0)).toBe(true);

    // A long maxMs: only the kick ends the call.
    await w.serve({ spinMicros: 0, maxMs: 600_000 });
    expect(await w.stop()).toEqual([1]);
  });

  it('stops a long query with interrupt(slot, id)', async () => {
    const w = await startFastWorker();
    await w.serve();
    const id = nextId++;
    const long = submit(
      w.slot,
      GET,
      'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000000) SELECT sum(x) AS s FROM c',
      undefined,
      NUMBER,
      id,
    );
    expect(long).toBeDefined();
    // Not yet active, or active: interrupt acts only once the fast path made `id` the connection's active request.
    while (!companion.interrupt(w.slot, id)) await sleep(1);
    const outcome = await long!;
    expect(outcome.status).toBe(1);
    expect(outcome.payload).toEqual({ code: 'SQLITE_INTERRUPT', message: 'interrupted' });
    // The token was cleared: a late interrupt does nothing, and the next request runs.
    expect(companion.interrupt(w.slot, id)).toBe(false);
    expect(await ok(w.slot, GET, 'SELECT 2 AS v')).toEqual({ v: 2 });
  });

  it('leaves no statement open: the connection closes and the file can be deleted and reopened', async () => {
    const w = await startFastWorker();
    await w.call({ op: 'exec', sql: 'CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT)' });
    await w.serve({ maxMs: 10_000 });
    // More distinct statements than the cache holds (64): the least recently used ones are finalized on the way.
    for (let i = 0; i < 100; i++) {
      expect(await ok(w.slot, RUN, `INSERT INTO kv (k, v) VALUES (?, 'v${i}')`, [i])).toEqual([1, i]);
    }
    for (let i = 0; i < 100; i += 7) {
      expect(await ok(w.slot, GET, `SELECT v, ${i} AS i FROM kv WHERE k = ?`, [i])).toEqual({ v: `v${i}`, i });
    }
    // A statement left mid-way by `get` is reset too.
    expect(await ok(w.slot, GET, 'SELECT k FROM kv ORDER BY k')).toEqual({ k: 0 });
    expect(await w.stop()).toEqual([1]);
    await w.call({ op: 'close' });
    // better-sqlite3 ignores a failed sqlite3_close (a statement left open): the slot would then stay live.
    expect(companion.isLive(w.slot)).toBe(false);
    // A closed slot: nothing to serve, at once.
    expect(await w.call({ op: 'serve', control: new SharedArrayBuffer(8), spinMicros: 0, maxMs: 600_000 })).toEqual([2]);
    expect(companion.fastSubmit(w.slot, nextId++, GET, 'SELECT 1', undefined, NUMBER)).toBe(false);
    await w.terminate();
    workers.splice(workers.indexOf(w), 1);
    rmSync(w.path);
    for (const suffix of ['-wal', '-shm', '-journal']) expect(existsSync(w.path + suffix)).toBe(false);
    const again = await startFastWorker(w.path);
    await again.call({ op: 'exec', sql: 'CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT)' });
    await again.serve();
    expect(await ok(again.slot, GET, 'SELECT count(*) AS n FROM kv')).toEqual({ n: 0 });
  });

  it('answers 1 000 pipelined requests in order, each exactly once', async () => {
    const w = await startFastWorker();
    await w.call({ op: 'exec', sql: 'CREATE TABLE log (id INTEGER PRIMARY KEY, n INTEGER)' });
    await w.serve({ maxMs: 5 });
    const from = received.length;
    const pending: Array<Promise<Outcome>> = [];
    const ids: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const id = nextId++;
      ids.push(id);
      const kind = i % 3;
      const outcome =
        kind === RUN
          ? submit(w.slot, RUN, 'INSERT INTO log (n) VALUES (?)', [i], NUMBER, id)
          : kind === GET
            ? submit(w.slot, GET, 'SELECT ? AS n', [i], NUMBER, id)
            : submit(w.slot, ALL, 'SELECT ? AS n UNION ALL SELECT ? + 1', [i, i], AUTO, id);
      // maxMs is short: a submit between two fastServe calls is refused, and the engine would send it the normal way.
      if (outcome === undefined) {
        ids.pop();
        i--;
        await sleep(0);
        continue;
      }
      pending.push(outcome);
    }
    const outcomes = await Promise.all(pending);
    expect(received.slice(from).map(([id]) => id)).toEqual(ids);
    let inserted = 0;
    outcomes.forEach((outcome, i) => {
      expect(outcome.status).toBe(0);
      if (i % 3 === RUN) expect(outcome.payload).toEqual([1, ++inserted]);
      else if (i % 3 === GET) expect(outcome.payload).toEqual({ n: i });
      else expect(outcome.payload).toEqual([{ n: i }, { n: i + 1 }]);
    });
    await sleep(20);
    expect(received.length - from).toBe(1000);
    await w.stop();
    expect(await w.call({ op: 'all', sql: 'SELECT count(*) AS n FROM log' })).toEqual([{ n: 334n }]);
  });

  it('serves several connections at once, each reply from its own slot', async () => {
    const [a, b] = await Promise.all([startFastWorker(), startFastWorker()]);
    await a.call({ op: 'exec', sql: "CREATE TABLE who (name TEXT); INSERT INTO who VALUES ('a')" });
    await b.call({ op: 'exec', sql: "CREATE TABLE who (name TEXT); INSERT INTO who VALUES ('b')" });
    await Promise.all([a.serve({ maxMs: 10_000 }), b.serve({ maxMs: 10_000 })]);
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, (_, i) => fast(i % 2 === 0 ? a.slot : b.slot, GET, 'SELECT name, ? AS i FROM who', [i])),
    );
    outcomes.forEach((outcome, i) => {
      expect(outcome.slot).toBe(i % 2 === 0 ? a.slot : b.slot);
      expect(outcome.payload).toEqual({ name: i % 2 === 0 ? 'a' : 'b', i });
    });
    // Kicking one leaves the other serving.
    expect(await a.stop()).toEqual([1]);
    expect(await ok(b.slot, GET, 'SELECT name FROM who')).toEqual({ name: 'b' });
    expect(companion.fastSubmit(a.slot, nextId++, GET, 'SELECT 1', undefined, NUMBER)).toBe(false);
  });

  // Last: fastKickAll is for process exit, and lasts for the rest of the process.
  it('fastKickAll makes every fastServe return 2, at once from then on', async () => {
    const w = await startFastWorker();
    await w.serve({ maxMs: 600_000 });
    companion.fastKickAll();
    const control = new Int32Array(new SharedArrayBuffer(8));
    const results = (await w.call({ op: 'serve', control: control.buffer as SharedArrayBuffer, spinMicros: 0, maxMs: 600_000 })) as number[];
    expect(results).toEqual([2]);
    expect(Atomics.load(control, SERVING)).toBe(0);
  });
});
