import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { jsonArrayFrom } from 'kysely/helpers/sqlite';
import { RapsqliteDriver, type RapsqliteHandle } from '../src/index.ts';
import { codeOf, HANDLES, isPool, kyselyOn, migrate, tempDir, type AppDatabase, type HandleKind } from './helpers.ts';

const BIG = 2n ** 60n + 3n;

async function withApp(kind: HandleKind, body: (db: Kysely<AppDatabase>, handle: RapsqliteHandle) => Promise<void>): Promise<void> {
  await using tmp = await tempDir();
  const handle = await HANDLES[kind](join(tmp.dir, 'app.db'), { integers: 'auto' });
  const db = kyselyOn(handle);
  try {
    await migrate(db as Kysely<unknown>);
    await body(db, handle);
  } finally {
    await db.destroy();
  }
}

async function seed(db: Kysely<AppDatabase>): Promise<void> {
  await db
    .insertInto('users')
    .values([
      { id: 1, email: 'ada@example.com', name: 'Ada', created_at: '2026-01-01T00:00:00.000Z' },
      { id: 2, email: 'grace@example.com', name: 'Grace', created_at: '2026-02-01T00:00:00.000Z' },
    ])
    .execute();
  await db
    .insertInto('posts')
    .values([
      { user_id: 1, title: 'Engines', views: 10, published_at: Date.UTC(2026, 0, 2) },
      { user_id: 1, title: 'Notes', views: 5, published_at: null },
      { user_id: 2, title: 'Compilers', views: 30, published_at: Date.UTC(2026, 1, 3) },
    ])
    .execute();
}

