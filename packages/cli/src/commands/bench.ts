import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { open, type Database } from '@rapsqlite/engine';
import { renderTable, toJson } from '../format.ts';
import { CliError, EXIT_CODES } from '../exit-codes.ts';
import { interruptedError, stopsCleanly } from '../interrupt.ts';
import { openDb, type DbFlags } from '../open-db.ts';
import { createProgress } from '../progress.ts';
import type { Context } from '../context.ts';

interface Phase {
  readonly name: string;
  readonly operations: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50Us: number | null;
  readonly p99Us: number | null;
}

function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! * 1000);
}

/** Runs `step` for `budgetMs` (or until `signal` aborts) and measures it. */
async function timed(name: string, budgetMs: number, signal: AbortSignal | undefined, step: () => Promise<number>): Promise<Phase> {
  const latencies: number[] = [];
  let operations = 0;
  const started = performance.now();
  while (performance.now() - started < budgetMs && signal?.aborted !== true) {
    const t = performance.now();
    operations += await step();
    latencies.push(performance.now() - t);
  }
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { name, operations, seconds, perSecond: Math.round(operations / seconds), p50Us: percentile(latencies, 0.5), p99Us: percentile(latencies, 0.99) };
}

async function largestTable(db: Database): Promise<{ name: string; maxRowid: number } | undefined> {
  const tables = await db.all<{ name: string }>("SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND wr = 0 AND name NOT LIKE 'sqlite_%'");
  let best: { name: string; maxRowid: number; rows: number } | undefined;
  for (const t of tables) {
    const q = `"${t.name.replaceAll('"', '""')}"`;
    const row = await db.get<{ n: number; m: number | null }>(`SELECT count(*) AS n, max(rowid) AS m FROM ${q}`, [], { integers: 'number' }).catch(() => undefined);
    if (row !== undefined && row.m !== null && (best === undefined || row.n > best.rows)) best = { name: t.name, maxRowid: row.m, rows: row.n };
  }
  return best;
}

/** `bench <db>`: a short read benchmark on the file and a write benchmark on a temporary copy of it. */
export function benchCommand(program: Command, ctx: Context): void {
  program
    .command('bench')
    .description('a short benchmark: point reads, reads in flight and a scan on the file, writes on a temporary copy')
    .argument('<db>', 'database file')
    .option('--seconds <n>', 'time per phase, in seconds (decimals allowed)', '1')
    .option('--json', 'print JSON')
    .option('--no-progress', 'no progress bar')
    .action(async (path: string, flags: DbFlags & { seconds: string; json?: boolean; progress?: boolean }) => {
      if (!/^\d+(\.\d+)?$/.test(flags.seconds) || Number(flags.seconds) <= 0) throw new CliError(EXIT_CODES.USAGE, `--seconds must be a positive number, not "${flags.seconds}".`, 'ERR_RAPSQLITE_INVALID_ARGUMENT');
      const budget = Number(flags.seconds) * 1000;
      const db = await openDb(ctx.cwd, path, flags, { readonly: true, integers: 'auto' });
      const bar = createProgress(ctx.io.stderr, flags.progress !== false && flags.json !== true);
      const phases: Phase[] = [];
      // Ctrl-C ends the phase that runs and removes the scratch copy before the command exits with 130.
      const signal = ctx.io.signal;
      const listening = stopsCleanly(signal);
      const stopIfAborted = () => {
        if (signal?.aborted === true) throw interruptedError('the benchmark stopped and its scratch copy was removed');
      };
      const scratch = await mkdtemp(join(tmpdir(), 'rapsqlite-bench-'));
      try {
        bar.start(5, 'point reads');
        const table = await largestTable(db);
        if (table !== undefined) {
          const sql = `SELECT * FROM "${table.name.replaceAll('"', '""')}" WHERE rowid = ?`;
          const id = () => 1 + Math.floor(Math.random() * table.maxRowid);
          phases.push(await timed(`point get on ${table.name}`, budget, signal, async () => (await db.get(sql, [id()]), 1)));
          stopIfAborted();
          bar.update(1, 'reads in flight');
          phases.push(await timed('32 point gets in flight', budget, signal, async () => (await Promise.all(Array.from({ length: 32 }, () => db.get(sql, [id()]))), 32)));
          stopIfAborted();
          bar.update(2, 'scan');
          phases.push(await timed(`scan of ${table.name}`, budget, signal, async () => {
            let rows = 0;
            for await (const _row of db.iterate(`SELECT * FROM "${table.name.replaceAll('"', '""')}"`)) rows++;
            return rows;
          }));
        }
        stopIfAborted();
        bar.update(3, 'copy for writes');
        const copy = join(scratch, 'copy.db');
        await db.exec(`VACUUM INTO '${copy.replaceAll("'", "''")}'`, signal === undefined ? {} : { signal }).catch((error: unknown) => {
          stopIfAborted();
          throw error;
        });
        stopIfAborted();
        const writer = await open(copy);
        try {
          await writer.exec('CREATE TABLE rapsqlite_bench (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)');
          phases.push(await timed('insert, autocommit (copy)', budget, signal, async () => (await writer.run('INSERT INTO rapsqlite_bench (payload) VALUES (?)', ['x'.repeat(100)]), 1)));
          stopIfAborted();
          bar.update(4, 'transactions');
          const batch = Array.from({ length: 100 }, () => ['y'.repeat(100)]);
          phases.push(await timed('100 inserts per transaction (copy)', budget, signal, async () => (await writer.runMany('INSERT INTO rapsqlite_bench (payload) VALUES (?)', batch), 100)));
        } finally {
          await writer.close();
        }
        stopIfAborted();
        bar.update(5, 'done');
        bar.stop();
        if (flags.json === true) ctx.io.stdout.write(`${toJson({ phases })}\n`);
        else ctx.io.stdout.write(renderTable(['phase', 'ops', 'ops/s', 'p50 µs', 'p99 µs'], phases.map((p) => [p.name, p.operations, p.perSecond, p.p50Us ?? '', p.p99Us ?? ''])));
      } finally {
        bar.stop();
        await db.close();
        await rm(scratch, { recursive: true, force: true });
        listening();
      }
    });
}
