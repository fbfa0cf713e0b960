import type { Command } from 'commander';
import { CliError, EXIT_CODES } from '../exit-codes.ts';
import { renderCsv, renderTable, toJson } from '../format.ts';
import { openDb, type DbFlags } from '../open-db.ts';
import type { Context } from '../context.ts';

/** `query <db> <sql>`: runs one statement and prints its rows as a table, JSON or CSV. */
export function queryCommand(program: Command, ctx: Context): void {
  program
    .command('query')
    .description('run one SQL statement and print its rows (read-only unless --write)')
    .argument('<db>', 'database file')
    .argument('<sql>', 'the statement')
    .option('--json', 'print JSON (64-bit integers exact, blobs as hex)')
    .option('--csv', 'print CSV')
    .option('--write', 'open the database for writing (the statement may change it)')
    .option('-p, --param <value...>', 'positional parameters (text; use CAST in SQL for other types)')
    .action(async (path: string, sql: string, flags: DbFlags & { json?: boolean; csv?: boolean; write?: boolean; param?: string[] }) => {
      if (flags.json === true && flags.csv === true) throw new CliError(EXIT_CODES.USAGE, '--json and --csv exclude each other.', 'ERR_RAPSQLITE_INVALID_ARGUMENT');
      const db = await openDb(ctx.cwd, path, flags, { readonly: flags.write !== true });
      try {
        const params = flags.param ?? [];
        const statement = await db.prepare(sql);
        if (statement.columns.length === 0) {
          const result = await statement.run(params);
          if (flags.json === true) ctx.io.stdout.write(`${toJson({ changes: result.changes, lastInsertRowid: result.lastInsertRowid })}\n`);
          else ctx.io.stdout.write(`${result.changes} row(s) changed\n`);
          return;
        }
        const { columns, rows } = await statement.values(params);
        const names = columns.map((c) => c.name);
        if (flags.json === true) {
          ctx.io.stdout.write(`${toJson(rows.map((r) => Object.fromEntries(names.map((n, i) => [n, r[i]]))))}\n`);
        } else if (flags.csv === true) {
          ctx.io.stdout.write(renderCsv(names, rows));
        } else {
          ctx.io.stdout.write(renderTable(names, rows));
          ctx.io.stderr.write(`${rows.length} row(s)\n`);
        }
      } finally {
        await db.close();
      }
    });
}
