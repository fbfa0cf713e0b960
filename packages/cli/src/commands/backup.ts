import { relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { hasErrorCode, type BackupResult } from '@rapsqlite/engine';
import { CliError, EXIT_CODES } from '../exit-codes.ts';
import { checkDestination, sameFile } from '../files.ts';
import { formatBytes, toJson } from '../format.ts';
import { interruptedError, sleep, stopsCleanly } from '../interrupt.ts';
import { intFlag, mustExist, openDb, type DbFlags } from '../open-db.ts';
import { createProgress } from '../progress.ts';
import type { Context } from '../context.ts';

interface BackupFlags extends DbFlags {
  force?: boolean;
  pagesPerStep: string;
  json?: boolean;
  progress?: boolean;
}

/** `backup <db> <dest>`: SQLite's online backup to a file, with progress; Ctrl-C leaves no partial copy. */
export function backupCommand(program: Command, ctx: Context): void {
  program
    .command('backup')
    .description('copy a database to a file while it stays in use (SQLite\'s online backup); Ctrl-C leaves no partial copy')
    .argument('<db>', 'database file')
    .argument('<dest>', 'the copy to write')
    .option('--force', 'replace an existing destination')
    .option('--pages-per-step <n>', "pages copied per step, or 'all' for one step (other connections' writes restart a stepped backup)", '100')
    .option('--json', 'print JSON')
    .option('--no-progress', 'no progress bar')
    .action(async (path: string, dest: string, flags: BackupFlags) => {
      const pagesPerStep = flags.pagesPerStep === 'all' ? -1 : Number(flags.pagesPerStep);
      if (flags.pagesPerStep !== 'all' && (!/^\d+$/.test(flags.pagesPerStep) || pagesPerStep < 1)) {
        throw new CliError(EXIT_CODES.USAGE, `--pages-per-step must be a positive integer or 'all', not "${flags.pagesPerStep}".`, 'ERR_RAPSQLITE_INVALID_ARGUMENT');
      }
      const source = resolve(ctx.cwd, path);
      await mustExist(source);
      if (await sameFile(source, resolve(ctx.cwd, dest))) throw new CliError(EXIT_CODES.USAGE, 'The destination is the database itself.', 'ERR_RAPSQLITE_INVALID_ARGUMENT');
      const { file, existed } = await checkDestination(ctx.cwd, dest, flags.force === true, 'destination');
      const db = await openDb(ctx.cwd, path, flags, { readonly: true });
      const busyTimeoutMs = intFlag('--busy-timeout', flags.busyTimeout, 5000);
      const bar = createProgress(ctx.io.stderr, flags.progress !== false && flags.json !== true, 'bytes');
      const signal = ctx.io.signal;
      const stopped = () => interruptedError(existed ? `${dest} was left as it was` : `no backup was written`);
      const listening = stopsCleanly(signal);
      let result: BackupResult;
      try {
        const { page_size: pageSize, page_count: sourcePages } = (await db.get<{ page_size: number; page_count: number }>(
          'SELECT page_size, page_count FROM pragma_page_size, pragma_page_count',
          [],
          { integers: 'number' },
        ))!;
        let started = false;
        const deadline = Date.now() + busyTimeoutMs;
        for (;;) {
          result = await db.backup(file, {
            pagesPerStep,
            ...(signal === undefined ? {} : { signal }),
            onProgress: ({ totalPages, remainingPages }) => {
              if (totalPages === 0) return;
              if (!started) bar.start(totalPages * pageSize, relative(ctx.cwd, file));
              else bar.setTotal(totalPages * pageSize);
              started = true;
              bar.update((totalPages - remainingPages) * pageSize, relative(ctx.cwd, file));
            },
          });
          // A destination another connection holds locked makes SQLite's first step busy, which reads as a finished
          // backup of 0 pages with nothing written: wait for it like for a locked database, then give up.
          if (result.totalPages > 0 || sourcePages === 0) break;
          if (Date.now() >= deadline) {
            throw new CliError(EXIT_CODES.BUSY, `The destination ${dest} stayed locked by another connection; nothing was written to it.`, 'SQLITE_BUSY');
          }
          await sleep(50, signal);
          if (signal?.aborted === true) throw stopped();
        }
      } catch (error) {
        if (signal?.aborted === true && hasErrorCode(error) && error.code === 'ERR_RAPSQLITE_ABORTED') throw stopped();
        throw error;
      } finally {
        listening();
        bar.stop();
        await db.close();
      }
      if (flags.json === true) ctx.io.stdout.write(`${toJson(result)}\n`);
      else ctx.io.stdout.write(`backed up ${path} to ${dest}: ${formatBytes(result.bytes)}, ${result.totalPages} pages in ${result.steps} step(s)\n`);
    });
}
