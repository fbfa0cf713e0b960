import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { setImmediate as turn } from 'node:timers/promises';
import { Kysely, SqliteAdapter, sql } from 'kysely';
import type { Pool } from '@rapsqlite/pool';
import { RapsqliteDialect, type RapsqliteHandle } from '../src/index.ts';
import { codeOf, HANDLES, kyselyOn, migrate, SLOW_COUNT, tempDir, type AppDatabase, type HandleKind } from './helpers.ts';

async function withApp(kind: HandleKind, body: (db: Kysely<AppDatabase>, handle: RapsqliteHandle) => Promise<void>): Promise<void> {
  await using tmp = await tempDir();
  const handle = await HANDLES[kind](join(tmp.dir, 'app.db'));
  const db = kyselyOn(handle);
  try {
    await migrate(db as Kysely<unknown>);
    await body(db, handle);
  } finally {
    await db.destroy();
  }
}

/** The same dialect with Kysely's stock SQLite adapter, which declares a single connection. */
class SingleConnectionDialect extends RapsqliteDialect {
  override createAdapter() {
    return new SqliteAdapter();
  }
}

/** Counts how many reader connections run calls at the same moment, from the pool's events. */
/** False when the suite runs against Kysely 0.28 (see vitest.config.ts). */
const KYSELY_029 = process.env['KYSELY_LINE'] !== '0.28';

function readerConcurrency(pool: Pool): { readonly max: number; readonly readers: ReadonlySet<number>; stop(): void } {
  const running = new Map<number, number>();
  const state = { max: 0, readers: new Set<number>() };
  const onAcquire = (e: { role: string; connectionId: number }) => {
    if (e.role !== 'reader') return;
    running.set(e.connectionId, (running.get(e.connectionId) ?? 0) + 1);
    state.readers.add(e.connectionId);
    state.max = Math.max(state.max, [...running.values()].filter((n) => n > 0).length);
  };
  const onRelease = (e: { role: string; connectionId: number }) => {
    if (e.role === 'reader') running.set(e.connectionId, (running.get(e.connectionId) ?? 1) - 1);
  };
  pool.on('acquire', onAcquire);
  pool.on('release', onRelease);
  return {
    get max() {
      return state.max;
    },
    readers: state.readers,
    stop: () => {
      pool.off('acquire', onAcquire);
      pool.off('release', onRelease);
    },
  };
}

for (const kind of ['database', 'pool'] as const) {
  describe(`concurrency on a rapsqlite ${kind}`, () => {
    for (const outcome of ['commits', 'rolls back'] as const) {
      it(`lets 50 concurrent reads and writes neither enter nor lose anything while a transaction is open and ${outcome}`, () =>
        withApp(kind, async (db) => {
          await db.insertInto('events').values({ source: 'before', n: 0 }).execute();
          const trx = await db.startTransaction().execute();
          const first = await trx.insertInto('events').values({ source: 'tx', n: 1 }).returning('id').executeTakeFirstOrThrow();

          const requests = Array.from({ length: 50 }, (_, i) =>
            i % 2 === 0
              ? db.insertInto('events').values({ source: 'request', n: i }).execute().then(() => 'wrote')
              : db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).where('source', '=', 'tx').executeTakeFirstOrThrow().then((r) => r.n),
          );
          // Give every request time to reach the engine (and, on a pool, the readers) while the transaction is open.
          for (let i = 0; i < 20; i++) await turn();

          const inside = await trx.selectFrom('events').select(['source', 'n']).orderBy('id').execute();
          expect(inside).toEqual([
            { source: 'before', n: 0 },
            { source: 'tx', n: 1 },
          ]);
          const second = await trx.insertInto('events').values({ source: 'tx', n: 2 }).returning('id').executeTakeFirstOrThrow();
          // Nothing landed between the transaction's two inserts.
          expect(second.id).toBe(first.id + 1);

          if (kind === 'pool') {
            // Reads run on readers while the writer is held, and see the data as of before the transaction.
            const reads = await Promise.all(requests.filter((_, i) => i % 2 === 1));
            expect(reads).toEqual(Array.from({ length: 25 }, () => 0));
          }
          if (outcome === 'commits') await trx.commit().execute();
          else await trx.rollback().execute();

          const results = await Promise.all(requests);
          expect(results.filter((r) => r === 'wrote')).toHaveLength(25);
          const rows = await db.selectFrom('events').select(['source', 'n']).orderBy('id').execute();
          const txRows = outcome === 'commits' ? [{ source: 'tx', n: 1 }, { source: 'tx', n: 2 }] : [];
          expect(rows.slice(0, 1 + txRows.length)).toEqual([{ source: 'before', n: 0 }, ...txRows]);
          expect(rows.slice(1 + txRows.length).map((r) => r.source)).toEqual(Array.from({ length: 25 }, () => 'request'));
          expect(rows.filter((r) => r.source === 'request').map((r) => r.n).sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i * 2));
        }));
    }

    it('serializes concurrent read-modify-write transactions without lost updates', () =>
      withApp(kind, async (db) => {
        await db.insertInto('events').values({ id: 1, source: 'counter', n: 0 }).execute();
        await Promise.all(
          Array.from({ length: 40 }, () =>
            db.transaction().execute(async (trx) => {
              const { n } = await trx.selectFrom('events').select('n').where('id', '=', 1).executeTakeFirstOrThrow();
              await turn();
              await trx.updateTable('events').set({ n: n + 1 }).where('id', '=', 1).execute();
            }),
          ),
        );
        expect(await db.selectFrom('events').select('n').where('id', '=', 1).executeTakeFirst()).toEqual({ n: 40 });
      }));

    // Kysely 0.28 has no abortable operations: a signal never reaches the driver.
    if (KYSELY_029) it('cancels a running query through Kysely’s AbortSignal and stays usable', () =>
      withApp(kind, async (db) => {
        const controller = new AbortController();
        const slow = sql<{ n: number }>`${sql.raw(SLOW_COUNT(50_000_000))}`.execute(db, { signal: controller.signal });
        setTimeout(() => controller.abort(new Error('client went away')), 50);
        await expect(slow).rejects.toThrow('client went away');
        // The engine stopped the statement (the signal reached it): the next query does not wait for it.
        expect((await sql<{ one: number }>`SELECT 1 AS one`.execute(db)).rows).toEqual([{ one: 1 }]);
        // An already-aborted signal runs nothing.
        const done = new AbortController();
        done.abort(new Error('never'));
        await expect(db.insertInto('events').values({ source: 'x', n: 1 }).execute({ signal: done.signal })).rejects.toThrow('never');
        expect(await db.selectFrom('events').selectAll().execute()).toEqual([]);
        // Timeouts are signals too; the engine's own error keeps its code when the engine's per-call deadline fires.
        await expect(sql`${sql.raw(SLOW_COUNT(50_000_000))}`.execute(db, { signal: AbortSignal.timeout(30) })).rejects.toMatchObject({ name: 'TimeoutError' });
      }));
  });
}

