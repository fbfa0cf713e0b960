import { resolve } from 'node:path';
import type { Command } from 'commander';
import { diff } from '@rapsqlite/migrate';
import { EXIT_CODES } from '../exit-codes.ts';
import { toJson } from '../format.ts';
import { mustExist } from '../open-db.ts';
import type { Context } from '../context.ts';

/** `diff <a> <b>`: the SQL that turns the schema of a into the schema of b (databases or .sql schema files). */
export function diffCommand(program: Command, ctx: Context): void {
  program
    .command('diff')
    .description('the SQL that turns the schema of <a> into that of <b> (databases or .sql schema files)')
    .argument('<a>', 'database or schema file')
    .argument('<b>', 'database or schema file')
    .option('--json', 'print the changes and warnings as JSON')
    .option('--exit-code', `exit with ${EXIT_CODES.CHECK_FAILED} when the schemas differ`)
    .action(async (a: string, b: string, flags: { json?: boolean; exitCode?: boolean }) => {
      const [from, to] = [resolve(ctx.cwd, a), resolve(ctx.cwd, b)];
      await mustExist(from, 'database or schema');
      await mustExist(to, 'database or schema');
      const result = await diff(from, to);
      if (flags.json === true) ctx.io.stdout.write(`${toJson(result)}\n`);
      else ctx.io.stdout.write(result.empty ? '-- the schemas are the same\n' : result.sql);
      if (!result.empty && flags.exitCode === true) ctx.exit(EXIT_CODES.CHECK_FAILED);
    });
}
