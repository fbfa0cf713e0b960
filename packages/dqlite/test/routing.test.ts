import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes, type ConnectionRole, type Middleware } from '@rapsqlite/engine';
import type { DqliteDatabase } from '../src/index.ts';
import { codeOf, openFresh, rejection } from './helpers/handles.ts';

function roles(seen: Array<[string, ConnectionRole | undefined]>): Middleware {
  return {
    name: 'roles',
    wrap: (next) => async (op) => {
      try {
        return await next(op);
      } finally {
        seen.push([op.kind, op.connection?.role]);
      }
    },
  };
}

describe('connections and routing on dqlite', () => {
  const opened: DqliteDatabase[] = [];
  const open = async (...args: Parameters<typeof openFresh>) => {
    const db = await openFresh(...args);
    opened.push(db);
    return db;
  };
  afterEach(async () => {
    for (const db of opened.splice(0)) await db.close();
  });

  it('sends writes and transactions to the writer, reads to the readers, and a read-only transaction to a reader that refuses writes', async () => {
    const db = await open({ readers: 2 });
    const seen: Array<[string, ConnectionRole | undefined]> = [];
    const spied = db.with(roles(seen));
    await spied.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    await spied.run("INSERT INTO t (v) VALUES ('a')");
    await spied.get('SELECT count(*) AS n FROM t');
    await spied.all('SELECT * FROM t');
    await spied.transaction((tx) => tx.get('SELECT 1'));
    await spied.transaction((tx) => tx.get('SELECT v FROM t'), { readonly: true });
    expect(seen).toEqual([
      ['exec', 'writer'],
      ['run', 'writer'],
      ['get', 'reader'],
      ['all', 'reader'],
      ['begin', 'writer'],
      ['get', 'writer'],
      ['commit', 'writer'],
      ['transaction', 'writer'],
      ['begin', 'reader'],
      ['get', 'reader'],
      ['commit', 'reader'],
      ['transaction', 'reader'],
    ]);
    const refused = await rejection(db.transaction((tx) => tx.run("INSERT INTO t (v) VALUES ('no')"), { readonly: true }));
    expect(codeOf(refused)).toBe('SQLITE_READONLY');
    expect(await db.get('SELECT count(*) AS n FROM t')).toEqual({ n: 1 });
  });

  it('runs everything on the writer with readers: 0, where a read through the outer handle inside a transaction is a deadlock', async () => {
    const db = await open({ readers: 0 });
    const seen: Array<[string, ConnectionRole | undefined]> = [];
    await db.with(roles(seen)).get('SELECT 1');
    expect(seen).toEqual([['get', 'writer']]);
    await db.transaction(async () => {
      expect(codeOf(await rejection(db.get('SELECT 1')))).toBe(ErrorCodes.TRANSACTION_DEADLOCK);
    });
  });

  it('answers 64 concurrent callers, pipelined over the connections, each with its own result', async () => {
    const db = await open();
    await db.exec('CREATE TABLE k (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    await Promise.all(Array.from({ length: 64 }, (_, i) => db.run('INSERT INTO k (id, v) VALUES (?, ?)', [i, `v${i}`])));
    const rows = await Promise.all(Array.from({ length: 640 }, (_, i) => db.get<{ v: string }>('SELECT v FROM k WHERE id = ?', [i % 64])));
    expect(rows.map((row) => row?.v)).toEqual(Array.from({ length: 640 }, (_, i) => `v${i % 64}`));
    const stats = db.stats();
    expect(stats.connections.map((c) => c.connection.role)).toEqual(['writer', 'reader', 'reader']);
    expect(stats.connections.every((c) => c.connected && c.inFlight === 0 && c.queued === 0)).toBe(true);
  });

  it('streams a large result with backpressure while other reads run, and reads its own writes with readYourWrites', async () => {
    const db = await open({ readYourWrites: true });
    await db.exec('CREATE TABLE big (id INTEGER PRIMARY KEY, pad TEXT)');
    await db.exec("INSERT INTO big WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 60000) SELECT x, printf('%040d', x) FROM c");
    let count = 0;
    let sum = 0;
    for await (const row of db.iterate<{ id: number }>('SELECT id, pad FROM big ORDER BY id', [], { chunkSize: 500 })) {
      count++;
      sum += row.id;
      if (count === 1) {
        // The cursor holds its reader; the other answers meanwhile. The consumer is far behind: reading pauses.
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(db.stats().connections.some((c) => c.cursors === 1)).toBe(true);
        expect(await db.get('SELECT count(*) AS n FROM big')).toEqual({ n: 60000 });
      }
    }
    expect([count, sum]).toEqual([60000, (60000 * 60001) / 2]);
    const write = db.run('INSERT INTO big (id) VALUES (60001)');
    expect(await db.get('SELECT max(id) AS m FROM big')).toEqual({ m: 60001 });
    await write;
  });

  it('keeps a transaction\'s cursor correct while the transaction writes on the same connection', async () => {
    const db = await open();
    await db.exec("CREATE TABLE s (id INTEGER PRIMARY KEY); INSERT INTO s WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000) SELECT x FROM c");
    await db.transaction(async (tx) => {
      let seen = 0;
      for await (const _row of tx.iterate('SELECT id FROM s', [], { chunkSize: 100 })) {
        if (seen++ === 0) await tx.run('INSERT INTO s VALUES (30000)');
      }
      expect(seen).toBeGreaterThanOrEqual(20000);
    });
    expect(await db.get('SELECT count(*) AS n FROM s')).toEqual({ n: 20001 });
  });

  it('refuses user functions and the authorizer with ERR_RAPSQLITE_UNSUPPORTED: they run where the engine runs', async () => {
    const db = await open();
    expect(codeOf(await rejection(db.function('slug', { module: 'node:path', export: 'basename' })))).toBe(ErrorCodes.UNSUPPORTED);
    expect(codeOf(await rejection(db.aggregate('total', { module: 'node:path', export: 'basename' })))).toBe(ErrorCodes.UNSUPPORTED);
    expect(codeOf(await rejection(db.authorizer({ deny: ['delete'] } as never)))).toBe(ErrorCodes.UNSUPPORTED);
    await db.authorizer(null);
  });
});
