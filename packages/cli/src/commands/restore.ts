import { createReadStream } from 'node:fs';
import { rm, stat, truncate } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { hasErrorCode, restore } from '@rapsqlite/engine';
import { CliError, EXIT_CODES } from '../exit-codes.ts';
import { removeDatabaseFiles } from '../files.ts';
import { toJson } from '../format.ts';
import { interruptedError, onAbort, stopsCleanly } from '../interrupt.ts';
import { mustExist, openDb, type DbFlags } from '../open-db.ts';
import { createProgress, type Progress } from '../progress.ts';
import type { Context } from '../context.ts';

interface RestoreFlags extends DbFlags {
  force?: boolean;
  foreignKeys: 'check' | 'off';
  json?: boolean;
  progress?: boolean;
}

/** How a dump of the sqlite3 shell or of rapsqlite begins: its statements run in the transaction it opens. */
const DUMP_HEAD = /^\s*(?:PRAGMA foreign_keys=OFF;\s*)?BEGIN TRANSACTION;/;
const DUMP_TAIL = /COMMIT;\s*$/;

/** The first or last 64 characters of a chunk (bytes read as Latin-1: the markers looked for are ASCII). */
function edge(chunk: string | Uint8Array, which: 'first' | 'last'): string {
  if (typeof chunk === 'string') return which === 'first' ? chunk.slice(0, 64) : chunk.slice(-64);
  const part = which === 'first' ? chunk.subarray(0, 64) : chunk.subarray(-64);
  return Buffer.from(part.buffer, part.byteOffset, part.byteLength).toString('latin1');
}

/**
 * The dump's chunks, advancing the bar by the bytes read. When the signal aborts it throws at once, even while a
 * chunk is awaited (a pipe on stdin that has gone quiet), and the source is closed. A dump that opens its
 * transaction (`BEGIN TRANSACTION;`) but does not end with `COMMIT;` was cut short (a dump to stdout interrupted, a
 * copy that stopped): it throws at the end, before anything is committed, instead of restoring part of the data.
 */
async function* watched(source: AsyncIterable<string | Uint8Array>, bar: Progress, signal: AbortSignal | undefined): AsyncGenerator<string | Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  let read = 0;
  // The first and last characters read (bytes as Latin-1: the markers are ASCII), for the cut-short check.
  let head = '';
  let tail = '';
  let aborted: (() => void) | undefined;
  const abort = new Promise<'aborted'>((resolve) => (aborted = () => resolve('aborted')));
  const stop = onAbort(signal, () => aborted!());
  try {
    for (;;) {
      // Thrown inside restore()'s transaction, which then rolls back.
      const next = await Promise.race([iterator.next(), abort]);
      if (next === 'aborted') throw interruptedError('nothing was restored');
      if (next.done === true) break;
      const chunk = next.value;
      read += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
      if (head.length < 64) head += edge(chunk, 'first');
      tail = (tail + edge(chunk, 'last')).slice(-64);
      bar.update(read, '');
      yield chunk;
    }
    if (signal?.aborted === true) throw interruptedError('nothing was restored');
    if (DUMP_HEAD.test(head) && !DUMP_TAIL.test(tail)) {
      throw new CliError(EXIT_CODES.FAILURE, 'The dump opens its transaction but does not end with COMMIT: it was cut short. Nothing was restored.', 'ERR_RAPSQLITE_CLI_DUMP_CUT_SHORT');
    }
  } finally {
    stop();
    // Not awaited: a stream waiting for data that never comes would hold the command.
    void Promise.resolve(iterator.return?.()).catch(() => {});
  }
}

/** `restore <file> <db>`: runs a dump in one transaction; all or nothing. */
export function restoreCommand(program: Command, ctx: Context): void {
  program
    .command('restore')
    .description('run an SQL dump into a database in one transaction (all or nothing); the database is created if missing')
    .argument('<file>', "the dump (SQL text); '-' reads stdin")
    .argument('<db>', 'database file (created if missing; refused if it has a schema, unless --force)')
    .option('--force', 'restore into a database that already has tables (a name the dump creates again fails the restore)')
    .addOption(new Option('--foreign-keys <mode>', "'check': foreign keys checked once, at the end; 'off': not checked, as the sqlite3 shell does").choices(['check', 'off']).default('check'))
    .option('--json', 'print JSON')
    .option('--no-progress', 'no progress bar')
    .action(async (from: string, path: string, flags: RestoreFlags) => {
      const signal = ctx.io.signal;
      let source: AsyncIterable<string | Uint8Array>;
      let size: number | undefined;
      if (from === '-') {
        if (ctx.io.stdin === undefined) throw new CliError(EXIT_CODES.USAGE, 'No stdin to read the dump from.', 'ERR_RAPSQLITE_INVALID_ARGUMENT');
        source = ctx.io.stdin;
      } else {
        const file = resolve(ctx.cwd, from);
        await mustExist(file, 'dump');
        size = (await stat(file)).size;
        source = createReadStream(file, { highWaterMark: 256 * 1024 });
      }
      const target = resolve(ctx.cwd, path);
      const before = await stat(target).catch(() => undefined);
      if (before !== undefined && !before.isFile()) throw new CliError(EXIT_CODES.USAGE, `${path} is not a file.`, 'ERR_RAPSQLITE_INVALID_ARGUMENT');
      if (before === undefined && (await stat(dirname(target)).catch(() => undefined))?.isDirectory() !== true) throw new CliError(EXIT_CODES.NOT_FOUND, `No such folder: ${dirname(target)}`, 'ENOENT');
      // A database this command creates (or an empty file it fills) is taken back when the restore fails.
      const fresh = before === undefined || before.size === 0;
      const undo = async () => {
        if (before === undefined) await removeDatabaseFiles(target);
        else if (before.size === 0) {
          await truncate(target, 0);
          for (const suffix of ['-journal', '-wal', '-shm']) await rm(`${target}${suffix}`, { force: true });
        }
      };
      let result: { statements: number };
      const listening = stopsCleanly(signal);
      try {
        const db = await openDb(ctx.cwd, path, flags, { create: true });
        const bar = createProgress(ctx.io.stderr, flags.progress !== false && flags.json !== true && size !== undefined, 'bytes');
        try {
          if (!fresh) {
            const objects = (await db.get<{ n: number }>("SELECT count(*) AS n FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'", [], { integers: 'number' }))!.n;
            if (objects > 0 && flags.force !== true) {
              throw new CliError(EXIT_CODES.EXISTS, `${target} is not empty (${objects} schema object(s)); pass --force to restore into it anyway.`, 'ERR_RAPSQLITE_CLI_NOT_EMPTY');
            }
          }
          bar.start(size ?? 0, '');
          result = await restore(db, watched(source, bar, signal), { foreignKeys: flags.foreignKeys });
          bar.update(size ?? 0, '');
        } finally {
          bar.stop();
          await db.close();
        }
      } catch (error) {
        if (fresh) await undo();
        if (signal?.aborted === true) throw interruptedError(fresh ? 'nothing was restored and the new database was removed' : 'nothing was restored');
        // Text restore() refuses (not UTF-8, a dump that rolls back) is a failed restore, not a wrong command line.
        if (hasErrorCode(error) && error.code === 'ERR_RAPSQLITE_INVALID_ARGUMENT') throw new CliError(EXIT_CODES.FAILURE, error.message, error.code);
        throw error;
      } finally {
        listening();
      }
      if (flags.json === true) ctx.io.stdout.write(`${toJson({ database: target, statements: result.statements })}\n`);
      else ctx.io.stdout.write(`restored ${result.statements} statement(s) into ${path}\n`);
    });
}
