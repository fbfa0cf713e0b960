import { quoteName } from '../sql/quote.ts';
import { loadSchema, type SchemaSource } from './schema-source.ts';
import type { ReadSchemaOptions, SchemaObjectSnapshot, SchemaSnapshot, TableSnapshot } from './snapshot.ts';
import { canonicalDefinition, canonicalSql, parseCreateTable, type TableItem } from './sql-text.ts';

/** The kinds of change {@link diff} reports. */
export const SCHEMA_CHANGE_KINDS = [
  'create-table',
  'drop-table',
  'add-column',
  'rebuild-table',
  'create-index',
  'drop-index',
  'create-view',
  'drop-view',
  'create-trigger',
  'drop-trigger',
] as const;

/** One of {@link SCHEMA_CHANGE_KINDS}. */
export type SchemaChangeKind = (typeof SCHEMA_CHANGE_KINDS)[number];

/** One change of a {@link SchemaDiff}. */
export interface SchemaChange {
  readonly kind: SchemaChangeKind;
  /** The object changed (for add-column, `table.column`). */
  readonly name: string;
  /** Why a table is rebuilt rather than altered. */
  readonly reason?: string;
}

/** What {@link diff} returns: the SQL that turns one schema into the other, and what it does. */
export interface SchemaDiff {
  /** The script: warnings as comments, then the statements, each ending with `;`. Empty when the schemas match. */
  readonly sql: string;
  readonly statements: readonly string[];
  readonly changes: readonly SchemaChange[];
  /** Changes that lose data or may fail on existing rows. */
  readonly warnings: readonly string[];
  readonly empty: boolean;
}

/** Options of {@link diff}: those of {@link readSchema}, applied to both sides. */
export type DiffOptions = ReadSchemaOptions;

const key = (name: string) => name.toLowerCase();

function byKey<T extends { readonly name: string }>(list: readonly T[]): Map<string, T> {
  return new Map(list.map((item) => [key(item.name), item]));
}

const word = (item: TableItem, i: number) => (item.tokens[i]?.kind === 'word' ? item.tokens[i]!.text.toUpperCase() : item.tokens[i]?.text ?? '');

/** Whether `ALTER TABLE … ADD COLUMN` accepts this column definition (SQLite's documented restrictions). */
function addColumnRefusal(item: TableItem): string | undefined {
  const words = item.tokens.map((_, i) => word(item, i));
  if (words.includes('PRIMARY') || words.includes('UNIQUE')) return 'a PRIMARY KEY or UNIQUE column';
  if (words.includes('STORED')) return 'a STORED generated column';
  const d = words.indexOf('DEFAULT');
  const defaultWord = d === -1 ? undefined : words[d + 1];
  if (defaultWord === '(' || (defaultWord !== undefined && /^CURRENT_(TIME|DATE|TIMESTAMP)$/.test(defaultWord))) return 'a column whose default is an expression';
  const notNull = words.some((w, i) => w === 'NOT' && words[i + 1] === 'NULL');
  if (notNull && (defaultWord === undefined || defaultWord === 'NULL')) return 'a NOT NULL column without a default';
  if (words.includes('REFERENCES') && defaultWord !== undefined && defaultWord !== 'NULL') return 'a foreign-key column with a default';
  return undefined;
}

type TablePlan = { readonly kind: 'same' } | { readonly kind: 'add'; readonly columns: readonly TableItem[] } | { readonly kind: 'rebuild'; readonly reason: string };

function planTable(from: TableSnapshot, to: TableSnapshot): TablePlan {
  if (canonicalDefinition(from.sql) === canonicalDefinition(to.sql)) return { kind: 'same' };
  if (from.kind === 'virtual' || to.kind === 'virtual') return { kind: 'rebuild', reason: 'a virtual table changed' };
  const a = parseCreateTable(from.sql);
  const b = parseCreateTable(to.sql);
  if (a === undefined || b === undefined) return { kind: 'rebuild', reason: 'the definition cannot be compared' };
  const constraints = (items: readonly TableItem[]) =>
    items
      .filter((i) => i.kind === 'constraint')
      .map((i) => i.canonical)
      .sort()
      .join('\n');
  const aColumns = a.items.filter((i) => i.kind === 'column');
  const bColumns = b.items.filter((i) => i.kind === 'column');
  if (a.options !== b.options) return { kind: 'rebuild', reason: 'table options (STRICT, WITHOUT ROWID) changed' };
  if (constraints(a.items) !== constraints(b.items)) return { kind: 'rebuild', reason: 'table constraints changed' };
  const prefixSame = aColumns.length <= bColumns.length && aColumns.every((c, i) => c.canonical === bColumns[i]!.canonical);
  if (!prefixSame) {
    const dropped = aColumns.filter((c) => !bColumns.some((d) => key(d.name) === key(c.name)));
    return { kind: 'rebuild', reason: dropped.length > 0 ? `column(s) ${dropped.map((c) => c.name).join(', ')} dropped` : 'column definitions changed' };
  }
  const added = bColumns.slice(aColumns.length);
  for (const column of added) {
    const refusal = addColumnRefusal(column);
    if (refusal !== undefined) return { kind: 'rebuild', reason: `ADD COLUMN cannot add ${refusal} (${column.name})` };
  }
  return { kind: 'add', columns: added };
}

