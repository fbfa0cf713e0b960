import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HANDLE_KINDS, Prisma, prismaOn, type PrismaClient } from './helpers.ts';

const BIG = 2n ** 62n + 12345n; // far past 2^53: a number would round it

describe.each(HANDLE_KINDS)('Prisma Client on rapsqlite (%s)', (kind) => {
  let prisma: PrismaClient;
  let close: () => Promise<void>;

  beforeEach(async () => {
    ({ prisma, close } = await prismaOn(kind));
  });
  afterEach(async () => {
    await close();
  });

  it('creates, reads, updates and deletes', async () => {
    const created = await prisma.user.create({ data: { email: 'ada@example.com', name: 'Ada' } });
    expect(created).toMatchObject({ id: 1, email: 'ada@example.com', name: 'Ada', role: 'USER', karma: 0n, score: 0 });
    expect(await prisma.user.findUnique({ where: { email: 'ada@example.com' } })).toEqual(created);

    const updated = await prisma.user.update({ where: { id: created.id }, data: { name: 'Ada L.', role: 'ADMIN', score: { increment: 1.5 } } });
    expect(updated).toMatchObject({ name: 'Ada L.', role: 'ADMIN', score: 1.5 });

    const many = await prisma.user.createMany({ data: [{ email: 'b@example.com' }, { email: 'c@example.com' }] });
    expect(many.count).toBe(2);
    expect(await prisma.user.count()).toBe(3);
    expect(await prisma.user.updateMany({ where: { email: { endsWith: '@example.com' } }, data: { score: 2 } })).toEqual({ count: 3 });
    expect((await prisma.user.findMany({ where: { score: 2 }, orderBy: { email: 'desc' }, take: 2 })).map((u) => u.email)).toEqual([
      'c@example.com',
      'b@example.com',
    ]);

    await prisma.user.delete({ where: { id: created.id } });
    expect(await prisma.user.findUnique({ where: { id: created.id } })).toBeNull();
    expect(await prisma.user.deleteMany()).toEqual({ count: 2 });
  });

  it('round-trips BigInt past 2^53, Decimal, DateTime, Json, Bytes, Float and enums exactly', async () => {
    const when = new Date('2025-03-04T05:06:07.089Z');
    const avatar = Buffer.from([0, 1, 2, 253, 254, 255]);
    const settings = { theme: 'dark', nested: { list: [1, 'two', null, true] } };
    const user = await prisma.user.create({
      data: { email: 'types@example.com', karma: BIG, balance: new Prisma.Decimal('1234.5'), score: 0.1 + 0.2, settings, avatar, createdAt: when, role: 'ADMIN' },
    });
    const read = await prisma.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(read.karma).toBe(BIG);
    expect(Prisma.Decimal.isDecimal(read.balance)).toBe(true);
    expect(read.balance.toString()).toBe('1234.5');
    expect(read.score).toBe(0.1 + 0.2);
    expect(read.createdAt).toEqual(when);
    expect(read.settings).toEqual(settings);
    expect(Buffer.from(read.avatar as Uint8Array).equals(avatar)).toBe(true);
    expect(read.role).toBe('ADMIN');

    // Filters bind the same way: a bigint past 2^53 and a date compare exactly.
    expect(await prisma.user.count({ where: { karma: BIG } })).toBe(1);
    expect(await prisma.user.count({ where: { karma: BIG - 1n } })).toBe(0);
    expect(await prisma.user.count({ where: { createdAt: { gte: when } } })).toBe(1);
    expect(await prisma.user.count({ where: { createdAt: { gt: when } } })).toBe(0);
    const bumped = await prisma.user.update({ where: { id: user.id }, data: { karma: { increment: 1n } } });
    expect(bumped.karma).toBe(BIG + 1n);
  });

  it('runs nested writes and reads relations with include and select', async () => {
    const user = await prisma.user.create({
      data: {
        email: 'writer@example.com',
        profile: { create: { bio: 'Writes things' } },
        posts: {
          create: [
            { title: 'First', published: true, publishedAt: new Date('2025-01-01T00:00:00Z'), tags: { create: [{ name: 'sqlite' }, { name: 'node' }] } },
            { title: 'Draft', tags: { connectOrCreate: { where: { name: 'sqlite' }, create: { name: 'sqlite' } } } },
          ],
        },
      },
      include: { profile: true, posts: { include: { tags: { orderBy: { name: 'asc' } } }, orderBy: { id: 'asc' } } },
    });
    expect(user.profile?.bio).toBe('Writes things');
    expect(user.posts.map((p) => [p.title, p.published, p.tags.map((t) => t.name)])).toEqual([
      ['First', true, ['node', 'sqlite']],
      ['Draft', false, ['sqlite']],
    ]);
    expect(await prisma.tag.count()).toBe(2);

    const withCounts = await prisma.user.findFirstOrThrow({ select: { email: true, _count: { select: { posts: true } } } });
    expect(withCounts).toEqual({ email: 'writer@example.com', _count: { posts: 2 } });
    const published = await prisma.post.findMany({ where: { published: true, author: { email: 'writer@example.com' } }, select: { title: true, author: { select: { profile: true } } } });
    expect(published).toEqual([{ title: 'First', author: { profile: { id: 1, bio: 'Writes things', userId: user.id } } }]);

    // Cascading delete through the foreign keys Prisma declared.
    await prisma.user.delete({ where: { id: user.id } });
    expect(await prisma.post.count()).toBe(0);
    expect(await prisma.profile.count()).toBe(0);
  });

  it('aggregates and groups', async () => {
    await prisma.user.createMany({ data: [1, 2, 3, 4].map((n) => ({ email: `u${n}@example.com`, score: n, role: n % 2 === 0 ? 'ADMIN' : 'USER' })) });
    const agg = await prisma.user.aggregate({ _sum: { score: true }, _avg: { score: true }, _max: { score: true } });
    expect(agg).toEqual({ _sum: { score: 10 }, _avg: { score: 2.5 }, _max: { score: 4 } });
    const groups = await prisma.user.groupBy({ by: ['role'], _count: { _all: true }, orderBy: { role: 'asc' } });
    expect(groups).toEqual([
      { role: 'ADMIN', _count: { _all: 2 } },
      { role: 'USER', _count: { _all: 2 } },
    ]);
  });

  it('runs a batch $transaction([...]) atomically', async () => {
    const [a, b] = await prisma.$transaction([prisma.user.create({ data: { email: 'a@example.com' } }), prisma.user.create({ data: { email: 'b@example.com' } })]);
    expect([a.email, b.email]).toEqual(['a@example.com', 'b@example.com']);
    await expect(prisma.$transaction([prisma.user.create({ data: { email: 'c@example.com' } }), prisma.user.create({ data: { email: 'a@example.com' } })])).rejects.toMatchObject({
      code: 'P2002',
    });
    expect(await prisma.user.findUnique({ where: { email: 'c@example.com' } })).toBeNull();
  });

  it('commits an interactive transaction and rolls one back when its callback throws', async () => {
    const id = await prisma.$transaction(async (tx) => {
      const user = await tx.user.create({ data: { email: 'commit@example.com' } });
      await tx.post.create({ data: { title: 'kept', authorId: user.id } });
      return user.id;
    });
    expect(await prisma.post.count({ where: { authorId: id } })).toBe(1);

    const boom = new Error('boom');
    await expect(
      prisma.$transaction(async (tx) => {
        await tx.user.create({ data: { email: 'rollback@example.com' } });
        expect(await tx.user.count()).toBe(2);
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await prisma.user.findUnique({ where: { email: 'rollback@example.com' } })).toBeNull();
    expect(await prisma.user.count()).toBe(1);
  });

  it('nests interactive transactions as savepoints: an inner failure rolls back only the inner work', async () => {
    await prisma.$transaction(async (tx) => {
      await tx.user.create({ data: { email: 'outer@example.com' } });
      await expect(
        tx.$transaction(async (inner) => {
          await inner.user.create({ data: { email: 'inner@example.com' } });
          throw new Error('inner');
        }),
      ).rejects.toThrow('inner');
      await tx.$transaction(async (inner) => {
        await inner.user.create({ data: { email: 'inner-kept@example.com' } });
      });
    });
    expect((await prisma.user.findMany({ orderBy: { id: 'asc' } })).map((u) => u.email)).toEqual(['outer@example.com', 'inner-kept@example.com']);

    await expect(
      prisma.$transaction(async (tx) => {
        await tx.$transaction(async (inner) => {
          await inner.user.create({ data: { email: 'released-then-rolled-back@example.com' } });
        });
        throw new Error('outer');
      }),
    ).rejects.toThrow('outer');
    expect(await prisma.user.count()).toBe(2);
  });

  it('reports constraint violations with Prisma codes (P2002, P2003, P2025) and NOT NULL as NullConstraintViolation', async () => {
    await prisma.user.create({ data: { email: 'dup@example.com' } });
    const dup = await prisma.user.create({ data: { email: 'dup@example.com' } }).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(Prisma.PrismaClientKnownRequestError);
    expect(dup).toMatchObject({ code: 'P2002' });
    expect((dup as Prisma.PrismaClientKnownRequestError).meta).toMatchObject({ modelName: 'User' });

    await expect(prisma.post.create({ data: { title: 'orphan', authorId: 999 } })).rejects.toMatchObject({ code: 'P2003' });
    await expect(prisma.$executeRaw`INSERT INTO "User" (email, balance, karma, score, role, createdAt) VALUES (NULL, 0, 0, 0, 'USER', 0)`).rejects.toMatchObject({
      code: 'P2010',
      meta: { driverAdapterError: { cause: { kind: 'NullConstraintViolation', originalCode: 'SQLITE_CONSTRAINT_NOTNULL' } } },
    });
    await expect(prisma.user.update({ where: { id: 12345 }, data: { name: 'x' } })).rejects.toMatchObject({ code: 'P2025' });
    // A unique violation inside an interactive transaction leaves the transaction usable until its callback throws.
    await expect(
      prisma.$transaction(async (tx) => {
        await tx.user.create({ data: { email: 'tx@example.com' } });
        await tx.user.create({ data: { email: 'dup@example.com' } });
      }),
    ).rejects.toMatchObject({ code: 'P2002' });
    expect(await prisma.user.findUnique({ where: { email: 'tx@example.com' } })).toBeNull();
  });

  it('runs $queryRaw and $executeRaw with typed parameters and results', async () => {
    const when = new Date('2024-02-29T12:00:00.000Z');
    const inserted = await prisma.$executeRaw`INSERT INTO "User" (email, balance, karma, score, role, createdAt, avatar) VALUES (${'raw@example.com'}, ${0}, ${BIG}, ${1.25}, ${'USER'}, ${when}, ${Buffer.from('hi')})`;
    expect(inserted).toBe(1);
    const rows = await prisma.$queryRaw<{ id: number; karma: bigint; score: number; createdAt: Date; avatar: Uint8Array; n: bigint; half: number }[]>`
      SELECT id, karma, score, createdAt, avatar, count(*) OVER () AS n, 0.5 AS half FROM "User" WHERE email = ${'raw@example.com'}`;
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row.karma).toBe(BIG);
    expect(row.score).toBe(1.25);
    expect(row.createdAt).toEqual(when);
    expect(Buffer.from(row.avatar).toString()).toBe('hi');
    expect(row.n).toBe(1n); // integer expressions come back as BigInt, as with Prisma's own SQLite adapters
    expect(row.half).toBe(0.5);

    // A big integer from an expression, and a parameter bound back exactly.
    const [echo] = await prisma.$queryRaw<{ big: bigint; same: bigint }[]>`SELECT ${BIG} AS big, ${BIG} = karma AS same FROM "User"`;
    expect(echo).toEqual({ big: BIG, same: 1n });
    expect(await prisma.$executeRawUnsafe('UPDATE "User" SET name = ? WHERE karma = ?', 'named', BIG)).toBe(1);
    expect(await prisma.$queryRawUnsafe('SELECT name FROM "User"')).toEqual([{ name: 'named' }]);
    // An UPDATE through $queryRaw returns no rows, and still runs.
    expect(await prisma.$queryRaw`UPDATE "User" SET name = ${'again'}`).toEqual([]);
    expect(await prisma.user.findFirst({ select: { name: true } })).toEqual({ name: 'again' });
    await expect(prisma.$queryRaw`SELECT * FROM missing_table`).rejects.toMatchObject({ code: 'P2010', meta: { driverAdapterError: { cause: { kind: 'TableDoesNotExist' } } } });
  });

  it('reports a missing table as P2021 for model queries', async () => {
    await prisma.$executeRawUnsafe('DROP TABLE "Profile"');
    await expect(prisma.profile.findMany()).rejects.toMatchObject({ code: 'P2021' });
  });

  it('refuses isolation levels SQLite does not have (P2023), as Prisma\'s SQLite adapters do', async () => {
    await expect(prisma.$transaction(async () => undefined, { isolationLevel: 'ReadCommitted' as never })).rejects.toMatchObject({ code: 'P2023' });
    await expect(prisma.$transaction(async (tx) => tx.user.count(), { isolationLevel: 'Serializable' })).resolves.toBe(0);
  });
});
