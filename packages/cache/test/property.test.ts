import { join } from 'node:path';
import type { Database, Params, Queryable } from '@rapsqlite/engine';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createQueryCache } from '../src/index.ts';
import { openTemp, otherProcess, tempDir, type OtherProcess } from './helpers.ts';

const SCHEMA = `
  CREATE TABLE groups (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
  CREATE TABLE items (id INTEGER PRIMARY KEY, grp INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE, val INTEGER NOT NULL);
  CREATE INDEX items_grp ON items(grp);
  CREATE TABLE log (what TEXT NOT NULL);
  CREATE TRIGGER items_log AFTER INSERT ON items BEGIN INSERT INTO log VALUES ('item'); END;
  CREATE VIEW grp_totals AS SELECT g.name, count(i.id) AS n, total(i.val) AS s FROM groups g LEFT JOIN items i ON i.grp = g.id GROUP BY g.id;
  INSERT INTO groups (id, name) VALUES (1, 'one'), (2, 'two'), (3, 'three');
  INSERT INTO items (grp, val) VALUES (1, 10), (2, 20), (3, 30);
`;

/** The reads compared, each with its parameters drawn from a small range so entries are hit often. */
const READS: ReadonlyArray<readonly [string, (n: number) => Params | undefined]> = [
  ['SELECT val FROM items WHERE id = ?', (n) => [n]],
  ['SELECT count(*) AS n, total(val) AS s FROM items WHERE grp = ?', (n) => [(n % 3) + 1]],
  ['SELECT * FROM grp_totals ORDER BY name', () => undefined],
  ['SELECT count(*) AS n FROM log', () => undefined],
  ['SELECT name FROM groups WHERE id = ?', (n) => [(n % 3) + 1]],
  ['SELECT i.id, g.name FROM items i JOIN groups g ON g.id = i.grp WHERE i.val > ? ORDER BY i.id', (n) => [n * 3]],
];

/** Local writes: each is a statement and its parameters. */
const WRITES: ReadonlyArray<readonly [string, (n: number) => Params]> = [
  ['INSERT INTO items (grp, val) VALUES (?, ?)', (n) => [(n % 3) + 1, n]],
  ['UPDATE items SET val = val + ? WHERE id = ?', (n) => [1, n]],
  ['DELETE FROM items WHERE id = ?', (n) => [n]],
  ['UPDATE groups SET name = ? WHERE id = ?', (n) => [`g${n}`, (n % 3) + 1]],
  ['INSERT OR REPLACE INTO groups (id, name) VALUES (?, ?)', (n) => [(n % 3) + 1, `r${n}`]],
];

/** Writes by the other process. */
const FOREIGN: ReadonlyArray<readonly [string, (n: number) => Params]> = [
  ['UPDATE items SET val = ? WHERE id = ?', (n) => [n * 7, n]],
  ['INSERT INTO items (grp, val) VALUES (?, ?)', (n) => [(n % 3) + 1, n + 100]],
  ['UPDATE groups SET name = ? WHERE id = ?', (n) => [`f${n}`, (n % 3) + 1]],
];

type Command =
  | { readonly type: 'read'; readonly q: number; readonly n: number }
  | { readonly type: 'write'; readonly w: number; readonly n: number }
  | { readonly type: 'foreign'; readonly w: number; readonly n: number }
  | { readonly type: 'transaction'; readonly steps: ReadonlyArray<{ read: boolean; i: number; n: number }>; readonly commit: boolean; readonly mode: 'immediate' | 'deferred' }
  | { readonly type: 'savepoint'; readonly w: number; readonly n: number; readonly q: number }
  | { readonly type: 'concurrent'; readonly q: number; readonly w: number; readonly n: number; readonly writeFirst: boolean };

const n = fc.integer({ min: 1, max: 4 });
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ type: fc.constant('read' as const), q: fc.nat(READS.length - 1), n }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('write' as const), w: fc.nat(WRITES.length - 1), n }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('foreign' as const), w: fc.nat(FOREIGN.length - 1), n }) },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('transaction' as const),
      steps: fc.array(fc.record({ read: fc.boolean(), i: fc.nat(5), n }), { minLength: 1, maxLength: 4 }),
      commit: fc.boolean(),
      mode: fc.constantFrom('immediate' as const, 'deferred' as const),
    }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('savepoint' as const), w: fc.nat(WRITES.length - 1), n, q: fc.nat(READS.length - 1) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('concurrent' as const), q: fc.nat(READS.length - 1), w: fc.nat(WRITES.length - 1), n, writeFirst: fc.boolean() }) },
);

