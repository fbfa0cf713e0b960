import { describe, expect, it } from 'vitest';
import { asc, eq, gt, sql } from 'drizzle-orm';
import { Pool } from '@rapsqlite/pool';
import { iterate } from '../src/index.ts';
import { codeOf, schema, withApp } from './helpers.ts';

const { events, users, posts } = schema;

for (const kind of ['database', 'pool'] as const) {
  describe(`streaming on a rapsqlite ${kind}`, () => {
    it('streams 10 000 rows of a select, mapped as Drizzle maps them, and finalizes the statement on break', () =>
      withApp(kind, async (db, client) => {
        await client.runMany('INSERT INTO events (source, n) VALUES (?, ?)', Array.from({ length: 10_000 }, (_, i) => ['seed', i]));
        let seen = 0;
        let sum = 0;
        for await (const row of iterate(db.select({ n: events.n, source: events.source }).from(events).orderBy(asc(events.id)), { chunkSize: 500 })) {
          expect(row).toEqual({ n: seen, source: 'seed' });
          seen++;
          sum += row.n;
        }
        expect(seen).toBe(10_000);
        expect(sum).toBe((10_000 * 9_999) / 2);

        let taken = 0;
        for await (const row of iterate(db.select().from(events).where(gt(events.n, 99)), { chunkSize: 64 })) {
          taken += row.n >= 100 ? 1 : 0;
          if (taken === 300) break;
        }
        expect(taken).toBe(300);
        if (client instanceof Pool) expect(client.stats().readers.running).toBe(0);
        // A statement left open on the connection would make DROP TABLE fail.
        await db.run(sql`DROP TABLE events`);
      }));

    it('streams joins with nested objects, raw sql, and inside a transaction', () =>
      withApp(kind, async (db) => {
        await db.insert(users).values({ id: 1, email: 'ada@example.com', name: 'Ada' });
        await db.insert(posts).values(Array.from({ length: 40 }, (_, i) => ({ authorId: 1, title: `p${i}` })));
        const joined: unknown[] = [];
        for await (const row of iterate(db.select({ title: posts.title, author: { name: users.name } }).from(posts).innerJoin(users, eq(users.id, posts.authorId)))) joined.push(row);
        expect(joined).toHaveLength(40);
        expect(joined[0]).toEqual({ title: 'p0', author: { name: 'Ada' } });
        const raw: unknown[] = [];
        for await (const row of iterate(db.select({ t: sql<string>`upper(${posts.title})` }).from(posts).limit(2))) raw.push(row);
        expect(raw).toEqual([{ t: 'P0' }, { t: 'P1' }]);
        await db.transaction(async (tx) => {
          await tx.insert(posts).values({ authorId: 1, title: 'uncommitted' });
          let n = 0;
          for await (const _row of iterate(tx.select().from(posts), { chunkSize: 7 })) n++;
          expect(n).toBe(41);
        });
      }));

    it('refuses what object rows cannot map: duplicate column names, relational queries', () =>
      withApp(kind, async (db) => {
        await db.insert(users).values({ id: 1, email: 'ada@example.com', name: 'Ada' });
        await db.insert(posts).values({ authorId: 1, title: 'p' });
        const stream = iterate(db.select().from(posts).innerJoin(users, eq(users.id, posts.authorId)));
        expect(await codeOf(stream.next())).toBe('ERR_RAPSQLITE_DRIZZLE_DUPLICATE_COLUMNS');
        expect(await codeOf(iterate(db.query.users.findMany()).next())).toBe('ERR_RAPSQLITE_INVALID_ARGUMENT');
      }));
  });
}
