import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { defineEntity, MikroORM, p, SqliteDriver, UniqueConstraintViolationException } from '@mikro-orm/sql';
import { RapsqliteDialect } from '../src/index.ts';
import { HANDLES, tempDir } from './helpers.ts';

const AuthorSchema = defineEntity({
  name: 'Author',
  properties: {
    id: p.bigint('bigint').primary().autoincrement(false),
    email: p.string().unique(),
    name: p.string(),
    books: () => p.oneToMany(BookSchema).mappedBy('author'),
  },
});

const BookSchema = defineEntity({
  name: 'Book',
  properties: {
    id: p.integer().primary(),
    title: p.string(),
    author: () => p.manyToOne(AuthorSchema).inversedBy('books'),
  },
});

const BIG = 2n ** 60n + 3n;

describe('MikroORM 7 on the rapsqlite dialect', () => {
  for (const kind of ['database', 'pool'] as const) {
    it(`persists entities with relations in transactions and keeps bigint ids past 2^53 exact (${kind})`, async () => {
      await using tmp = await tempDir();
      const file = join(tmp.dir, 'mikro.db');
      const orm = await MikroORM.init({
        driver: SqliteDriver,
        dbName: file,
        driverOptions: new RapsqliteDialect({ database: await HANDLES[kind](file, { integers: 'auto' }) }),
        entities: [AuthorSchema, BookSchema],
        debug: false,
      });
      try {
        await orm.schema.create();
        const em = orm.em.fork();
        const ada = em.create(AuthorSchema, { id: BIG, email: 'ada@example.com', name: 'Ada' });
        em.create(BookSchema, { title: 'Notes on the Engine', author: ada });
        em.create(BookSchema, { title: 'Sketch', author: ada });
        await em.flush();

        const read = orm.em.fork();
        const author = await read.findOneOrFail(AuthorSchema, { email: 'ada@example.com' }, { populate: ['books'] });
        expect(author.id).toBe(BIG);
        expect(author.books.getItems().map((b) => b.title).sort()).toEqual(['Notes on the Engine', 'Sketch']);

        // A unique violation surfaces as MikroORM's exception, with SQLite's code kept on it.
        const dup = orm.em.fork();
        dup.create(AuthorSchema, { id: 1n, email: 'ada@example.com', name: 'Copy' });
        const error = await dup.flush().then(() => undefined, (e: unknown) => e);
        expect(error).toBeInstanceOf(UniqueConstraintViolationException);
        expect((error as { code?: string }).code).toBe('SQLITE_CONSTRAINT_UNIQUE');

        // A failed transaction rolls back; a nested one rolls back to its savepoint.
        await expect(
          orm.em.fork().transactional(async (tx) => {
            tx.create(BookSchema, { title: 'Lost', author: tx.getReference(AuthorSchema, BIG) });
            await tx.flush();
            throw new Error('abandon');
          }),
        ).rejects.toThrow('abandon');
        await orm.em.fork().transactional(async (tx) => {
          tx.create(BookSchema, { title: 'Kept', author: tx.getReference(AuthorSchema, BIG) });
          await tx.flush();
          await tx
            .transactional(async (inner) => {
              inner.create(BookSchema, { title: 'Inner', author: inner.getReference(AuthorSchema, BIG) });
              await inner.flush();
              throw new Error('inner');
            })
            .catch(() => undefined);
        });
        const titles = (await orm.em.fork().find(BookSchema, {}, { orderBy: { id: 'asc' } })).map((b) => b.title);
        expect(titles).toEqual(['Notes on the Engine', 'Sketch', 'Kept']);
        expect(await orm.em.fork().count(BookSchema, { author: BIG })).toBe(3);
      } finally {
        await orm.close();
      }
    });
  }

  it('fails with a code instead of rounding when the dialect reads integers as numbers', async () => {
    await using tmp = await tempDir();
    const file = join(tmp.dir, 'mikro.db');
    const options = { driver: SqliteDriver, dbName: file, entities: [AuthorSchema, BookSchema] };
    const writer = await MikroORM.init({ ...options, driverOptions: new RapsqliteDialect({ database: await HANDLES.database(file, { integers: 'auto' }) }) });
    await writer.schema.create();
    const em = writer.em.fork();
    em.create(AuthorSchema, { id: BIG, email: 'big@example.com', name: 'Big' });
    await em.flush();
    await writer.close();
    const reader = await MikroORM.init({ ...options, driverOptions: new RapsqliteDialect({ database: await HANDLES.database(file), integers: 'number' }) });
    try {
      const error = await reader.em.fork().findOne(AuthorSchema, { email: 'big@example.com' }).then(() => undefined, (e: unknown) => e);
      expect((error as { code?: string }).code).toBe('ERR_RAPSQLITE_INTEGER_OVERFLOW');
    } finally {
      await reader.close();
    }
  });
});