const ROLLBACK = new Error('roll back');

/** An uncached read on the same handle: iterate is never cached. */
async function uncached(db: Queryable, sql: string, params: Params | undefined): Promise<unknown[]> {
  const rows: unknown[] = [];
  for await (const row of db.iterate(sql, params)) rows.push(row);
  return rows;
}

async function read(db: Queryable, q: number, value: number): Promise<unknown> {
  const [sql, params] = READS[q % READS.length]!;
  return db.all(sql, params(value));
}

async function write(db: Queryable, w: number, value: number): Promise<void> {
  const [sql, params] = WRITES[w % WRITES.length]!;
  await db.run(sql, params(value));
}

async function runCommand(c: Command, db: Database, cached: Database, other: OtherProcess): Promise<void> {
  switch (c.type) {
    case 'read':
      // The cached read, then the same read uncached: nothing runs in between, so they must agree.
      expect(await read(cached, c.q, c.n)).toEqual(await read(db, c.q, c.n));
      return;
    case 'write':
      await write(db, c.w, c.n);
      return;
    case 'foreign': {
      const [sql, params] = FOREIGN[c.w]!;
      await other.run(sql, params(c.n));
      return;
    }
    case 'transaction':
      await cached
        .transaction(
          async (tx) => {
            for (const step of c.steps) {
              if (step.read) {
                // Inside the transaction: the cached read against the transaction's own uncached view (a read
                // of the base handle would wait for the transaction for ever).
                const [sql, params] = READS[step.i % READS.length]!;
                const viaCache = await tx.all(sql, params(step.n));
                const direct = await uncached(tx, sql, params(step.n));
                expect(viaCache).toEqual(direct);
              } else {
                await write(tx, step.i, step.n);
              }
            }
            if (!c.commit) throw ROLLBACK;
          },
          { mode: c.mode },
        )
        .catch((err: unknown) => {
          if (err !== ROLLBACK) throw err;
        });
      return;
    case 'savepoint':
      await cached.transaction(async (tx) => {
        await tx
          .transaction(async (inner) => {
            await write(inner, c.w, c.n);
            throw ROLLBACK;
          })
          .catch(() => undefined);
        const [sql, params] = READS[c.q]!;
        expect(await tx.all(sql, params(c.n))).toEqual(await uncached(tx, sql, params(c.n)));
      });
      return;
    case 'concurrent': {
      // A read and a write in flight together: the read may see the state before or after the write, nothing else.
      const before = await read(db, c.q, c.n);
      let cachedRead: Promise<unknown>;
      let pendingWrite: Promise<void>;
      if (c.writeFirst) {
        pendingWrite = write(db, c.w, c.n);
        cachedRead = read(cached, c.q, c.n);
      } else {
        cachedRead = read(cached, c.q, c.n);
        pendingWrite = write(db, c.w, c.n);
      }
      const [seen] = await Promise.all([cachedRead, pendingWrite]);
      const after = await read(db, c.q, c.n);
      if (c.writeFirst) {
        // One connection runs calls in order: a read made after the write was made sees it, cached or not.
        expect(seen).toEqual(after);
      } else {
        expect([before, after]).toContainEqual(seen);
      }
      return;
    }
  }
}

describe('the cache under random interleavings of reads and writes, another process included', () => {
  it('never returns what an uncached read would not', async () => {
    const path = join(tempDir(), 'property.db');
    const cache = createQueryCache();
    const db = await openTemp({ middleware: [cache.tracker], foreignKeys: true }, path);
    await db.exec(SCHEMA);
    const cached = cache.handle(db);
    const other = await otherProcess(path);
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 5, maxLength: 40 }), async (commands) => {
        for (const c of commands) await runCommand(c, db, cached, other);
      }),
      { numRuns: 60 },
    );
    const stats = cache.stats();
    // The property is not vacuous: entries were served, invalidated by local writes and by the other process.
    expect(stats.hits).toBeGreaterThan(40);
    expect(stats.bypasses.untracked).toBe(0);
    expect(stats.invalidations).toBeGreaterThan(5);
    expect(stats.foreignChanges).toBeGreaterThan(0);
  });
});
