// Prisma Client on rapsqlite: a pool of one writer and two readers, an interactive transaction, and reads that keep
// answering (without seeing its uncommitted rows) while it is open. Run: npm test (generates the client first).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool } from '@rapsqlite/pool';
import { PrismaRapsqlite } from '@rapsqlite/prisma';
import { Prisma, PrismaClient } from './generated/client.ts';

const dir = await mkdtemp(join(tmpdir(), 'rapsqlite-prisma-example-'));
const pool = await createPool(join(dir, 'library.db'), { maxReaders: 2 });
const prisma = new PrismaClient({ adapter: new PrismaRapsqlite(pool) });
try {
  await pool.exec(await readFile(new URL('./migrations/001_init.sql', import.meta.url), 'utf8'));

  const author = await prisma.author.create({
    data: {
      email: 'le.guin@example.com',
      name: 'Ursula K. Le Guin',
      books: { create: [{ title: 'The Dispossessed', sold: 9_007_199_254_740_993n, published: new Date('1974-05-01') }] },
    },
    include: { books: true },
  });
  assert.equal(author.books[0]?.sold, 9_007_199_254_740_993n); // past 2^53, exact
  console.log(`created ${author.name} with ${author.books.length} book`);

  // While an interactive transaction holds the writer, reads from elsewhere run on the readers and see the data as
  // it was before the transaction.
  await prisma.$transaction(async (tx) => {
    await tx.book.create({ data: { title: 'The Lathe of Heaven', published: new Date('1971-01-01'), authorId: author.id } });
    const outside = await Promise.all(Array.from({ length: 10 }, () => prisma.book.count()));
    assert.deepEqual(outside, Array(10).fill(1));
    assert.equal(await tx.book.count(), 2);
  });
  assert.equal(await prisma.book.count(), 2);
  console.log('10 reads answered during the transaction, none saw its row; after the commit: 2 books');

  try {
    await prisma.author.create({ data: { email: 'le.guin@example.com', name: 'Again' } });
    assert.fail('expected a unique violation');
  } catch (err) {
    assert.ok(err instanceof Prisma.PrismaClientKnownRequestError);
    assert.equal(err.code, 'P2002');
    console.log(`duplicate e-mail: ${err.code}`);
  }

  const [{ total }] = await prisma.$queryRaw<{ total: bigint }[]>`SELECT sum(sold) AS total FROM "Book"`;
  assert.equal(total, 9_007_199_254_740_993n);
  console.log(`total sold (raw query): ${total}`);
} finally {
  await prisma.$disconnect();
  await pool.close();
  await rm(dir, { recursive: true, force: true });
}
