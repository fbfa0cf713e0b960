import { resolve } from 'node:path';
import type { Command } from 'commander';
import { check } from '@rapsqlite/migrate';
import { EXIT_CODES } from '../exit-codes.ts';
import { toJson } from '../format.ts';
import { mustExist, openDb, type DbFlags } from '../open-db.ts';
import type { Context } from '../context.ts';

/** `check <db>`: integrity check, foreign-key check and, with `--schema`, validation against an expected schema. */
export function checkCommand(program: Command, ctx: Context): void {
  program
    .command('check')
    .description('integrity and foreign-key check, and with --schema every difference from an expected schema')
    .argument('<db>', 'database file')
    .option('--schema <file>', 'expected schema: a .sql file or a database')
    .option('--quick', 'PRAGMA quick_check instead of integrity_check')
    .option('--json', 'print JSON')
    .action(async (path: string, flags: DbFlags & { schema?: string; quick?: boolean; json?: boolean }) => {
      if (flags.schema !== undefined) await mustExist(resolve(ctx.cwd, flags.schema), 'schema');
      const db = await openDb(ctx.cwd, path, flags, { readonly: true });
      try {
        const integrity = (await db.all<Record<string, string>>(flags.quick === true ? 'PRAGMA quick_check' : 'PRAGMA integrity_check')).map((r) => Object.values(r)[0]!);
        const foreignKeys = await db.all<{ table: string; rowid: number | bigint | null; parent: string; fkid: number }>('PRAGMA foreign_key_check');
        const schema = flags.schema === undefined ? undefined : await check(db, resolve(ctx.cwd, flags.schema));
        const integrityOk = integrity.length === 1 && integrity[0] === 'ok';
        const ok = integrityOk && foreignKeys.length === 0 && (schema?.ok ?? true);
        if (flags.json === true) {
          ctx.io.stdout.write(`${toJson({ ok, integrity, foreignKeys, schema: schema?.differences })}\n`);
        } else {
          const lines = [`integrity: ${integrityOk ? 'ok' : integrity.join('; ')}`, `foreign keys: ${foreignKeys.length === 0 ? 'ok' : `${foreignKeys.length} violation(s)`}`];
          for (const v of foreignKeys) lines.push(`  ${v.table} rowid ${String(v.rowid)} → ${v.parent}`);
          if (schema !== undefined) {
            lines.push(`schema: ${schema.ok ? 'ok' : `${schema.differences.length} difference(s)`}`);
            for (const d of schema.differences) lines.push(`  ${d.kind}: ${d.message}`);
          }
          ctx.io.stdout.write(`${lines.join('\n')}\n`);
        }
        if (!ok) ctx.exit(EXIT_CODES.CHECK_FAILED);
      } finally {
        await db.close();
      }
    });
}
