import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { formatBytes, toJson } from '../format.ts';
import { openDb, type DbFlags } from '../open-db.ts';
import type { Context } from '../context.ts';

/** `vacuum <db>` and `optimize <db>`. */
export function maintenanceCommands(program: Command, ctx: Context): void {
  program
    .command('vacuum')
    .description('rebuild the file without free pages (VACUUM)')
    .argument('<db>', 'database file')
    .option('--json', 'print JSON')
    .action(async (path: string, flags: DbFlags & { json?: boolean }) => {
      const file = resolve(ctx.cwd, path);
      const db = await openDb(ctx.cwd, path, flags);
      try {
        const before = (await stat(file)).size;
        await db.exec('VACUUM');
        await db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
        const after = (await stat(file)).size;
        if (flags.json === true) ctx.io.stdout.write(`${toJson({ path: file, sizeBefore: before, sizeAfter: after })}\n`);
        else ctx.io.stdout.write(`vacuumed: ${formatBytes(before)} → ${formatBytes(after)}\n`);
      } finally {
        await db.close();
      }
    });
  program
    .command('optimize')
    .description('update the query planner statistics (PRAGMA optimize, ANALYZE where it helps)')
    .argument('<db>', 'database file')
    .option('--analyze', 'run a full ANALYZE')
    .action(async (path: string, flags: DbFlags & { analyze?: boolean }) => {
      const db = await openDb(ctx.cwd, path, flags);
      try {
        await db.exec(flags.analyze === true ? 'ANALYZE' : 'PRAGMA optimize=0x10002');
        ctx.io.stdout.write(flags.analyze === true ? 'analyzed\n' : 'optimized\n');
      } finally {
        await db.close();
      }
    });
}
