import { relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { hasErrorCode, type BackupResult } from '@rapsqlite/engine';
import { CliError, EXIT_CODES } from '../exit-codes.ts';
import { checkDestination, sameFile } from '../files.ts';
import { formatBytes, toJson } from '../format.ts';
import { interruptedError } from '../interrupt.ts';
import { mustExist, openDb, type DbFlags } from '../open-db.ts';
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
      const bar = createProgress(ctx.io.stderr, flags.progress !== false && flags.json !== true, 'bytes');
      let result: BackupResult;
      try {
        const pageSize = (await db.get<{ page_size: number }>('PRAGMA page_size', [], { integers: 'number' }))!.page_size;
        let started = false;
        result = await db.backup(file, {
          pagesPerStep,
          ...(ctx.io.signal === undefined ? {} : { signal: ctx.io.signal }),
          onProgress: ({ totalPages, remainingPages }) => {
            if (!started) bar.start(totalPages * pageSize, relative(ctx.cwd, file));
            else bar.setTotal(totalPages * pageSize);
            started = true;
            bar.update((totalPages - remainingPages) * pageSize, relative(ctx.cwd, file));
          },
        });
      } catch (error) {
        if (ctx.io.signal?.aborted === true && hasErrorCode(error) && error.code === 'ERR_RAPSQLITE_ABORTED') {
          throw interruptedError(existed ? `${dest} was left as it was` : `no backup was written`);
        }
        throw error;
      } finally {
        bar.stop();
        await db.close();
      }
      if (flags.json === true) ctx.io.stdout.write(`${toJson(result)}\n`);
      else ctx.io.stdout.write(`backed up ${path} to ${dest}: ${formatBytes(result.bytes)}, ${result.totalPages} pages in ${result.steps} step(s)\n`);
    });
}
