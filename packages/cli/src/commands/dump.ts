import { open as openFile, rename, rm, type FileHandle } from 'node:fs/promises';
import type { Command } from 'commander';
import { hasErrorCode, type Database, type DumpOptions } from '@rapsqlite/engine';
import { CliError, EXIT_CODES } from '../exit-codes.ts';
import { checkDestination, temporaryPathFor } from '../files.ts';
import { formatBytes, toJson } from '../format.ts';
import { interruptedError, onAbort, stopsCleanly } from '../interrupt.ts';
import type { CliStream } from '../io.ts';
import { openDb, type DbFlags } from '../open-db.ts';
import { createProgress, type Progress } from '../progress.ts';
import type { Context } from '../context.ts';

interface DumpFlags extends DbFlags {
  out?: string;
  force?: boolean;
  tables?: string[];
  schemaOnly?: boolean;
  dataOnly?: boolean;
  progress?: boolean;
  json?: boolean;
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Rows the dump will write, per table, for the progress bar (counted only when a bar is drawn). */
async function rowsToDump(db: Database, tables: readonly string[] | undefined): Promise<number> {
  const all = await db.all<{ name: string }>("SELECT name FROM pragma_table_list WHERE schema = 'main' AND type IN ('table', 'virtual') AND name NOT LIKE 'sqlite_%'");
  const wanted = tables === undefined ? undefined : new Set(tables.map((t) => t.toLowerCase()));
  let total = 0;
  for (const { name } of all) {
    if (wanted !== undefined && !wanted.has(name.toLowerCase())) continue;
    const row = await db.get<{ n: number }>(`SELECT count(*) AS n FROM ${quote(name)}`, [], { integers: 'number' }).catch(() => undefined);
    total += row?.n ?? 0;
  }
  return total;
}

const ROW_LINE = /(?:^|\n)INSERT INTO ("(?:[^"]|"")*")/g;

/** Advances the bar by the row statements in a chunk (a dump writes one `INSERT INTO "t"` line per row). */
function track(bar: Progress, total: number): (chunk: string) => void {
  let rows = 0;
  return (chunk) => {
    let table: string | undefined;
    for (const match of chunk.matchAll(ROW_LINE)) {
      rows++;
      table = match[1];
    }
    if (table !== undefined) bar.update(Math.min(rows, total), table.slice(1, -1).replaceAll('""', '"'));
  };
}

/** Writes to a stream, waiting for `'drain'` when its buffer is full; rejects when the stream fails (a closed pipe). */
function streamWriter(stream: CliStream, signal: AbortSignal | undefined): { write(text: string): Promise<void>; failed(): unknown; close(): void } {
  let failure: unknown;
  let wake: (() => void) | undefined;
  const onError = (error: unknown) => {
    failure = error ?? new Error('write failed');
    wake?.();
  };
  stream.once?.('error', onError);
  const stopListening = onAbort(signal, () => wake?.());
  return {
    async write(text) {
      if (failure !== undefined) return;
      if (stream.write(text) !== false || stream.once === undefined) return;
      await new Promise<void>((resolve) => {
        wake = () => resolve();
        stream.once!('drain', () => resolve());
      });
      wake = undefined;
    },
    failed: () => failure,
    close() {
      stopListening();
      stream.removeListener?.('error', onError);
    },
  };
}

