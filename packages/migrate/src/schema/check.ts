import type { Queryable } from '@rapsqlite/engine';
import { loadSchema, type SchemaSource } from './schema-source.ts';
import type { ColumnSnapshot, ReadSchemaOptions, SchemaObjectSnapshot, SchemaSnapshot, TableSnapshot } from './snapshot.ts';
import { canonicalDefinition, canonicalSql } from './sql-text.ts';

/** The kinds of difference {@link check} reports. */
export const SCHEMA_DIFFERENCE_KINDS = [
  'missing-table',
  'extra-table',
  'table-options',
  'table-definition',
  'missing-column',
  'extra-column',
  'column-type',
  'column-not-null',
  'column-default',
  'column-primary-key',
  'column-generated',
  'missing-index',
  'extra-index',
  'index-definition',
  'missing-unique',
  'extra-unique',
  'missing-foreign-key',
  'extra-foreign-key',
  'missing-view',
  'extra-view',
  'view-definition',
  'missing-trigger',
  'extra-trigger',
  'trigger-definition',
] as const;

/** One of {@link SCHEMA_DIFFERENCE_KINDS}. */
export type SchemaDifferenceKind = (typeof SCHEMA_DIFFERENCE_KINDS)[number];

/** One way a live schema differs from the expected one. */
export interface SchemaDifference {
  readonly kind: SchemaDifferenceKind;
  /** The object: `table`, `table.column`, an index, view or trigger name. */
  readonly object: string;
  /** What the expected schema has (undefined for extra objects). */
  readonly expected: string | undefined;
  /** What the database has (undefined for missing objects). */
  readonly actual: string | undefined;
  /** The difference in a sentence. */
  readonly message: string;
}

/** What {@link check} returns. */
export interface SchemaCheckResult {
  readonly ok: boolean;
  readonly differences: readonly SchemaDifference[];
}

/** Options of {@link check}: those of {@link readSchema}, applied to both sides. */
export type CheckOptions = ReadSchemaOptions;

const key = (name: string) => name.toLowerCase();

function push(out: SchemaDifference[], kind: SchemaDifferenceKind, object: string, expected: string | undefined, actual: string | undefined, message: string): void {
  out.push({ kind, object, expected, actual, message });
}

function describeFk(fk: TableSnapshot['foreignKeys'][number]): string {
  const to = fk.to.every((t) => t === null) ? '' : `(${fk.to.join(', ')})`;
  return `(${fk.from.join(', ')}) REFERENCES ${fk.table}${to} ON UPDATE ${fk.onUpdate} ON DELETE ${fk.onDelete}`;
}

function compareColumns(out: SchemaDifference[], table: string, expected: ColumnSnapshot, actual: ColumnSnapshot): void {
  const object = `${table}.${expected.name}`;
  if (expected.type.toUpperCase() !== actual.type.toUpperCase()) push(out, 'column-type', object, expected.type, actual.type, `${object} is ${actual.type || 'untyped'}, expected ${expected.type || 'untyped'}.`);
  if (expected.notNull !== actual.notNull) push(out, 'column-not-null', object, String(expected.notNull), String(actual.notNull), `${object} is ${actual.notNull ? '' : 'not '}NOT NULL, expected ${expected.notNull ? '' : 'not '}NOT NULL.`);
  const dExpected = expected.defaultValue === null ? null : canonicalSql(expected.defaultValue);
  const dActual = actual.defaultValue === null ? null : canonicalSql(actual.defaultValue);
  if (dExpected !== dActual) push(out, 'column-default', object, expected.defaultValue ?? 'none', actual.defaultValue ?? 'none', `${object} defaults to ${actual.defaultValue ?? 'nothing'}, expected ${expected.defaultValue ?? 'nothing'}.`);
  if (expected.primaryKey !== actual.primaryKey) push(out, 'column-primary-key', object, String(expected.primaryKey), String(actual.primaryKey), `${object} is at primary-key position ${actual.primaryKey}, expected ${expected.primaryKey}.`);
  if (expected.generated !== actual.generated) push(out, 'column-generated', object, expected.generated ?? 'no', actual.generated ?? 'no', `${object} generated: ${actual.generated ?? 'no'}, expected ${expected.generated ?? 'no'}.`);
}

function compareObjects(out: SchemaDifference[], what: 'view' | 'trigger', expected: readonly SchemaObjectSnapshot[], actual: readonly SchemaObjectSnapshot[]): void {
  const live = new Map(actual.map((o) => [key(o.name), o]));
  for (const o of expected) {
    const other = live.get(key(o.name));
    live.delete(key(o.name));
    if (other === undefined) push(out, `missing-${what}`, o.name, o.sql, undefined, `The ${what} ${o.name} is missing.`);
    else if (canonicalSql(other.sql) !== canonicalSql(o.sql)) push(out, `${what}-definition`, o.name, o.sql, other.sql, `The ${what} ${o.name} is defined differently.`);
  }
  for (const o of live.values()) push(out, `extra-${what}`, o.name, undefined, o.sql, `The ${what} ${o.name} is not in the expected schema.`);
}

