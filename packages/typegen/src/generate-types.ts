import { hasErrorCode, RapsqliteError, type Queryable } from '@rapsqlite/engine';
import { readSchema, type ColumnSnapshot, type SchemaSnapshot, type TableSnapshot } from '@rapsqlite/migrate';
import { columnType, isRowidAlias, neverNull, type IntegerTyping } from './type-mapping.ts';

/** Options of {@link generateTypes}. */
export interface TypegenOptions {
  /**
   * How INTEGER columns are typed: `'number'`, `'bigint'`, `'auto'` (`number | bigint`), or `'detect'` (default): read
   * from the handle, by asking it for a small and a large integer and looking at what comes back.
   */
  readonly integers?: IntegerTyping | 'detect';
  /** Also write Kysely's shape: table interfaces with `Generated<>`/`ColumnType<>` and `export interface DB`. Default `false`. */
  readonly kysely?: boolean;
  /** TypeScript types for given columns, by `table.column`: `{ 'users.settings': 'Settings' }`. */
  readonly columnTypes?: Readonly<Record<string, string>>;
  /** Text written at the top of the file (imports for `columnTypes`, for example). */
  readonly header?: string;
  /** Tables left out. Default: the migrator's own tables. */
  readonly ignoreTables?: readonly string[];
}

const KNOWN = new Set(['integers', 'kysely', 'columnTypes', 'header', 'ignoreTables']);

function invalid(message: string): RapsqliteError {
  return new RapsqliteError('ERR_RAPSQLITE_INVALID_ARGUMENT', message);
}

/** The integer mode a handle reads with, found by asking it (1 is a bigint only in `'bigint'` mode; 2^53+1 fails only in `'number'` mode). */
export async function detectIntegerMode(db: Queryable): Promise<IntegerTyping> {
  const small = await db.get<{ v: unknown }>('SELECT 1 AS v');
  if (typeof small?.v === 'bigint') return 'bigint';
  try {
    await db.get('SELECT 9007199254740993 AS v');
    return 'auto';
  } catch (error) {
    if (hasErrorCode(error, 'ERR_RAPSQLITE_INTEGER_OVERFLOW')) return 'number';
    throw error;
  }
}

function pascal(name: string): string {
  const words = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const joined = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
  const safe = joined === '' ? 'Table' : joined;
  return /^[0-9]/.test(safe) ? `T${safe}` : safe;
}

