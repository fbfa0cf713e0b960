import { describe, expect, it } from 'vitest';
import { setImmediate as turn } from 'node:timers/promises';
import { asc, count, eq, sql } from 'drizzle-orm';
import type { Pool } from '@rapsqlite/pool';
import { codeOf, schema, withApp } from './helpers.ts';

const { events } = schema;

for (const kind of ['database', 'pool'] as const) {
  describe(`concurrency on a rapsqlite ${kind}`, () => {
    for (const outcome of ['commits', 'rolls back'] as const) {
      it(`lets 50 concurrent reads and writes neither enter nor lose anything while a transaction is open and ${outcome}`, () =>
        withApp(kind, async (db) => {
          await db.insert(events).values({ source: 'before', n: 0 });
          let began!: () => void;
          const begun = new Promise<void>((resolve) => (began = resolve));
          let go!: () => void;
          const proceed = new Promise<void>((resolve) => (go = resolve));
          const failure = new Error('roll back');
          const tx = db.transaction(async (tx) => {
            const [first] = await tx.insert(events).values({ source: 'tx', n: 1 }).returning({ id: events.id });
            began();
            await proceed;
            expect(await tx.select({ source: events.source, n: events.n }).from(events).orderBy(asc(events.id))).toEqual([
              { source: 'before', n: 0 },
              { source: 'tx', n: 1 },
            ]);
            const [second] = await tx.insert(events).values({ source: 'tx', n: 2 }).returning({ id: events.id });
            // Nothing landed between the transaction's two inserts.
            expect(second!.id).toBe(first!.id + 1);
            if (outcome === 'rolls back') throw failure;
          });
          tx.catch(() => undefined);
          await begun;
          // Other requests, outside the transaction's callback (as other HTTP requests would be).
          const requests = Array.from({ length: 50 }, (_, i) =>
            i % 2 === 0
              ? db.insert(events).values({ source: 'request', n: i }).then(() => 'wrote')
              : db.select({ n: count() }).from(events).where(eq(events.source, 'tx')).then((r) => r[0]!.n),
          );
          for (let i = 0; i < 20; i++) await turn();
          if (kind === 'pool') {
            // Reads run on readers while the writer is held, and see the data as of before the transaction.
            expect(await Promise.all(requests.filter((_, i) => i % 2 === 1))).toEqual(Array.from({ length: 25 }, () => 0));
          }
          go();
          if (outcome === 'commits') await tx;
          else await expect(tx).rejects.toBe(failure);
          const results = await Promise.all(requests);
          expect(results.filter((r) => r === 'wrote')).toHaveLength(25);
          const rows = await db.select({ source: events.source, n: events.n }).from(events).orderBy(asc(events.id));
          const txRows = outcome === 'commits' ? [{ source: 'tx', n: 1 }, { source: 'tx', n: 2 }] : [];
          expect(rows.slice(0, 1 + txRows.length)).toEqual([{ source: 'before', n: 0 }, ...txRows]);
          expect(rows.filter((r) => r.source === 'request').map((r) => r.n).sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i * 2));
          expect(rows).toHaveLength(1 + txRows.length + 25);
        }));
    }

    it('serializes concurrent read-modify-write transactions without lost updates', () =>
      withApp(kind, async (db) => {
        await db.insert(events).values({ id: 1, source: 'counter', n: 0 });
        await Promise.all(
          Array.from({ length: 40 }, () =>
            db.transaction(async (tx) => {
              const [row] = await tx.select({ n: events.n }).from(events).where(eq(events.id, 1));
              await turn();
              await tx.update(events).set({ n: row!.n + 1 }).where(eq(events.id, 1));
            }),
          ),
        );
        expect(await db.select({ n: events.n }).from(events).where(eq(events.id, 1)).get()).toEqual({ n: 40 });
      }));

    it('fails fast with ERR_RAPSQLITE_TRANSACTION_DEADLOCK when a transaction writes through the outer database', () =>
      withApp(kind, async (db) => {
        const code = await codeOf(db.transaction(async () => db.insert(events).values({ source: 'outer', n: 1 })));
        expect(code).toBe('ERR_RAPSQLITE_TRANSACTION_DEADLOCK');
        expect(await db.$count(events)).toBe(0);
      }));
  });
}

describe('pool routing', () => {
  it('sends selects to readers and writes and transactions to the writer', () =>
    withApp('pool', async (db, client) => {
      const pool = client as Pool;
      const roles: string[] = [];
      const onAcquire = (e: { role: string; kind: string }) => roles.push(`${e.kind}:${e.role}`);
      pool.on('acquire', onAcquire);
      await db.insert(events).values({ source: 'x', n: 1 });
      await db.select().from(events);
      await db.query.events.findMany();
      await db.$count(events);
      await db.insert(events).values({ source: 'y', n: 2 }).returning();
      await db.transaction((tx) => tx.select().from(events));
      await db.all(sql`SELECT 1`);
      pool.off('acquire', onAcquire);
      expect(roles).toEqual(['run:writer', 'values:reader', 'values:reader', 'values:reader', 'values:writer', 'transaction:writer', 'all:reader']);
    }));
});