/** Lists every difference between two snapshots, `actual` measured against `expected`. */
export function compareSchemas(actual: SchemaSnapshot, expected: SchemaSnapshot): SchemaCheckResult {
  const out: SchemaDifference[] = [];
  const liveTables = new Map(actual.tables.map((t) => [key(t.name), t]));
  for (const table of expected.tables) {
    const live = liveTables.get(key(table.name));
    liveTables.delete(key(table.name));
    if (live === undefined) {
      push(out, 'missing-table', table.name, table.sql, undefined, `The table ${table.name} is missing.`);
      continue;
    }
    const before = out.length;
    const options = (t: TableSnapshot) => [t.kind === 'virtual' ? 'VIRTUAL' : '', t.strict ? 'STRICT' : '', t.withoutRowid ? 'WITHOUT ROWID' : ''].filter(Boolean).join(', ') || 'none';
    if (options(table) !== options(live)) push(out, 'table-options', table.name, options(table), options(live), `${table.name} has options ${options(live)}, expected ${options(table)}.`);
    const liveColumns = new Map(live.columns.map((c) => [key(c.name), c]));
    for (const column of table.columns) {
      const other = liveColumns.get(key(column.name));
      liveColumns.delete(key(column.name));
      if (other === undefined) push(out, 'missing-column', `${table.name}.${column.name}`, column.type, undefined, `The column ${table.name}.${column.name} is missing.`);
      else compareColumns(out, table.name, column, other);
    }
    for (const c of liveColumns.values()) push(out, 'extra-column', `${table.name}.${c.name}`, undefined, c.type, `The column ${table.name}.${c.name} is not in the expected schema.`);

    const liveFks = new Set(live.foreignKeys.map(describeFk));
    for (const fk of table.foreignKeys.map(describeFk)) {
      if (liveFks.delete(fk)) continue;
      push(out, 'missing-foreign-key', table.name, fk, undefined, `${table.name} lacks the foreign key ${fk}.`);
    }
    for (const fk of liveFks) push(out, 'extra-foreign-key', table.name, undefined, fk, `${table.name} has the unexpected foreign key ${fk}.`);

    const uniques = (t: TableSnapshot) => new Set(t.indexes.filter((i) => i.sql === null && i.origin === 'unique').map((i) => `UNIQUE (${i.columns.map((c) => c.name).join(', ')})`));
    const liveUniques = uniques(live);
    for (const u of uniques(table)) {
      if (!liveUniques.delete(u)) push(out, 'missing-unique', table.name, u, undefined, `${table.name} lacks the constraint ${u}.`);
    }
    for (const u of liveUniques) push(out, 'extra-unique', table.name, undefined, u, `${table.name} has the unexpected constraint ${u}.`);

    const liveIndexes = new Map(live.indexes.filter((i) => i.sql !== null).map((i) => [key(i.name), i]));
    for (const index of table.indexes.filter((i) => i.sql !== null)) {
      const other = liveIndexes.get(key(index.name));
      liveIndexes.delete(key(index.name));
      if (other === undefined) push(out, 'missing-index', index.name, index.sql!, undefined, `The index ${index.name} on ${table.name} is missing.`);
      else if (canonicalSql(other.sql!) !== canonicalSql(index.sql!)) push(out, 'index-definition', index.name, index.sql!, other.sql!, `The index ${index.name} is defined differently.`);
    }
    for (const i of liveIndexes.values()) push(out, 'extra-index', i.name, undefined, i.sql!, `The index ${i.name} on ${table.name} is not in the expected schema.`);

    // CHECK constraints, collations, AUTOINCREMENT: what the pragmas do not show, the definitions' text does.
    if (out.length === before && canonicalDefinition(table.sql) !== canonicalDefinition(live.sql)) {
      push(out, 'table-definition', table.name, table.sql, live.sql, `${table.name} is defined differently (constraints, collations or AUTOINCREMENT).`);
    }
  }
  for (const t of liveTables.values()) push(out, 'extra-table', t.name, undefined, t.sql, `The table ${t.name} is not in the expected schema.`);
  compareObjects(out, 'view', expected.views, actual.views);
  compareObjects(out, 'trigger', expected.triggers, actual.triggers);
  return { ok: out.length === 0, differences: out };
}

/**
 * Validates a live database against an expected schema (a schema file, another database, `{ sql }` or a snapshot)
 * and lists every difference: tables, columns (type, NOT NULL, default, primary key, generated), indexes, UNIQUE
 * constraints, foreign keys, views and triggers.
 *
 * @example
 * const { ok, differences } = await check(db, 'schema.sql');
 * for (const d of differences) console.error(d.message);
 */
export async function check(db: Queryable | SchemaSource, expected: SchemaSource, options: CheckOptions = {}): Promise<SchemaCheckResult> {
  const frozen = Object.freeze({ ...options });
  return compareSchemas(await loadSchema(db, frozen), await loadSchema(expected, frozen));
}
