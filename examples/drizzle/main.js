// Drizzle on rapsqlite: `npm start` in this folder (after `npm run build` at the root). Exits non-zero if anything
// does not behave as printed.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { count, desc, eq, sql, sum } from 'drizzle-orm';
import { createPool } from '@rapsqlite/pool';
import { drizzle, iterate, migrate } from '@rapsqlite/drizzle';
import * as schema from './schema.js';

const { authors, books } = schema;
const dir = await mkdtemp(join(tmpdir(), 'rapsqlite-drizzle-example-'));
// `integers: 'auto'` lets int64 columns carry ids past 2^53 exactly; plain integer() columns stay numbers.
const pool = await createPool(join(dir, 'library.db'), { minReaders: 2, maxReaders: 2 });
const db = drizzle(pool, { schema, integers: 'auto' });

try {
  // The migrations drizzle-kit generated, applied in one writer transaction.
  const applied = await migrate(db, { migrationsFolder: fileURLToPath(new URL('./drizzle', import.meta.url)) });
  assert.equal(applied.length, 1);

  const borges = 2n ** 60n + 3n;
  await db.transaction(async (tx) => {
    await tx.insert(authors).values([
      { id: borges, name: 'Borges', joinedAt: new Date('1899-08-24T00:00:00Z') },
      { id: 7n, name: 'Calvino', joinedAt: new Date('1923-10-15T00:00:00Z') },
    ]);
    await tx.insert(books).values(Array.from({ length: 2000 }, (_, i) => ({ authorId: i % 2 ? borges : 7n, title: `Book ${i}`, pages: 100 + (i % 300) })));
    // A savepoint: the failed insert is undone, the rest of the transaction stays.
    await tx.transaction(async (sp) => sp.insert(authors).values({ id: 8n, name: 'Borges', joinedAt: new Date() })).catch((e) => {
      assert.equal(e.cause?.code, 'SQLITE_CONSTRAINT_UNIQUE');
    });
  });

  // Relational queries and aggregates, on the pool's readers.
  const withBooks = await db.query.authors.findMany({ with: { books: { limit: 2, orderBy: (b, { asc }) => [asc(b.id)] } }, orderBy: (a, { asc }) => [asc(a.name)] });
  assert.equal(withBooks[0].id, borges);
  assert.deepEqual(withBooks[0].books.map((b) => b.title), ['Book 1', 'Book 3']);
  assert.equal(withBooks[0].joinedAt.getUTCFullYear(), 1899);
  const stats = await db
    .select({ name: authors.name, books: count(books.id), pages: sum(books.pages) })
    .from(authors)
    .innerJoin(books, eq(books.authorId, authors.id))
    .groupBy(authors.id)
    .orderBy(desc(count(books.id)), authors.name);
  assert.deepEqual(stats.map((s) => [s.name, s.books]), [['Borges', 1000], ['Calvino', 1000]]);
  console.log('authors:', stats.map((s) => `${s.name} (${s.books} books, ${s.pages} pages)`).join(', '));
  console.log(`Borges's id, exact past 2^53: ${withBooks[0].id}`);

  // A batch runs in one transaction: both inserts or neither.
  const failed = await db.batch([db.insert(books).values({ authorId: 7n, title: 'Extra', pages: 1 }), db.insert(authors).values({ id: 9n, name: 'Calvino', joinedAt: new Date() })]).catch((e) => e);
  assert.equal(failed.cause?.code ?? failed.code, 'SQLITE_CONSTRAINT_UNIQUE');
  assert.equal(await db.$count(books), 2000);

  // Prepared statements with placeholders, and streaming in chunks.
  const byAuthor = db.select({ title: books.title }).from(books).where(eq(books.authorId, sql.placeholder('author'))).limit(3).prepare();
  assert.deepEqual((await byAuthor.all({ author: 7n })).map((b) => b.title), ['Book 0', 'Book 2', 'Book 4']);
  let pages = 0;
  for await (const book of iterate(db.select({ pages: books.pages }).from(books), { chunkSize: 500 })) pages += book.pages;
  assert.equal(String(pages), String(stats.reduce((n, s) => n + Number(s.pages), 0)));
  console.log(`streamed every book: ${pages} pages in all`);
} finally {
  await pool.close();
  await rm(dir, { recursive: true, force: true });
}
