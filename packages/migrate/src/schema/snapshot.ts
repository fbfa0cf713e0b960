import type { Queryable } from '@rapsqlite/engine';

/**
 * Schema introspection for diff, check and typegen, read through the public query API from `sqlite_schema` and
 * SQLite's table-valued pragmas. It covers what those need; when the engine exposes its own inspector as
 * `db.schema`, this module is the one place to switch over.
 */

/** A column as `PRAGMA table_xinfo` describes it. */
export interface ColumnSnapshot {
  readonly name: string;
  /** The declared type as written (`''` when none). */
  readonly type: string;
  readonly notNull: boolean;
  /** The default as SQL text (`'0'`, `"'x'"`, `CURRENT_TIMESTAMP`), or null. */
  readonly defaultValue: string | null;
  /** 1-based position in the primary key, 0 when not in it. */
  readonly primaryKey: number;
  /** `'virtual'` or `'stored'` for generated columns, else null. */
  readonly generated: 'virtual' | 'stored' | null;
  /** A hidden column of a virtual table. */
  readonly hidden: boolean;
}

/** A foreign key constraint of a table. */
export interface ForeignKeySnapshot {
  readonly table: string;
  readonly from: readonly string[];
  /** The parent's columns; null entries when the parent's primary key is implied. */
  readonly to: readonly (string | null)[];
  readonly onUpdate: string;
  readonly onDelete: string;
  readonly match: string;
}

/** An index of a table: explicit (`sql` set) or created by a UNIQUE/PRIMARY KEY constraint (`sql` null). */
export interface IndexSnapshot {
  readonly name: string;
  readonly table: string;
  readonly unique: boolean;
  readonly origin: 'create' | 'unique' | 'primaryKey';
  readonly partial: boolean;
  /** Key columns in order; null names are expressions. */
  readonly columns: readonly { readonly name: string | null; readonly descending: boolean; readonly collation: string }[];
  readonly sql: string | null;
}

/** A table (or virtual table) with its columns, foreign keys and indexes. */
export interface TableSnapshot {
  readonly name: string;
  readonly kind: 'table' | 'virtual';
  readonly sql: string;
  readonly strict: boolean;
  readonly withoutRowid: boolean;
  readonly columns: readonly ColumnSnapshot[];
  readonly foreignKeys: readonly ForeignKeySnapshot[];
  readonly indexes: readonly IndexSnapshot[];
}

/** A view or trigger: its name, its table (for a trigger) and its SQL. */
export interface SchemaObjectSnapshot {
  readonly name: string;
  readonly table: string;
  readonly sql: string;
}

/** The `main` schema of a database, as diff, check and typegen see it. */
export interface SchemaSnapshot {
  readonly tables: readonly TableSnapshot[];
  readonly views: readonly (SchemaObjectSnapshot & { readonly columns: readonly ColumnSnapshot[] })[];
  readonly triggers: readonly SchemaObjectSnapshot[];
}

/** Options of {@link readSchema}. */
export interface ReadSchemaOptions {
  /** Tables to leave out. Default: the migrator's history and lock tables. */
  readonly ignoreTables?: readonly string[];
}

/** The tables {@link readSchema} leaves out unless told otherwise. */
export const DEFAULT_IGNORED_TABLES: readonly string[] = Object.freeze(['rapsqlite_migrations', 'rapsqlite_migrations_lock']);

// The pragmas' small integers read as numbers whatever the handle's integer mode.
const NUMBERS = { integers: 'number' } as const;

interface SchemaRow {
  type: string;
  name: string;
  tbl_name: string;
  sql: string | null;
}

interface TableListRow {
  name: string;
  type: string;
  wr: number;
  strict: number;
}

interface XInfoRow {
  name: string;
  type: string;
  notnull: number;
  dflt_value: string | null;
  pk: number;
  hidden: number;
}

function columnOf(row: XInfoRow): ColumnSnapshot {
  return {
    name: row.name,
    type: row.type,
    notNull: row.notnull === 1,
    defaultValue: row.dflt_value,
    primaryKey: row.pk,
    generated: row.hidden === 2 ? 'virtual' : row.hidden === 3 ? 'stored' : null,
    hidden: row.hidden === 1,
  };
}

