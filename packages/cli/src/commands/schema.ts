import type { Command } from 'commander';
import { readSchema } from '@rapsqlite/migrate';
import { toJson } from '../format.ts';
import { openDb, type DbFlags } from '../open-db.ts';
import type { Context } from '../context.ts';

/** `schema <db>`: tables with columns, keys and indexes, views and triggers; `--sql` for the CREATE statements. */
export function schemaCommand(program: Command, ctx: Context): void {
  program
    .command('schema')
    .description('the schema: tables (columns, keys, indexes), views and triggers')
    .argument('<db>', 'database file')
    .option('--json', 'print JSON')
    .option('--sql', 'print the CREATE statements instead')
    .action(async (path: string, flags: DbFlags & { json?: boolean; sql?: boolean }) => {
      const db = await openDb(ctx.cwd, path, flags, { readonly: true });
      try {
        const schema = await readSchema(db, { ignoreTables: [] });
        if (flags.json === true) {
          ctx.io.stdout.write(`${toJson(schema)}\n`);
          return;
        }
        if (flags.sql === true) {
          const statements = [
            ...schema.tables.flatMap((t) => [t.sql, ...t.indexes.filter((i) => i.sql !== null).map((i) => i.sql!)]),
            ...schema.views.map((v) => v.sql),
            ...schema.triggers.map((t) => t.sql),
          ];
          ctx.io.stdout.write(statements.map((s) => `${s};\n`).join(''));
          return;
        }
        const out: string[] = [];
        for (const t of schema.tables) {
          const options = [t.kind === 'virtual' ? 'virtual' : '', t.strict ? 'strict' : '', t.withoutRowid ? 'without rowid' : ''].filter(Boolean);
          out.push(`table ${t.name}${options.length > 0 ? ` (${options.join(', ')})` : ''}`);
          for (const c of t.columns) {
            const flags2 = [
              c.primaryKey > 0 ? `primary key${t.columns.filter((x) => x.primaryKey > 0).length > 1 ? ` #${c.primaryKey}` : ''}` : '',
              c.notNull ? 'not null' : '',
              c.defaultValue === null ? '' : `default ${c.defaultValue}`,
              c.generated === null ? '' : `generated ${c.generated}`,
            ].filter(Boolean);
            out.push(`  ${c.name} ${c.type || '(no type)'}${flags2.length > 0 ? `  ${flags2.join(', ')}` : ''}`);
          }
          for (const fk of t.foreignKeys) out.push(`  foreign key (${fk.from.join(', ')}) → ${fk.table}${fk.to.some((x) => x !== null) ? `(${fk.to.join(', ')})` : ''}${fk.onDelete !== 'NO ACTION' ? ` on delete ${fk.onDelete.toLowerCase()}` : ''}`);
          for (const i of t.indexes) {
            const cols = i.columns.map((c) => `${c.name ?? '<expr>'}${c.descending ? ' desc' : ''}`).join(', ');
            out.push(`  ${i.unique ? 'unique ' : ''}index ${i.name} (${cols})${i.partial ? ' partial' : ''}${i.origin !== 'create' ? ` [${i.origin === 'primaryKey' ? 'primary key' : 'unique constraint'}]` : ''}`);
          }
          out.push('');
        }
        for (const v of schema.views) out.push(`view ${v.name} (${v.columns.map((c) => c.name).join(', ')})`, '');
        for (const t of schema.triggers) out.push(`trigger ${t.name} on ${t.table}`, '');
        ctx.io.stdout.write(out.length === 0 ? 'empty schema\n' : out.join('\n'));
      } finally {
        await db.close();
      }
    });
}
