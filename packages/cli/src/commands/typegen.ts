import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { generateTypes } from '@rapsqlite/typegen';
import { openDb, type DbFlags } from '../open-db.ts';
import type { Context } from '../context.ts';

/** `typegen <db>`: TypeScript row and insert types from the schema. */
export function typegenCommand(program: Command, ctx: Context): void {
  program
    .command('typegen')
    .description('TypeScript row and insert types from the schema (optionally Kysely\'s DB interface)')
    .argument('<db>', 'database file')
    .addOption(new Option('--integers <mode>', 'how INTEGER columns are typed').choices(['number', 'bigint', 'auto']).default('number'))
    .option('--kysely', "also write Kysely's DB interface")
    .option('--out <file>', 'write to a file instead of stdout')
    .action(async (path: string, flags: DbFlags & { integers: 'number' | 'bigint' | 'auto'; kysely?: boolean; out?: string }) => {
      const db = await openDb(ctx.cwd, path, flags, { readonly: true });
      try {
        const text = await generateTypes(db, { integers: flags.integers, kysely: flags.kysely === true });
        if (flags.out === undefined) ctx.io.stdout.write(text);
        else {
          await writeFile(resolve(ctx.cwd, flags.out), text);
          ctx.io.stderr.write(`wrote ${flags.out}\n`);
        }
      } finally {
        await db.close();
      }
    });
}