function property(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : `'${name.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

interface Field {
  readonly name: string;
  readonly type: string;
  readonly nullable: boolean;
  /** Optional on insert: it has a default, is nullable, or is the rowid. */
  readonly optional: boolean;
  /** Cannot be written (generated, hidden). */
  readonly readOnly: boolean;
  readonly comment: string;
}

function fields(columns: readonly ColumnSnapshot[], table: TableSnapshot | undefined, strict: boolean, mode: IntegerTyping, owner: string, overrides: Readonly<Record<string, string>>): Field[] {
  return columns.map((c) => {
    const type = overrides[`${owner}.${c.name}`] ?? columnType(c, strict, mode);
    const nullable = !neverNull(c, table);
    const rowid = table !== undefined && isRowidAlias(c, table);
    const comment = [c.type === '' ? 'no declared type' : c.type, c.notNull ? 'NOT NULL' : '', c.defaultValue === null ? '' : `DEFAULT ${c.defaultValue}`, rowid ? 'rowid' : '', c.generated === null ? '' : `GENERATED ${c.generated.toUpperCase()}`]
      .filter(Boolean)
      .join(' ');
    return { name: c.name, type, nullable, optional: nullable || c.defaultValue !== null || rowid, readOnly: c.generated !== null || c.hidden, comment };
  });
}

function uniqueNames(names: readonly string[]): Map<string, string> {
  const used = new Map<string, number>();
  const out = new Map<string, string>();
  for (const name of names) {
    const base = pascal(name);
    const n = used.get(base) ?? 0;
    used.set(base, n + 1);
    out.set(name, n === 0 ? base : `${base}${n + 1}`);
  }
  return out;
}

/**
 * Generates TypeScript declarations from a live database's schema: for each table a row interface (what a SELECT *
 * returns) and an insert type (defaulted, nullable and rowid columns optional; generated columns left out), for each
 * view a row interface, and optionally Kysely's `DB` interface.
 *
 * @example
 * import { writeFile } from 'node:fs/promises';
 * await writeFile('src/db-types.ts', await generateTypes(db, { kysely: true }));
 */
export async function generateTypes(source: Queryable | SchemaSnapshot, options: TypegenOptions = {}): Promise<string> {
  if (typeof options !== 'object' || options === null) throw invalid('generateTypes() options must be an object.');
  for (const key of Object.keys(options)) if (!KNOWN.has(key)) throw invalid(`Unknown typegen option "${key}".`);
  const frozen = Object.freeze({ ...options });
  const integers = frozen.integers ?? 'detect';
  if (!['number', 'bigint', 'auto', 'detect'].includes(integers)) throw invalid("integers must be 'number', 'bigint', 'auto' or 'detect'.");
  const isSnapshot = typeof source === 'object' && source !== null && 'tables' in source && Array.isArray((source as SchemaSnapshot).tables);
  if (!isSnapshot && (typeof source !== 'object' || source === null || typeof (source as Queryable).transaction !== 'function')) {
    throw invalid('generateTypes() needs a rapsqlite database, pool or schema snapshot.');
  }
  let mode: IntegerTyping;
  if (integers !== 'detect') mode = integers;
  else mode = isSnapshot ? 'number' : await detectIntegerMode(source as Queryable);
  const schema = isSnapshot ? (source as SchemaSnapshot) : await readSchema(source as Queryable, frozen.ignoreTables === undefined ? {} : { ignoreTables: frozen.ignoreTables });
  const overrides = frozen.columnTypes ?? {};
  const names = uniqueNames([...schema.tables.map((t) => t.name), ...schema.views.map((v) => v.name)]);

  const lines: string[] = [
    '// Generated from the database schema by @rapsqlite/typegen. Do not edit: generate again after a migration.',
    `// Integers are typed for integers: '${mode}'.`,
  ];
  if (frozen.kysely === true) lines.push("import type { ColumnType, Generated } from 'kysely';");
  if (frozen.header !== undefined) lines.push(frozen.header);
  lines.push('');

  const render = (field: Field) => `${field.type}${field.nullable ? ' | null' : ''}`;
  const tables = schema.tables.map((t) => ({ name: t.name, table: t as TableSnapshot | undefined, strict: t.strict, columns: t.columns, view: false }));
  const views = schema.views.map((v) => ({ name: v.name, table: undefined, strict: false, columns: v.columns, view: true }));
  for (const object of [...tables, ...views]) {
    const base = names.get(object.name)!;
    const list = fields(object.columns, object.table, object.strict, mode, object.name, overrides);
    lines.push(`/** A row of the ${object.view ? 'view' : 'table'} \`${object.name}\`. */`);
    lines.push(`export interface ${base}Row {`);
    for (const f of list) lines.push(`  /** ${f.comment} */`, `  ${property(f.name)}: ${render(f)};`);
    lines.push('}', '');
    if (!object.view) {
      lines.push(`/** The values an INSERT into \`${object.name}\` takes (defaulted, nullable and rowid columns may be left out). */`);
      lines.push(`export interface ${base}Insert {`);
      for (const f of list.filter((x) => !x.readOnly)) lines.push(`  ${property(f.name)}${f.optional ? '?' : ''}: ${render(f)};`);
      lines.push('}', '');
    }
  }
  if (frozen.kysely === true) {
    for (const object of [...tables, ...views]) {
      const base = names.get(object.name)!;
      lines.push(`/** The table \`${object.name}\` in Kysely's shape. */`, `export interface ${base}Table {`);
      for (const f of fields(object.columns, object.table, object.strict, mode, object.name, overrides)) {
        const type = render(f);
        let kysely = type;
        if (object.view || f.readOnly) kysely = `ColumnType<${type}, never, never>`;
        else if (f.optional && !f.nullable) kysely = `Generated<${type}>`;
        lines.push(`  ${property(f.name)}: ${kysely};`);
      }
      lines.push('}', '');
    }
    lines.push("/** The database in Kysely's shape: `new Kysely<DB>(…)`. */", 'export interface DB {');
    for (const object of [...tables, ...views]) lines.push(`  ${property(object.name)}: ${names.get(object.name)!}Table;`);
    lines.push('}', '');
  }
  return lines.join('\n');
}
