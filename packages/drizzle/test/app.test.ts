import { describe, expect, it } from 'vitest';
import { and, asc, count, desc, eq, gt, isNotNull, sql, sum } from 'drizzle-orm';
import { DrizzleQueryError, TransactionRollbackError } from 'drizzle-orm';
import { codeOf, schema, withApp, type App } from './helpers.ts';

const { users, posts, attachments, accounts, events } = schema;
const BIG = 2n ** 60n + 3n;

async function seed(db: App): Promise<void> {
  await db.insert(users).values([
    { id: 1, email: 'ada@example.com', name: 'Ada', createdAt: new Date('2026-01-01T00:00:00.000Z') },
    { id: 2, email: 'grace@example.com', name: 'Grace', createdAt: new Date('2026-02-01T00:00:00.000Z') },
  ]);
  await db.insert(posts).values([
    { authorId: 1, title: 'Engines', views: 10, published: true, publishedAt: new Date('2026-01-02T00:00:00.000Z'), meta: { tags: ['math'] } },
    { authorId: 1, title: 'Notes', views: 5 },
    { authorId: 2, title: 'Compilers', views: 30, published: true, publishedAt: new Date('2026-02-03T00:00:00.000Z'), rating: 4.5 },
  ]);
}

for (const kind of ['database', 'pool'] as const) {
  describe(`Drizzle on a rapsqlite ${kind}`, () => {
    it('creates, reads, updates and deletes, with RETURNING and run results', () =>
      withApp(kind, async (db) => {
        const [ada] = await db.insert(users).values({ email: 'ada@example.com', name: 'Ada' }).returning();
        expect(ada).toMatchObject({ id: 1, email: 'ada@example.com', name: 'Ada', bio: null });
        expect(ada!.createdAt).toBeInstanceOf(Date);
        const inserted = await db.insert(users).values({ email: 'linus@example.com', name: 'Linus' });
        expect(inserted).toEqual({ changes: 1, lastInsertRowid: 2 });
        const updated = await db.update(users).set({ bio: 'kernel' }).where(eq(users.id, 2)).returning({ id: users.id, bio: users.bio });
        expect(updated).toEqual([{ id: 2, bio: 'kernel' }]);
        expect(await db.select({ name: users.name }).from(users).where(eq(users.email, 'linus@example.com')).get()).toEqual({ name: 'Linus' });
        const removed = await db.delete(users).where(eq(users.id, 1));
        expect(removed.changes).toBe(1);
        expect(await db.select().from(users).all()).toEqual([expect.objectContaining({ id: 2, name: 'Linus' })]);
        expect(await db.select().from(users).where(eq(users.id, 42)).get()).toBeUndefined();
      }));

    it('answers relational queries with nested relations', () =>
      withApp(kind, async (db) => {
        await seed(db);
        const found = await db.query.users.findMany({
          columns: { name: true },
          with: { posts: { columns: { title: true }, orderBy: (p, { asc: up }) => [up(p.id)] } },
          orderBy: (u, { asc: up }) => [up(u.id)],
        });
        expect(found).toEqual([
          { name: 'Ada', posts: [{ title: 'Engines' }, { title: 'Notes' }] },
          { name: 'Grace', posts: [{ title: 'Compilers' }] },
        ]);
        const post = await db.query.posts.findFirst({ where: (p, { eq: is }) => is(p.title, 'Compilers'), with: { author: { columns: { email: true } } } });
        expect(post).toMatchObject({ title: 'Compilers', rating: 4.5, published: true, author: { email: 'grace@example.com' } });
        expect(post!.publishedAt).toEqual(new Date('2026-02-03T00:00:00.000Z'));
      }));

    it('joins with columns of the same name kept apart, aggregates and counts', () =>
      withApp(kind, async (db) => {
        await seed(db);
        const joined = await db.select().from(posts).innerJoin(users, eq(users.id, posts.authorId)).orderBy(asc(posts.id));
        expect(joined.map((r) => [r.posts.id, r.users.id, r.users.name, r.posts.title])).toEqual([
          [1, 1, 'Ada', 'Engines'],
          [2, 1, 'Ada', 'Notes'],
          [3, 2, 'Grace', 'Compilers'],
        ]);
        const left = await db.select({ name: users.name, post: posts.title }).from(users).leftJoin(posts, and(eq(posts.authorId, users.id), gt(posts.views, 20))).orderBy(asc(users.id));
        expect(left).toEqual([
          { name: 'Ada', post: null },
          { name: 'Grace', post: 'Compilers' },
        ]);
        const totals = await db
          .select({ name: users.name, posts: count(posts.id), views: sum(posts.views) })
          .from(users)
          .leftJoin(posts, eq(posts.authorId, users.id))
          .groupBy(users.id)
          .orderBy(desc(sum(posts.views)));
        expect(totals).toEqual([
          { name: 'Grace', posts: 1, views: '30' },
          { name: 'Ada', posts: 2, views: '15' },
        ]);
        expect(await db.$count(posts)).toBe(3);
        expect(await db.$count(posts, eq(posts.authorId, 1))).toBe(2);
        const withCounts = await db.select({ name: users.name, n: db.$count(posts, eq(posts.authorId, users.id)) }).from(users).orderBy(asc(users.id));
        expect(withCounts).toEqual([
          { name: 'Ada', n: 2 },
          { name: 'Grace', n: 1 },
        ]);
        await db.delete(users).where(eq(users.id, 1));
        expect(await db.$count(posts)).toBe(1);
      }));

    it('commits, rolls back on a throw or tx.rollback(), and nests savepoints', () =>
      withApp(kind, async (db) => {
        const id = await db.transaction(async (tx) => {
          const [u] = await tx.insert(users).values({ email: 'tx@example.com', name: 'Tx' }).returning({ id: users.id });
          await tx.insert(posts).values({ authorId: u!.id, title: 'in tx' });
          return u!.id;
        });
        expect(id).toBe(1);
        const boom = new Error('boom');
        await expect(
          db.transaction(async (tx) => {
            await tx.insert(users).values({ email: 'gone@example.com', name: 'Gone' });
            throw boom;
          }),
        ).rejects.toBe(boom);
        await expect(
          db.transaction(async (tx) => {
            await tx.insert(users).values({ email: 'rolled@example.com', name: 'Rolled' });
            tx.rollback();
          }),
        ).rejects.toBeInstanceOf(TransactionRollbackError);
        await db.transaction(async (tx) => {
          await tx.insert(users).values({ email: 'outer@example.com', name: 'Outer' });
          await expect(
            tx.transaction(async (sp) => {
              await sp.insert(users).values({ email: 'inner@example.com', name: 'Inner' });
              await sp.transaction(async (deeper) => {
                await deeper.insert(users).values({ email: 'deeper@example.com', name: 'Deeper' });
              });
              throw new Error('undo inner');
            }),
          ).rejects.toThrow('undo inner');
          await tx.transaction(async (sp) => {
            await sp.insert(users).values({ email: 'kept@example.com', name: 'Kept' });
          });
        });
        expect((await db.select({ email: users.email }).from(users).orderBy(asc(users.id))).map((u) => u.email)).toEqual(['tx@example.com', 'outer@example.com', 'kept@example.com']);
      }));

    it('begins deferred, immediate and exclusive transactions', () =>
      withApp(kind, async (db) => {
        for (const behavior of ['deferred', 'immediate', 'exclusive'] as const) {
          await db.transaction((tx) => tx.insert(events).values({ source: behavior, n: 1 }), { behavior });
        }
        expect((await db.select({ s: events.source }).from(events)).map((e) => e.s)).toEqual(['deferred', 'immediate', 'exclusive']);
      }));

    it('surfaces a unique violation as Drizzle does, with SQLite’s code kept', () =>
      withApp(kind, async (db) => {
        await seed(db);
        const error = await db
          .insert(users)
          .values({ email: 'ada@example.com', name: 'Dup' })
          .then(() => undefined, (e: unknown) => e);
        expect(error).toBeInstanceOf(DrizzleQueryError);
        expect((error as DrizzleQueryError).cause).toMatchObject({ code: 'SQLITE_CONSTRAINT_UNIQUE', name: 'SqliteError' });
        // Inside a transaction the failure rolls it back and keeps its code.
        expect(
          await codeOf(
            db.transaction(async (tx) => {
              await tx.insert(users).values({ email: 'new@example.com', name: 'New' });
              await tx.insert(users).values({ email: 'grace@example.com', name: 'Dup' });
            }),
          ),
        ).toBe('SQLITE_CONSTRAINT_UNIQUE');
        expect(await db.$count(users)).toBe(2);
        expect(await codeOf(db.insert(posts).values({ authorId: 99, title: 'orphan' }))).toBe('SQLITE_CONSTRAINT_FOREIGNKEY');
      }));

    it('keeps int64 columns exact past 2^53, and never rounds an integer() column', () =>
      withApp(
        kind,
        async (db, client) => {
          await db.insert(accounts).values([
            { id: BIG, owner: 'big', balance: BIG + 1n },
            { id: 7n, owner: 'small', balance: -5n },
          ]);
          const auto = (await import('./helpers.ts')).app(client, { integers: 'auto' });
          expect(await auto.select().from(accounts).orderBy(asc(accounts.owner)).all()).toEqual([
            { id: BIG, owner: 'big', balance: BIG + 1n },
            { id: 7n, owner: 'small', balance: -5n },
          ]);
          expect(await auto.select().from(accounts).where(eq(accounts.id, BIG)).get()).toEqual({ id: BIG, owner: 'big', balance: BIG + 1n });
          // The default mode refuses to round: a coded error, never 1152921504606846976.
          expect(await codeOf(db.select().from(accounts).where(eq(accounts.id, BIG)))).toBe('ERR_RAPSQLITE_INTEGER_OVERFLOW');
          await db.run(sql`INSERT INTO events (id, source, n) VALUES (${BIG}, 'big', 1)`);
          expect(await codeOf(db.select().from(events))).toBe('ERR_RAPSQLITE_INTEGER_OVERFLOW');
          expect(await codeOf(db.$count(events, gt(events.id, 0)))).toBeUndefined();
        },
        { integers: 'number' },
      ));

    it('stores blobs, dates, booleans and JSON as Drizzle maps them', () =>
      withApp(kind, async (db) => {
        await seed(db);
        const bytes = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7) % 256));
        await db.insert(attachments).values({ postId: 1, data: bytes });
        const [att] = await db.select().from(attachments);
        expect(Buffer.isBuffer(att!.data)).toBe(true);
        expect(att!.data.equals(bytes)).toBe(true);
        const [engines] = await db.select().from(posts).where(eq(posts.title, 'Engines'));
        expect(engines).toMatchObject({ published: true, meta: { tags: ['math'] }, publishedAt: new Date('2026-01-02T00:00:00.000Z') });
        const ada = await db.query.users.findFirst({ where: eq(users.id, 1) });
        expect(ada!.createdAt).toEqual(new Date('2026-01-01T00:00:00.000Z'));
        const recent = await db.select({ title: posts.title }).from(posts).where(and(isNotNull(posts.publishedAt), gt(posts.publishedAt, new Date('2026-01-15T00:00:00.000Z'))));
        expect(recent).toEqual([{ title: 'Compilers' }]);
        const [raw] = await db.all<{ created_at: number }>(sql`SELECT created_at FROM users WHERE id = 1`);
        expect(raw!.created_at).toBe(Date.UTC(2026, 0, 1));
      }));

    it('runs prepared statements with placeholders many times', () =>
      withApp(kind, async (db) => {
        await seed(db);
        const byAuthor = db.select({ title: posts.title }).from(posts).where(eq(posts.authorId, sql.placeholder('author'))).orderBy(asc(posts.id)).prepare();
        expect(await byAuthor.all({ author: 1 })).toEqual([{ title: 'Engines' }, { title: 'Notes' }]);
        expect(await byAuthor.all({ author: 2 })).toEqual([{ title: 'Compilers' }]);
        expect(await byAuthor.get({ author: 2 })).toEqual({ title: 'Compilers' });
        const addEvent = db.insert(events).values({ source: sql.placeholder('source'), n: sql.placeholder('n') }).prepare();
        for (let i = 0; i < 5; i++) await addEvent.run({ source: 'prepared', n: i });
        expect(await db.$count(events, eq(events.source, 'prepared'))).toBe(5);
        const relational = db.query.users.findFirst({ where: (u, { eq: is }) => is(u.email, sql.placeholder('email')), with: { posts: true } }).prepare();
        expect((await relational.execute({ email: 'grace@example.com' }))?.posts.map((p) => p.title)).toEqual(['Compilers']);
      }));

    it('runs a batch in one transaction: all or nothing', () =>
      withApp(kind, async (db) => {
        const [inserted, selected, counted] = await db.batch([
          db.insert(users).values({ email: 'b1@example.com', name: 'B1' }).returning({ id: users.id }),
          db.select({ name: users.name }).from(users),
          db.query.users.findMany({ columns: { email: true } }),
        ]);
        expect(inserted).toEqual([{ id: 1 }]);
        expect(selected).toEqual([{ name: 'B1' }]);
        expect(counted).toEqual([{ email: 'b1@example.com' }]);
        expect(
          await codeOf(db.batch([db.insert(users).values({ email: 'b2@example.com', name: 'B2' }), db.insert(users).values({ email: 'b1@example.com', name: 'dup' })])),
        ).toBe('SQLITE_CONSTRAINT_UNIQUE');
        expect(await db.$count(users)).toBe(1);
      }));

    it('runs raw sql with run, all, get and values', () =>
      withApp(kind, async (db) => {
        await db.run(sql`INSERT INTO events (source, n) VALUES (${'raw'}, ${1}), (${'raw'}, ${2})`);
        expect(await db.all(sql`SELECT n FROM events ORDER BY n`)).toEqual([{ n: 1 }, { n: 2 }]);
        expect(await db.get(sql`SELECT count(*) AS c FROM events`)).toEqual({ c: 2 });
        expect(await db.values(sql`SELECT source, n FROM events ORDER BY n`)).toEqual([
          ['raw', 1],
          ['raw', 2],
        ]);
        expect(await codeOf(db.run(sql`SELEC 1`))).toBe('SQLITE_ERROR');
      }));
  });
}
