import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { formatBytes, renderTable, toJson } from '../format.ts';
import { openDb, type DbFlags } from '../open-db.ts';
import type { Context } from '../context.ts';

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** `info <db>`: file size, page size, journal mode, encoding, versions, and the tables with their row counts. */
export function infoCommand(program: Command, ctx: Context): void {
  program
    .command('info')
    .description('file size, page size, journal mode and the tables with their row counts')
    .argument('<db>', 'database file')
    .option('--json', 'print JSON')
    .action(async (path: string, flags: DbFlags & { json?: boolean }) => {
      const db = await openDb(ctx.cwd, path, flags, { readonly: true });
      try {
        const pragma = async (name: string) => Object.values((await db.get<Record<string, unknown>>(`PRAGMA ${name}`)) ?? {})[0];
        const file = resolve(ctx.cwd, path);
        const tables = await db.all<{ name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name");
        const counted = [];
        for (const t of tables) {
          const row = await db.get<{ n: number | bigint }>(`SELECT count(*) AS n FROM "${t.name.replaceAll('"', '""')}"`).catch(() => undefined);
          counted.push({ name: t.name, rows: row?.n ?? null });
        }
        const info = {
          path: file,
          fileSize: await sizeOf(file),
          walSize: await sizeOf(`${file}-wal`),
          pageSize: await pragma('page_size'),
          pageCount: await pragma('page_count'),
          freelistCount: await pragma('freelist_count'),
          journalMode: await pragma('journal_mode'),
          encoding: await pragma('encoding'),
          userVersion: await pragma('user_version'),
          sqliteVersion: (await db.get<{ v: string }>('SELECT sqlite_version() AS v'))!.v,
          tables: counted,
        };
        if (flags.json === true) {
          ctx.io.stdout.write(`${toJson(info)}\n`);
          return;
        }
        const lines = [
          `file           ${info.path}`,
          `size           ${formatBytes(info.fileSize)}${info.walSize > 0 ? ` (+ ${formatBytes(info.walSize)} WAL)` : ''}`,
          `page size      ${String(info.pageSize)} bytes, ${String(info.pageCount)} pages, ${String(info.freelistCount)} free`,
          `journal mode   ${String(info.journalMode)}`,
          `encoding       ${String(info.encoding)}`,
          `user_version   ${String(info.userVersion)}`,
          `SQLite         ${info.sqliteVersion}`,
          '',
        ];
        ctx.io.stdout.write(lines.join('\n') + (counted.length === 0 ? 'no tables\n' : renderTable(['table', 'rows'], counted.map((t) => [t.name, t.rows]))));
      } finally {
        await db.close();
      }
    });
}