function isRowidAlias(table: TableSnapshot): string | undefined {
  if (table.withoutRowid) return undefined;
  const pk = table.columns.filter((c) => c.primaryKey > 0);
  return pk.length === 1 && pk[0]!.type.toUpperCase() === 'INTEGER' ? key(pk[0]!.name) : undefined;
}

function rebuildStatements(from: TableSnapshot, to: TableSnapshot, warnings: string[]): string[] {
  const parsed = parseCreateTable(to.sql)!;
  const temporary = quoteName(`_rapsqlite_new_${to.name}`);
  const target = quoteName(to.name);
  const fromColumns = new Map(from.columns.filter((c) => !c.hidden).map((c) => [key(c.name), c]));
  const copied = to.columns.filter((c) => c.generated === null && !c.hidden && fromColumns.has(key(c.name)));
  for (const c of from.columns) {
    if (c.generated === null && !to.columns.some((d) => key(d.name) === key(c.name))) warnings.push(`${from.name}.${c.name} is dropped: its values are lost.`);
  }
  for (const c of to.columns) {
    if (c.notNull && c.defaultValue === null && c.generated === null && !fromColumns.has(key(c.name)) && c.primaryKey === 0) {
      warnings.push(`${to.name}.${c.name} is new, NOT NULL and has no default: the copy fails if ${to.name} has rows.`);
    }
  }
  const names = copied.map((c) => quoteName(c.name));
  const sources = copied.map((c) => quoteName(fromColumns.get(key(c.name))!.name));
  // Keep rowids (other tables may point at them) unless a column shadows the name or is the rowid itself.
  const shadowed = [...fromColumns.keys(), ...to.columns.map((c) => key(c.name))].some((n) => n === 'rowid');
  const alias = isRowidAlias(to);
  if (!from.withoutRowid && !to.withoutRowid && !shadowed && (alias === undefined || !copied.some((c) => key(c.name) === alias))) {
    names.unshift('rowid');
    sources.unshift('rowid');
  }
  const statements = [`${to.sql.slice(0, parsed.nameStart)}${temporary}${to.sql.slice(parsed.nameEnd)}`];
  if (names.length > 0) statements.push(`INSERT INTO ${temporary} (${names.join(', ')}) SELECT ${sources.join(', ')} FROM ${quoteName(from.name)}`);
  if (/\bautoincrement\b/i.test(to.sql)) {
    // Keep AUTOINCREMENT's high-water mark, which may be above the largest rowid copied.
    statements.push(
      `UPDATE sqlite_sequence SET seq = (SELECT max(seq) FROM sqlite_sequence WHERE name IN (${quoteText(from.name)}, ${quoteText(`_rapsqlite_new_${to.name}`)})) WHERE name = ${quoteText(`_rapsqlite_new_${to.name}`)}`,
    );
  }
  statements.push(`DROP TABLE ${quoteName(from.name)}`, `ALTER TABLE ${temporary} RENAME TO ${target}`);
  return statements;
}