for (const kind of ['database', 'pool'] as const) {
  describe(`Kysely on a rapsqlite ${kind}`, () => {
    it('creates, reads, updates and deletes, with insertId and numAffectedRows as bigints', () =>
      withApp(kind, async (db) => {
        const inserted = await db.insertInto('users').values({ email: 'linus@example.com', name: 'Linus', created_at: '2026-03-01T00:00:00.000Z' }).executeTakeFirstOrThrow();
        expect(inserted.insertId).toBe(1n);
        expect(inserted.numInsertedOrUpdatedRows).toBe(1n);
        expect(await db.selectFrom('users').select(['id', 'name']).where('email', '=', 'linus@example.com').executeTakeFirst()).toEqual({ id: 1, name: 'Linus' });
        const updated = await db.updateTable('users').set({ name: 'Linus T.' }).where('id', '=', 1).executeTakeFirstOrThrow();
        expect(updated.numUpdatedRows).toBe(1n);
        const none = await db.updateTable('users').set({ name: 'x' }).where('id', '=', 99).executeTakeFirstOrThrow();
        expect(none.numUpdatedRows).toBe(0n);
        const deleted = await db.deleteFrom('users').where('id', '=', 1).executeTakeFirstOrThrow();
        expect(deleted.numDeletedRows).toBe(1n);
        expect(await db.selectFrom('users').selectAll().execute()).toEqual([]);
      }));

    it('returns rows from INSERT, UPDATE and DELETE … RETURNING', () =>
      withApp(kind, async (db) => {
        const rows = await db
          .insertInto('users')
          .values([
            { email: 'a@example.com', name: 'A', created_at: 'x' },
            { email: 'b@example.com', name: 'B', created_at: 'y' },
          ])
          .returning(['id', 'email'])
          .execute();
        expect(rows).toEqual([
          { id: 1, email: 'a@example.com' },
          { id: 2, email: 'b@example.com' },
        ]);
        expect(await db.updateTable('users').set({ name: 'AA' }).where('id', '=', 1).returning('name').executeTakeFirst()).toEqual({ name: 'AA' });
        expect(await db.deleteFrom('users').where('id', '=', 2).returningAll().execute()).toEqual([{ id: 2, email: 'b@example.com', name: 'B', created_at: 'y' }]);
      }));

    it('joins, aggregates and nests related rows as JSON', () =>
      withApp(kind, async (db) => {
        await seed(db);
        const joined = await db
          .selectFrom('posts')
          .innerJoin('users', 'users.id', 'posts.user_id')
          .select(['users.name', 'posts.title'])
          .orderBy('posts.id')
          .execute();
        expect(joined).toEqual([
          { name: 'Ada', title: 'Engines' },
          { name: 'Ada', title: 'Notes' },
          { name: 'Grace', title: 'Compilers' },
        ]);
        const totals = await db
          .selectFrom('users')
          .leftJoin('posts', 'posts.user_id', 'users.id')
          .select(['users.name', (eb) => eb.fn.count<number>('posts.id').as('posts'), (eb) => eb.fn.sum<number>('posts.views').as('views')])
          .groupBy('users.id')
          .having((eb) => eb.fn.count('posts.id'), '>', 0)
          .orderBy('views', 'desc')
          .execute();
        expect(totals).toEqual([
          { name: 'Grace', posts: 1, views: 30 },
          { name: 'Ada', posts: 2, views: 15 },
        ]);
        const nested = await db
          .selectFrom('users')
          .select((eb) => ['name', jsonArrayFrom(eb.selectFrom('posts').select('title').whereRef('posts.user_id', '=', 'users.id').orderBy('posts.id')).as('posts')])
          .orderBy('id')
          .execute();
        expect(nested.map((u) => ({ name: u.name, posts: (typeof u.posts === 'string' ? JSON.parse(u.posts) : u.posts) as unknown }))).toEqual([
          { name: 'Ada', posts: [{ title: 'Engines' }, { title: 'Notes' }] },
          { name: 'Grace', posts: [{ title: 'Compilers' }] },
        ]);
        // A foreign key with ON DELETE CASCADE: the engine turns foreign keys on.
        await db.deleteFrom('users').where('id', '=', 1).execute();
        expect(await db.selectFrom('posts').select('title').execute()).toEqual([{ title: 'Compilers' }]);
      }));

    it('commits a transaction that resolves and rolls back one that throws', () =>
      withApp(kind, async (db) => {
        const id = await db.transaction().execute(async (trx) => {
          const user = await trx.insertInto('users').values({ email: 'tx@example.com', name: 'Tx', created_at: 'x' }).returning('id').executeTakeFirstOrThrow();
          await trx.insertInto('posts').values({ user_id: user.id, title: 'in tx' }).execute();
          return user.id;
        });
        expect(id).toBe(1);
        const failure = new Error('abandon');
        await expect(
          db.transaction().execute(async (trx) => {
            await trx.insertInto('users').values({ email: 'gone@example.com', name: 'Gone', created_at: 'x' }).execute();
            throw failure;
          }),
        ).rejects.toBe(failure);
        expect(await db.selectFrom('users').select('email').execute()).toEqual([{ email: 'tx@example.com' }]);
        expect(await db.selectFrom('posts').select('title').execute()).toEqual([{ title: 'in tx' }]);
      }));

    it('nests savepoints: rollbackToSavepoint keeps the savepoint open, releaseSavepoint keeps the work', () =>
      withApp(kind, async (db) => {
        const add = (q: Kysely<AppDatabase>, email: string) => q.insertInto('users').values({ email, name: email, created_at: 'x' }).execute();
        const trx = await db.startTransaction().execute();
        await add(trx, 'a');
        const sp1 = await trx.savepoint('sp1').execute();
        await add(sp1, 'b');
        const sp2 = await sp1.savepoint('sp2').execute();
        await add(sp2, 'c');
        const back = await sp2.rollbackToSavepoint('sp1').execute();
        await add(back, 'd');
        const again = await back.rollbackToSavepoint('sp1').execute();
        await add(again, 'e');
        const released = await again.releaseSavepoint('sp1').execute();
        const sp3 = await released.savepoint('sp3').execute();
        await add(sp3, 'f');
        await (await sp3.releaseSavepoint('sp3').execute()).commit().execute();
        expect((await db.selectFrom('users').select('email').orderBy('id').execute()).map((u) => u.email)).toEqual(['a', 'e', 'f']);

        const rolled = await db.startTransaction().execute();
        await add(rolled, 'g');
        const inner = await rolled.savepoint('inner').execute();
        await add(inner, 'h');
        await inner.rollback().execute();
        expect((await db.selectFrom('users').select('email').orderBy('id').execute()).map((u) => u.email)).toEqual(['a', 'e', 'f']);
      }));

    it('continues a transaction after a constraint error rolled back to a savepoint, with the code preserved', () =>
      withApp(kind, async (db) => {
        await seed(db);
        const trx = await db.startTransaction().execute();
        await trx.insertInto('users').values({ email: 'new@example.com', name: 'New', created_at: 'x' }).execute();
        const sp = await trx.savepoint('dup').execute();
        const code = await codeOf(sp.insertInto('users').values({ email: 'ada@example.com', name: 'Dup', created_at: 'x' }).execute());
        expect(code).toBe('SQLITE_CONSTRAINT_UNIQUE');
        await (await sp.rollbackToSavepoint('dup').execute()).commit().execute();
        expect(await db.selectFrom('users').select('email').where('name', '=', 'New').execute()).toEqual([{ email: 'new@example.com' }]);
        // Outside a transaction the error comes through Kysely unchanged.
        const err = await db
          .insertInto('users')
          .values({ id: 1, email: 'other@example.com', name: 'x', created_at: 'x' })
          .execute()
          .then(() => undefined, (e: unknown) => e as { code: string; name: string; sql: string });
        expect(err).toMatchObject({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY', name: 'SqliteError' });
        expect(err?.sql).toContain('insert into "users"');
      }));

    it('reports a failed COMMIT (a deferred foreign key) with its code, and keeps nothing', () =>
      withApp(kind, async (db) => {
        await sql`CREATE TABLE parent (id INTEGER PRIMARY KEY)`.execute(db);
        await sql`CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)`.execute(db);
        const code = await codeOf(db.transaction().execute((trx) => sql`INSERT INTO child (parent_id) VALUES (42)`.execute(trx)));
        expect(code).toBe('SQLITE_CONSTRAINT_FOREIGNKEY');
        expect((await sql<{ n: number }>`SELECT count(*) AS n FROM child`.execute(db)).rows).toEqual([{ n: 0 }]);
        // The connection is free again: another transaction commits.
        await db.transaction().execute((trx) => sql`INSERT INTO parent (id) VALUES (1)`.execute(trx));
        expect((await sql<{ n: number }>`SELECT count(*) AS n FROM parent`.execute(db)).rows).toEqual([{ n: 1 }]);
      }));

    it('carries ids past 2^53 exactly as bigints, and never returns a rounded number', () =>
      withApp(kind, async (db, handle) => {
        await db.insertInto('users').values({ id: BIG, email: 'big@example.com', name: 'Big', created_at: 'x' }).execute();
        const inserted = await db.insertInto('posts').values({ user_id: BIG, title: 'big post' }).executeTakeFirstOrThrow();
        expect(inserted.insertId).toBe(1n);
        const big = await db.selectFrom('users').innerJoin('posts', 'posts.user_id', 'users.id').select(['users.id', 'posts.user_id', 'posts.id as post_id']).executeTakeFirstOrThrow();
        expect(big).toEqual({ id: BIG, user_id: BIG, post_id: 1 });
        const next = await db.insertInto('users').values({ email: 'after@example.com', name: 'After', created_at: 'x' }).executeTakeFirstOrThrow();
        expect(next.insertId).toBe(BIG + 1n);
        expect(await db.selectFrom('users').select('id').where('id', '=', BIG + 1n).executeTakeFirst()).toEqual({ id: BIG + 1n });

        // Per dialect: every integer as a bigint, or numbers that refuse to be rounded.
        const asBigint = kyselyOn(handle, { integers: 'bigint', closeOnDestroy: false });
        expect(await asBigint.selectFrom('posts').select(['id', 'views']).executeTakeFirst()).toEqual({ id: 1n, views: 0n });
        const asNumber = kyselyOn(handle, { integers: 'number', closeOnDestroy: false });
        expect(await codeOf(asNumber.selectFrom('users').select('id').where('email', '=', 'big@example.com').execute())).toBe('ERR_RAPSQLITE_INTEGER_OVERFLOW');
        expect(await asNumber.selectFrom('posts').select('id').execute()).toEqual([{ id: 1 }]);
      }));

    it('stores and returns BLOBs and dates as the application maps them', () =>
      withApp(kind, async (db) => {
        await seed(db);
        const bytes = Uint8Array.from({ length: 4096 }, (_, i) => (i * 31) % 256);
        await db.insertInto('attachments').values({ post_id: 1, data: Buffer.from(bytes) }).execute();
        await db.insertInto('attachments').values({ post_id: 1, data: Buffer.from('hello') }).execute();
        const blobs = await db.selectFrom('attachments').select('data').orderBy('id').execute();
        expect(Buffer.isBuffer(blobs[0]!.data)).toBe(true);
        expect(Buffer.compare(blobs[0]!.data, bytes)).toBe(0);
        expect(blobs[1]!.data.toString()).toBe('hello');
        // Kysely does not convert dates for SQLite: ISO text and epoch milliseconds both compare and sort correctly.
        const created = new Date('2026-01-15T00:00:00.000Z');
        const after = await db.selectFrom('users').select('name').where('created_at', '>', created.toISOString()).execute();
        expect(after).toEqual([{ name: 'Grace' }]);
        const published = await db.selectFrom('posts').select(['title', 'published_at']).where('published_at', 'is not', null).orderBy('published_at').execute();
        expect(published.map((p) => [p.title, new Date(p.published_at!).toISOString()])).toEqual([
          ['Engines', '2026-01-02T00:00:00.000Z'],
          ['Compilers', '2026-02-03T00:00:00.000Z'],
        ]);
        expect(await codeOf(db.insertInto('users').values({ email: 'd', name: 'd', created_at: created as unknown as string }).execute())).toBe('ERR_RAPSQLITE_PARAMETER_TYPE');
      }));

    it('streams 10 000 rows in chunks of the requested size, and finalizes the statement on break', () =>
      withApp(kind, async (db, handle) => {
        await handle.runMany(
          'INSERT INTO events (source, n) VALUES (?, ?)',
          Array.from({ length: 10_000 }, (_, i) => ['seed', i]),
        );
        let count = 0;
        let sum = 0;
        for await (const row of db.selectFrom('events').select('n').orderBy('id').stream(500)) {
          expect(row.n).toBe(count);
          count++;
          sum += row.n;
        }
        expect(count).toBe(10_000);
        expect(sum).toBe((10_000 * 9_999) / 2);

        // Kysely's chunks are the engine's chunks: one result per 700 rows, the last one shorter.
        const compiled = db.selectFrom('events').select('n').compile();
        const sizes: number[] = [];
        const driver = new RapsqliteDriver(Object.freeze({ database: handle, closeOnDestroy: false }));
        await driver.init();
        const connection = await driver.acquireConnection();
        for await (const chunk of connection.streamQuery<{ n: number }>(compiled, 700)) sizes.push(chunk.rows.length);
        expect(sizes).toEqual([...Array.from({ length: 14 }, () => 700), 200]);

        let seen = 0;
        for await (const row of db.selectFrom('events').selectAll().orderBy('id').stream(100)) {
          seen += row.n === seen ? 1 : 0;
          if (seen === 150) break;
        }
        expect(seen).toBe(150);
        // The cursor is closed: on a pool its reader is free again; on a database a statement left open would make
        // DROP TABLE fail with SQLITE_LOCKED.
        if (isPool(handle)) expect(handle.stats().readers.running).toBe(0);
        await db.schema.dropTable('events').execute();
        expect(await codeOf(db.selectFrom('events').selectAll().execute())).toBe('SQLITE_ERROR');
      }));

    it('streams inside a transaction and sees its uncommitted rows', () =>
      withApp(kind, async (db) => {
        await db.transaction().execute(async (trx) => {
          await trx.insertInto('events').values(Array.from({ length: 1000 }, (_, i) => ({ source: 'tx', n: i }))).execute();
          let count = 0;
          for await (const row of trx.selectFrom('events').select('n').stream(64)) count += row.n >= 0 ? 1 : 0;
          expect(count).toBe(1000);
        });
      }));

    it('runs raw SQL of every kind through sql``', () =>
      withApp(kind, async (db) => {
        const created = await sql`CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)`.execute(db);
        expect(created.rows).toEqual([]);
        const insert = await sql`INSERT INTO notes (body) VALUES (${'one'}), (${'two'})`.execute(db);
        expect(insert.numAffectedRows).toBe(2n);
        expect(insert.insertId).toBe(2n);
        // The second run of the same raw SQL takes the remembered route straight to run().
        const again = await sql`INSERT INTO notes (body) VALUES (${'three'}), (${'four'})`.execute(db);
        expect(again.numAffectedRows).toBe(2n);
        expect((await sql<{ body: string }>`SELECT body FROM notes WHERE id > ${1} ORDER BY id`.execute(db)).rows.map((r) => r.body)).toEqual(['two', 'three', 'four']);
        expect((await sql<{ body: string }>`UPDATE notes SET body = upper(body) WHERE id = ${1} RETURNING body`.execute(db)).rows).toEqual([{ body: 'ONE' }]);
        expect((await sql<{ name: string }>`PRAGMA table_info(notes)`.execute(db)).rows.map((r) => r.name)).toEqual(['id', 'body']);
        expect(await codeOf(sql`SELEC 1`.execute(db))).toBe('SQLITE_ERROR');
      }));

    it('introspects the schema with Kysely’s SQLite introspector', () =>
      withApp(kind, async (db) => {
        const tables = await db.introspection.getTables();
        expect(tables.map((t) => t.name).sort()).toEqual(['attachments', 'events', 'posts', 'users']);
        const users = tables.find((t) => t.name === 'users')!;
        expect(users.columns.map((c) => [c.name, c.dataType, c.isNullable])).toEqual([
          ['id', 'INTEGER', true],
          ['email', 'TEXT', false],
          ['name', 'TEXT', false],
          ['created_at', 'TEXT', false],
        ]);
      }));
  });
}