/** Dumps `path` to `--out` (through a temporary file renamed when complete) or to stdout. */
async function dumpTo(ctx: Context, path: string, flags: DumpFlags, signal: AbortSignal | undefined): Promise<void> {
  const target = flags.out === undefined ? undefined : await checkDestination(ctx.cwd, flags.out, flags.force === true, 'dump file');
  const db = await openDb(ctx.cwd, path, flags, { readonly: true });
  // A bar on stderr whenever the SQL does not go to that same terminal.
  const bar = createProgress(ctx.io.stderr, flags.progress !== false && flags.json !== true && (target !== undefined || ctx.io.stdout.isTTY !== true));
  const temporary = target === undefined ? undefined : temporaryPathFor(target.file);
  const sink = temporary === undefined ? streamWriter(ctx.io.stdout, signal) : undefined;
  const stopped = () => interruptedError(target === undefined ? 'the dump on stdout is incomplete' : 'no dump file was written');
  let file: FileHandle | undefined;
  let bytes = 0;
  let complete = false;
  try {
    if (temporary !== undefined) file = await openFile(temporary, 'wx');
    const options: DumpOptions = {
      ...(flags.tables === undefined ? {} : { tables: flags.tables }),
      ...(flags.schemaOnly === true ? { schemaOnly: true } : {}),
      ...(flags.dataOnly === true ? { dataOnly: true } : {}),
    };
    const chunks = db.dump(options);
    let seen: ((chunk: string) => void) | undefined;
    if (bar.active) {
      const total = flags.schemaOnly === true ? 0 : await rowsToDump(db, flags.tables);
      bar.start(total, '');
      seen = track(bar, total);
    }
    for await (const chunk of chunks) {
      if (signal?.aborted === true) throw stopped();
      seen?.(chunk);
      bytes += Buffer.byteLength(chunk);
      if (file !== undefined) await file.write(chunk);
      else {
        await sink!.write(chunk);
        // The reader closed the pipe (`| head`): stop quietly, it has what it wanted.
        if (sink!.failed() !== undefined) break;
      }
    }
    if (signal?.aborted === true) throw stopped();
    await file?.sync();
    complete = true;
  } catch (error) {
    if (hasErrorCode(error) && error.code === 'ERR_RAPSQLITE_SCHEMA_NOT_FOUND') throw new CliError(EXIT_CODES.USAGE, error.message, error.code);
    throw error;
  } finally {
    bar.stop();
    sink?.close();
    await file?.close();
    await db.close();
    if (temporary !== undefined) {
      if (complete) await rename(temporary, target!.file);
      else await rm(temporary, { force: true });
    }
  }
  if (target === undefined) return;
  if (flags.json === true) ctx.io.stdout.write(`${toJson({ file: target.file, bytes, replaced: target.existed })}\n`);
  else ctx.io.stderr.write(`wrote ${flags.out}: ${formatBytes(bytes)}\n`);
}

/** `dump <db>`: the database as SQL text, streamed to stdout or to a file written under a temporary name. */
export function dumpCommand(program: Command, ctx: Context): void {
  program
    .command('dump')
    .description("the database as SQL text, like the sqlite3 shell's .dump (streamed; restore reads it back)")
    .argument('<db>', 'database file')
    .option('--out <file>', 'write to this file (complete or not at all) instead of stdout')
    .option('--force', 'replace an existing --out file')
    .option('--tables <names...>', 'only these tables and views, with their indexes and triggers')
    .option('--schema-only', 'only the CREATE statements')
    .option('--data-only', 'only the rows (for a database whose schema exists)')
    .option('--json', 'with --out: print { file, bytes, replaced } on stdout instead of the summary on stderr')
    .option('--no-progress', 'no progress bar')
    .action(async (path: string, flags: DumpFlags) => {
      if (flags.schemaOnly === true && flags.dataOnly === true) throw new CliError(EXIT_CODES.USAGE, '--schema-only and --data-only exclude each other.', 'ERR_RAPSQLITE_INVALID_ARGUMENT');
      if (flags.json === true && flags.out === undefined) throw new CliError(EXIT_CODES.USAGE, '--json needs --out: without it the dump itself goes to stdout.', 'ERR_RAPSQLITE_INVALID_ARGUMENT');
      const listening = stopsCleanly(ctx.io.signal);
      try {
        await dumpTo(ctx, path, flags, ctx.io.signal);
      } finally {
        listening();
      }
    });
}