function quoteText(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function changedObjects(from: readonly SchemaObjectSnapshot[], to: readonly SchemaObjectSnapshot[]): { dropped: SchemaObjectSnapshot[]; created: SchemaObjectSnapshot[] } {
  const a = byKey(from);
  const b = byKey(to);
  const dropped = from.filter((o) => {
    const other = b.get(key(o.name));
    return other === undefined || canonicalSql(other.sql) !== canonicalSql(o.sql);
  });
  const created = to.filter((o) => {
    const other = a.get(key(o.name));
    return other === undefined || canonicalSql(other.sql) !== canonicalSql(o.sql);
  });
  return { dropped, created };
}

/**
 * Compares two schema snapshots and returns the SQL that turns `from` into `to`: `ALTER TABLE … ADD COLUMN` where
 * SQLite allows it, otherwise SQLite's documented twelve-step table rebuild (foreign keys off, create the new
 * table, copy the rows, drop the old one, rename, recreate indexes, triggers and views, check foreign keys).
 */
export function diffSchemas(from: SchemaSnapshot, to: SchemaSnapshot): SchemaDiff {
  const statements: string[] = [];
  const changes: SchemaChange[] = [];
  const warnings: string[] = [];
  const fromTables = byKey(from.tables);
  const toTables = byKey(to.tables);

  const plans = new Map<string, TablePlan>();
  for (const table of to.tables) {
    const old = fromTables.get(key(table.name));
    if (old !== undefined) plans.set(key(table.name), planTable(old, table));
  }
  const rebuilt = new Set([...plans].filter(([, p]) => p.kind === 'rebuild').map(([k]) => k));
  const droppedTables = from.tables.filter((t) => !toTables.has(key(t.name)));
  const heavy = rebuilt.size > 0 || droppedTables.length > 0;

  // Views and triggers are dropped first and made again last: a rebuild's DROP TABLE and RENAME must not meet a
  // view or trigger that names the table. With a rebuild or a dropped table, all of them go.
  const triggers = heavy ? { dropped: [...from.triggers], created: [...to.triggers] } : changedObjects(from.triggers, to.triggers);
  const views = heavy ? { dropped: [...from.views], created: [...to.views] } : changedObjects(from.views, to.views);
  if (heavy) statements.push('PRAGMA foreign_keys = OFF');
  for (const t of triggers.dropped) {
    statements.push(`DROP TRIGGER IF EXISTS ${quoteName(t.name)}`);
    changes.push({ kind: 'drop-trigger', name: t.name });
  }
  for (const v of [...views.dropped].reverse()) {
    statements.push(`DROP VIEW IF EXISTS ${quoteName(v.name)}`);
    changes.push({ kind: 'drop-view', name: v.name });
  }

  // Indexes of tables that stay (rebuilt tables lose theirs with DROP TABLE).
  const explicit = (s: SchemaSnapshot) => s.tables.flatMap((t) => t.indexes.filter((i) => i.sql !== null).map((i) => ({ ...i, sql: i.sql! })));
  const fromIndexes = byKey(explicit(from));
  const toIndexes = explicit(to);
  const toIndexKeys = byKey(toIndexes);
  for (const index of fromIndexes.values()) {
    if (rebuilt.has(key(index.table)) || !toTables.has(key(index.table))) continue;
    const next = toIndexKeys.get(key(index.name));
    if (next === undefined || canonicalSql(next.sql) !== canonicalSql(index.sql) || key(next.table) !== key(index.table)) {
      statements.push(`DROP INDEX IF EXISTS ${quoteName(index.name)}`);
      changes.push({ kind: 'drop-index', name: index.name });
    }
  }

  for (const table of to.tables) {
    const k = key(table.name);
    const plan = plans.get(k);
    if (plan === undefined) {
      statements.push(table.sql);
      changes.push({ kind: 'create-table', name: table.name });
    } else if (plan.kind === 'add') {
      for (const column of plan.columns) {
        statements.push(`ALTER TABLE ${quoteName(table.name)} ADD COLUMN ${column.text}`);
        changes.push({ kind: 'add-column', name: `${table.name}.${column.name}` });
      }
    } else if (plan.kind === 'rebuild') {
      const old = fromTables.get(k)!;
      if (old.kind === 'virtual' || table.kind === 'virtual') {
        warnings.push(`${table.name} is a virtual table whose definition changed: it is dropped and created again, empty.`);
        statements.push(`DROP TABLE ${quoteName(old.name)}`, table.sql);
      } else {
        statements.push(...rebuildStatements(old, table, warnings));
      }
      changes.push({ kind: 'rebuild-table', name: table.name, reason: plan.reason });
    }
  }
  for (const table of droppedTables) {
    warnings.push(`Table ${table.name} is dropped with its rows.`);
    statements.push(`DROP TABLE ${quoteName(table.name)}`);
    changes.push({ kind: 'drop-table', name: table.name });
  }

  for (const index of toIndexes) {
    const old = fromIndexes.get(key(index.name));
    const fresh = rebuilt.has(key(index.table)) || !fromTables.has(key(index.table));
    if (fresh || old === undefined || canonicalSql(old.sql) !== canonicalSql(index.sql) || key(old.table) !== key(index.table)) {
      statements.push(index.sql);
      changes.push({ kind: 'create-index', name: index.name });
    }
  }
  for (const v of views.created) {
    statements.push(v.sql);
    changes.push({ kind: 'create-view', name: v.name });
  }
  for (const t of triggers.created) {
    statements.push(t.sql);
    changes.push({ kind: 'create-trigger', name: t.name });
  }
  if (heavy) {
    statements.push('PRAGMA foreign_key_check', 'PRAGMA foreign_keys = ON');
  }
  const empty = changes.length === 0;
  const finalStatements = empty ? [] : statements;
  const sql = empty ? '' : [...warnings.map((w) => `-- warning: ${w}`), ...finalStatements.map((s) => `${s.trim()};`)].join('\n') + '\n';
  return { sql, statements: finalStatements, changes, warnings, empty };
}

/**
 * Returns the SQL that turns the schema of `from` into the schema of `to`. Each side is a database, a database
 * file, an SQL schema file, `{ sql }` or a snapshot.
 *
 * @example
 * const changes = await diff(db, 'schema.sql');
 * if (!changes.empty) await createMigration('migrations', 'sync schema', { up: changes.sql });
 */
export async function diff(from: SchemaSource, to: SchemaSource, options: DiffOptions = {}): Promise<SchemaDiff> {
  const frozen = Object.freeze({ ...options });
  const [a, b] = [await loadSchema(from, frozen), await loadSchema(to, frozen)];
  return diffSchemas(a, b);
}
