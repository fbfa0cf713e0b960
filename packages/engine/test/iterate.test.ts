import { describe, expect, it } from 'vitest';
import { openTemp } from './helpers.ts';

const series = (n: number) => `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${n}) SELECT x FROM c`;

describe('iterate', () => {
  it('streams every row in order across chunks', async () => {
    const db = await openTemp();
    const seen: number[] = [];
    for await (const row of db.iterate<{ x: number }>(series(1000), undefined, { chunkSize: 64 })) seen.push(row.x);
    expect(seen).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
  });

  it('yields nothing for an empty result and binds parameters', async () => {
    const db = await openTemp();
    const rows: unknown[] = [];
    for await (const row of db.iterate('SELECT 1 AS one WHERE ? = 2', [1])) rows.push(row);
    expect(rows).toEqual([]);
    for await (const row of db.iterate('SELECT :v AS v', { v: 'x' })) rows.push(row);
    expect(rows).toEqual([{ v: 'x' }]);
  });

  it('finalizes the statement in the worker at once on break', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE t (x)');
    await db.runMany('INSERT INTO t VALUES (?)', Array.from({ length: 5000 }, (_, i) => [i]));
    let n = 0;
    for await (const _row of db.iterate('SELECT x FROM t', undefined, { chunkSize: 100 })) {
      if (++n === 150) break;
    }
    expect(n).toBe(150);
    // DROP TABLE fails with SQLITE_LOCKED while any statement still reads the table on this connection.
    await db.exec('DROP TABLE t');
    expect(await db.get("SELECT count(*) AS n FROM sqlite_schema WHERE name = 't'")).toEqual({ n: 0 });
  });

  it('finalizes the statement when the loop body throws', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE t (x)');
    await db.runMany('INSERT INTO t VALUES (?)', Array.from({ length: 1000 }, (_, i) => [i]));
    await expect(
      (async () => {
        for await (const _row of db.iterate('SELECT x FROM t', undefined, { chunkSize: 10 })) throw new Error('stop');
      })(),
    ).rejects.toThrow('stop');
    await db.exec('DROP TABLE t');
  });

  it('lets writes through the same database while a cursor is open, without deadlock', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, seen INTEGER DEFAULT 0)');
    await db.runMany('INSERT INTO t (id) VALUES (?)', Array.from({ length: 500 }, (_, i) => [i + 1]));
    for await (const row of db.iterate<{ id: number }>('SELECT id FROM t ORDER BY id', undefined, { chunkSize: 50 })) {
      await db.run('UPDATE t SET seen = 1 WHERE id = ?', [row.id]);
    }
    expect(await db.get('SELECT sum(seen) AS n FROM t')).toEqual({ n: 500 });
    // Defensive mode is back on once the cursor closed: writing to sqlite_schema stays forbidden.
    await expect(db.exec("PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = sql WHERE name = 't'")).rejects.toMatchObject({ code: expect.stringMatching(/^SQLITE_/) });
  });

  it('applies integer modes to streamed rows', async () => {
    const db = await openTemp();
    await db.exec(`CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1), (${2n ** 62n})`);
    const rows: unknown[] = [];
    for await (const row of db.iterate('SELECT v FROM t', undefined, { integers: 'auto' })) rows.push(row);
    expect(rows).toEqual([{ v: 1 }, { v: 2n ** 62n }]);
    const failing = db.iterate('SELECT v FROM t');
    await expect((async () => { for await (const _ of failing) { /* consume */ } })()).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_INTEGER_OVERFLOW' });
  });

  it('refuses a bad chunk size', async () => {
    const db = await openTemp();
    await expect(db.iterate('SELECT 1', undefined, { chunkSize: 0 }).next()).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
  });

  it('streams inside a transaction and closes the cursor when the transaction ends', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE t (x)');
    await db.runMany('INSERT INTO t VALUES (?)', Array.from({ length: 300 }, (_, i) => [i]));
    let leaked: AsyncIterableIterator<unknown> | undefined;
    await db.transaction(async (tx) => {
      await tx.run('INSERT INTO t VALUES (-1)');
      let n = 0;
      for await (const _ of tx.iterate('SELECT x FROM t', undefined, { chunkSize: 50 })) n++;
      expect(n).toBe(301);
      leaked = tx.iterate('SELECT x FROM t', undefined, { chunkSize: 10 });
      await leaked.next();
    });
    expect(await leaked!.next()).toEqual({ done: true, value: undefined });
    await db.exec('DROP TABLE t');
  });

  it('streams a million rows with flat memory', async () => {
    const db = await openTemp();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    let count = 0;
    const query = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000) SELECT x, 'row number ' || x AS label FROM c";
    for await (const _row of db.iterate(query, undefined, { chunkSize: 1000 })) {
      if (++count % 50_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
    expect(count).toBe(1_000_000);
    // All rows materialized at once would take well over 100 MB of heap; streaming keeps a few chunks.
    expect(peak - before).toBeLessThan(64 * 1024 * 1024);
  });
});
