import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migratedFile, prismaOn, PrismaClient, sleep, type HandleKind } from './helpers.ts';

const READS = 50;

/**
 * Opens an interactive transaction that inserts a row, sends 50 reads from outside it while it is open, then rolls it
 * back. Returns how many reads saw the uncommitted row and how many had answered before the rollback.
 */
async function readsDuringOpenTransaction(prisma: PrismaClient): Promise<{ sawUncommitted: number; answeredWhileOpen: number; total: number }> {
  await prisma.user.create({ data: { email: 'existing@example.com' } });
  let answeredWhileOpen = 0;
  let open = true;
  let reads: Promise<boolean>[] = [];
  const rolledBack = new Error('roll back');
  await expect(
    prisma.$transaction(
      async (tx) => {
        await tx.user.create({ data: { email: 'uncommitted@example.com' } });
        reads = Array.from({ length: READS }, (_, i) =>
          (i % 2 === 0 ? prisma.user.findUnique({ where: { email: 'uncommitted@example.com' } }) : prisma.user.findMany({ where: { email: { startsWith: 'uncommitted' } } }).then((r) => r[0] ?? null)).then(
            (row) => {
              if (open) answeredWhileOpen++;
              return row !== null;
            },
          ),
        );
        // Give the reads every chance to run while the transaction is open.
        for (let i = 0; i < 20 && answeredWhileOpen < READS; i++) await sleep(10);
        open = false;
        throw rolledBack;
      },
      { timeout: 20_000 },
    ),
  ).rejects.toBe(rolledBack);
  const seen = await Promise.all(reads);
  expect(await prisma.user.count()).toBe(1);
  return { sawUncommitted: seen.filter(Boolean).length, answeredWhileOpen, total: seen.length };
}

describe('reads from outside an open interactive transaction', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it.each<HandleKind>(['database', 'pool'])('never see its uncommitted rows on rapsqlite (%s)', async (kind) => {
    const ctx = await prismaOn(kind);
    close = ctx.close;
    const result = await readsDuringOpenTransaction(ctx.prisma);
    expect(result.total).toBe(READS);
    expect(result.sawUncommitted).toBe(0);
    if (kind === 'pool') {
      // Readers answer while the writer is held: the reads did not wait for the transaction.
      expect(result.answeredWhileOpen).toBe(READS);
    } else {
      // One connection: the reads wait until the transaction has ended, then run.
      expect(result.answeredWhileOpen).toBe(0);
    }
  });

  // Prisma's own better-sqlite3 adapter runs them on the transaction's connection, inside the transaction.
  it('shows the better-sqlite3 adapter leak explicitly: every outside read saw the uncommitted row', async () => {
    const { file, cleanup } = await migratedFile();
    const prisma = new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: `file:${file}` }) });
    close = async () => {
      await prisma.$disconnect();
      await cleanup();
    };
    const result = await readsDuringOpenTransaction(prisma);
    expect(result.sawUncommitted).toBe(READS);
  });
});