describe('reader concurrency on a pool', () => {
  it('runs reads from many callers on several readers at once, even while a transaction holds the writer', async () => {
    await using tmp = await tempDir();
    const pool = await HANDLES.pool(join(tmp.dir, 'app.db'), { minReaders: 2, maxReaders: 2 });
    const db = kyselyOn(pool);
    try {
      await migrate(db as Kysely<unknown>);
      const trx = await db.startTransaction().execute();
      await trx.insertInto('events').values({ source: 'tx', n: 1 }).execute();
      const probe = readerConcurrency(pool);
      const counts = await Promise.all(Array.from({ length: 8 }, () => sql<{ n: number }>`${sql.raw(SLOW_COUNT(300_000))}`.execute(db)));
      probe.stop();
      await trx.commit().execute();
      expect(counts.map((c) => c.rows[0]!.n)).toEqual(Array.from({ length: 8 }, () => 300_000));
      expect(probe.readers.size).toBe(2);
      expect(probe.max).toBe(2);
    } finally {
      await db.destroy();
    }
  });

  // Kysely 0.29 moved the single-connection mutex from its SQLite driver into its runtime driver, keyed on the adapter.
  if (KYSELY_029) it('would run one query at a time with Kysely’s stock SQLite adapter (the reason the dialect declares multiple connections)', async () => {
    await using tmp = await tempDir();
    const pool = await HANDLES.pool(join(tmp.dir, 'app.db'), { minReaders: 2, maxReaders: 2 });
    const db = new Kysely<AppDatabase>({ dialect: new SingleConnectionDialect({ database: pool }) });
    try {
      await sql`CREATE TABLE t (x)`.execute(db);
      const probe = readerConcurrency(pool);
      await Promise.all(Array.from({ length: 8 }, () => sql`${sql.raw(SLOW_COUNT(100_000))}`.execute(db)));
      probe.stop();
      expect(probe.max).toBe(1);
    } finally {
      await db.destroy();
    }
  });
});

describe('integer safety', () => {
  it('fails with a code rather than round an integer past 2^53 when the handle is in number mode', async () => {
    await using tmp = await tempDir();
    const db = kyselyOn(await HANDLES.database(join(tmp.dir, 'app.db')));
    try {
      expect(await codeOf(sql`SELECT ${2n ** 60n + 3n} AS big`.execute(db))).toBe('ERR_RAPSQLITE_INTEGER_OVERFLOW');
    } finally {
      await db.destroy();
    }
  });
});

describe('read-only transactions', () => {
  it('run on a reader of a pool with one snapshot, and refuse writes there', async () => {
    await using tmp = await tempDir();
    const pool = await HANDLES.pool(join(tmp.dir, 'app.db'));
    const db = kyselyOn(pool);
    try {
      await migrate(db as Kysely<unknown>);
      await db.insertInto('events').values({ source: 'a', n: 1 }).execute();
      const roles: string[] = [];
      const onAcquire = (e: { role: string; kind: string }) => roles.push(`${e.kind}:${e.role}`);
      pool.on('acquire', onAcquire);
      const seen = await db
        .transaction()
        .setAccessMode('read only')
        .execute(async (trx) => {
          const before = await trx.selectFrom('events').select('n').execute();
          // A commit by another caller meanwhile is not visible inside the snapshot.
          await db.insertInto('events').values({ source: 'b', n: 2 }).execute();
          const after = await trx.selectFrom('events').select('n').execute();
          expect(await codeOf(trx.insertInto('events').values({ source: 'c', n: 3 }).execute())).toBe('SQLITE_READONLY');
          return [before.length, after.length];
        });
      pool.off('acquire', onAcquire);
      expect(seen).toEqual([1, 1]);
      expect(roles[0]).toBe('transaction:reader');
      expect(await db.selectFrom('events').select('n').orderBy('n').execute()).toEqual([{ n: 1 }, { n: 2 }]);
    } finally {
      await db.destroy();
    }
  });
});