async function readTable(tx: Queryable, row: SchemaRow, info: TableListRow | undefined, indexSql: Map<string, string>): Promise<TableSnapshot> {
  const columns = (await tx.all<XInfoRow>('SELECT name, type, "notnull", dflt_value, pk, hidden FROM pragma_table_xinfo(?)', [row.name], NUMBERS)).map(columnOf);
  const fkRows = await tx.all<{ id: number; seq: number; table: string; from: string; to: string | null; on_update: string; on_delete: string; match: string }>(
    'SELECT id, seq, "table", "from", "to", on_update, on_delete, "match" FROM pragma_foreign_key_list(?) ORDER BY id DESC, seq',
    [row.name],
    NUMBERS,
  );
  const byId = new Map<number, { table: string; from: string[]; to: (string | null)[]; onUpdate: string; onDelete: string; match: string }>();
  for (const fk of fkRows) {
    const entry = byId.get(fk.id) ?? { table: fk.table, from: [], to: [], onUpdate: fk.on_update, onDelete: fk.on_delete, match: fk.match };
    entry.from.push(fk.from);
    entry.to.push(fk.to);
    byId.set(fk.id, entry);
  }
  const indexes: IndexSnapshot[] = [];
  if (row.type === 'table' && info?.type !== 'virtual') {
    const list = await tx.all<{ name: string; unique: number; origin: string; partial: number }>('SELECT name, "unique", origin, partial FROM pragma_index_list(?)', [row.name], NUMBERS);
    for (const index of list) {
      const keys = await tx.all<{ name: string | null; desc: number; coll: string; key: number }>('SELECT name, "desc", coll, "key" FROM pragma_index_xinfo(?) WHERE "key" = 1 ORDER BY seqno', [index.name], NUMBERS);
      indexes.push({
        name: index.name,
        table: row.name,
        unique: index.unique === 1,
        origin: index.origin === 'pk' ? 'primaryKey' : index.origin === 'u' ? 'unique' : 'create',
        partial: index.partial === 1,
        columns: keys.map((k) => ({ name: k.name, descending: k.desc === 1, collation: k.coll })),
        sql: indexSql.get(index.name) ?? null,
      });
    }
    indexes.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
  return {
    name: row.name,
    kind: info?.type === 'virtual' || /^\s*create\s+virtual\b/i.test(row.sql ?? '') ? 'virtual' : 'table',
    sql: row.sql ?? '',
    strict: info?.strict === 1,
    withoutRowid: info?.wr === 1,
    columns,
    foreignKeys: [...byId.values()].map((fk) => ({ ...fk })),
    indexes,
  };
}

/**
 * Reads the `main` schema of a database in one read transaction: tables (with columns, foreign keys and indexes),
 * views (with their columns) and triggers, in `sqlite_schema` order. SQLite's internal tables, virtual tables'
 * shadow tables and the migrator's own tables are left out.
 *
 * @example
 * const schema = await readSchema(db);
 * for (const table of schema.tables) console.log(table.name, table.columns.map((c) => c.name));
 */
export async function readSchema(db: Queryable, options: ReadSchemaOptions = {}): Promise<SchemaSnapshot> {
  const ignored = new Set((options.ignoreTables ?? DEFAULT_IGNORED_TABLES).map((n) => n.toLowerCase()));
  return db.transaction(
    async (tx) => {
      const rows = await tx.all<SchemaRow>('SELECT type, name, tbl_name, sql FROM main.sqlite_schema ORDER BY rowid');
      const list = await tx.all<TableListRow>("SELECT name, type, wr, strict FROM pragma_table_list WHERE schema = 'main'", [], NUMBERS);
      const info = new Map(list.map((t) => [t.name, t]));
      const indexSql = new Map(rows.filter((r) => r.type === 'index' && r.sql !== null).map((r) => [r.name, r.sql!]));
      const isUser = (name: string) => !name.toLowerCase().startsWith('sqlite_') && !ignored.has(name.toLowerCase());
      const tables: TableSnapshot[] = [];
      for (const row of rows) {
        if (row.type !== 'table' || !isUser(row.name) || info.get(row.name)?.type === 'shadow') continue;
        tables.push(await readTable(tx, row, info.get(row.name), indexSql));
      }
      const views = [];
      for (const row of rows) {
        if (row.type !== 'view') continue;
        const columns = (await tx.all<XInfoRow>('SELECT name, type, "notnull", dflt_value, pk, hidden FROM pragma_table_xinfo(?)', [row.name], NUMBERS)).map(columnOf);
        views.push({ name: row.name, table: row.tbl_name, sql: row.sql ?? '', columns });
      }
      const triggers = rows.filter((r) => r.type === 'trigger' && isUser(r.tbl_name)).map((r) => ({ name: r.name, table: r.tbl_name, sql: r.sql ?? '' }));
      return { tables, views, triggers };
    },
    { mode: 'deferred' },
  );
}
