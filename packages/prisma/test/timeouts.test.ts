import { open } from '@rapsqlite/engine';
import { afterEach, describe, expect, it } from 'vitest';
import { HANDLE_KINDS, prismaOn, sleep, type PrismaClient } from './helpers.ts';

// Counts to ten billion: minutes of work, far beyond the test's own timeout, unless it is interrupted.
const ENDLESS = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000000000) SELECT count(*) AS n FROM c';

describe.each(HANDLE_KINDS)('transaction timeouts (%s)', (kind) => {
  let prisma: PrismaClient;
  let file: string;
  let close: () => Promise<void>;
  afterEach(async () => {
    await close();
  });

  it('rolls back in the worker a transaction that outlives its timeout, interrupting its running query', async () => {
    ({ prisma, file, close } = await prismaOn(kind));
    let queryError: unknown;
    const outcome = await prisma
      .$transaction(
        async (tx) => {
          await tx.user.create({ data: { email: 'timed-out@example.com' } });
          await tx.$queryRawUnsafe(ENDLESS).catch((err: unknown) => {
            queryError = err;
          });
        },
        { timeout: 300 },
      )
      .catch((err: unknown) => err);
    expect(outcome).toMatchObject({ code: 'P2028' });
    // The endless query was stopped (else nothing below would run before the test's timeout)…
    expect(queryError).toBeDefined();
    // …and its transaction rolled back: the row is gone and another connection can take the write lock at once.
    expect(await prisma.user.count()).toBe(0);
    const other = await open(file, { busyTimeoutMs: 50 });
    try {
      await other.run(`INSERT INTO "User" (email, balance, karma, score, role, createdAt) VALUES ('other@example.com', 0, 0, 0, 'USER', 0)`);
    } finally {
      await other.close();
    }
    expect(await prisma.user.count()).toBe(1);
  });

  it('gives up starting a transaction after maxWait while another one holds the writer, and discards it cleanly', async () => {
    ({ prisma, close } = await prismaOn(kind));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const started = new Promise<void>((resolve) => (holding = resolve));
    const first = prisma.$transaction(
      async (tx) => {
        await tx.user.create({ data: { email: 'first@example.com' } });
        holding();
        await held;
      },
      { timeout: 10_000 },
    );
    await started;
    await expect(prisma.$transaction(async (tx) => tx.user.create({ data: { email: 'never@example.com' } }), { maxWait: 100 })).rejects.toMatchObject({ code: 'P2028' });
    release();
    await first;
    // The abandoned start gets the writer after the first transaction and is rolled back; the next one queues behind it.
    await prisma.$transaction(async (tx) => tx.user.create({ data: { email: 'third@example.com' } }));
    expect((await prisma.user.findMany({ orderBy: { id: 'asc' } })).map((u) => u.email)).toEqual(['first@example.com', 'third@example.com']);
  });

  it('lets reads outside a long transaction proceed on a pool and queue behind it on one database', async () => {
    ({ prisma, close } = await prismaOn(kind));
    await prisma.user.create({ data: { email: 'a@example.com' } });
    let outsideDone = false;
    let outsideDoneWhileOpen = false;
    let outside: Promise<{ name: string | null }> | undefined;
    await prisma.$transaction(async (tx) => {
      await tx.user.update({ where: { email: 'a@example.com' }, data: { name: 'changed' } });
      outside = prisma.user.findUniqueOrThrow({ where: { email: 'a@example.com' } }).then((u) => {
        outsideDone = true;
        return u;
      });
      await sleep(200);
      outsideDoneWhileOpen = outsideDone;
    });
    expect(outsideDoneWhileOpen).toBe(kind === 'pool');
    // A reader saw the row as it was before the transaction; on one database the read ran after the commit.
    expect((await outside)?.name).toBe(kind === 'pool' ? null : 'changed');
  });
});
