/**
 * Schema introspection over the public query API: tables, views, columns, indexes, foreign keys, triggers and
 * virtual tables of every schema a connection sees (main, temp and attached databases), as typed results. Built from
 * SQLite's `pragma_*` table-valued functions and `sqlite_schema`, with names passed as bound values, so quotes,
 * spaces and unicode in names need no care.
 */
import type { Queryable } from '../handle/queryable.ts';
import { RapsqliteError } from '../errors/rapsqlite-error.ts';
import { tokenizeSql, type SqlToken } from '../sql/tokenize.ts';
import type { TransactionOptions } from '../types.ts';
import { ToolboxErrorCodes } from './codes.ts';
import { quoteIdentifier, sameName } from './sql-text.ts';

/** A column's type affinity, derived from its declared type by SQLite's rules. */
export type Affinity = 'INTEGER' | 'TEXT' | 'BLOB' | 'REAL' | 'NUMERIC';

/** Where a schema object lives: `'main'`, `'temp'` or an attached database's alias. */
export interface SchemaRef {
  readonly schema: string;
  readonly name: string;
}

/** A table (ordinary or virtual) as `tables()` lists it. */
export interface TableInfo extends SchemaRef {
  readonly type: 'table' | 'virtual';
  readonly withoutRowid: boolean;
  readonly strict: boolean;
  /** The number of columns, hidden ones included. */
  readonly columnCount: number;
  /** The `CREATE` statement as SQLite stores it. */
  readonly sql: string;
}

/** A view. */
export interface ViewInfo extends SchemaRef {
  readonly sql: string;
  readonly columns: readonly string[];
}

/** One column, from `PRAGMA table_xinfo`. */
export interface ColumnDescription {
  readonly name: string;
  /** The declared type as written (`'VARCHAR(20)'`), `''` when none. */
  readonly declaredType: string;
  readonly affinity: Affinity;
  readonly notNull: boolean;
  /** The default value's SQL text (`"'none'"`, `'CURRENT_TIMESTAMP'`, `'0'`), or null. */
  readonly defaultValue: string | null;
  /** 1-based position in the primary key, 0 when the column is not part of it. */
  readonly primaryKey: number;
  /** A hidden column of a virtual table. */
  readonly hidden: boolean;
  /** `'virtual'` or `'stored'` for a generated column, else null. */
  readonly generated: 'virtual' | 'stored' | null;
}

/** One key column of an index. */
export interface IndexColumn {
  /** The table column, or null for an expression (or the rowid). */
  readonly name: string | null;
  readonly descending: boolean;
  readonly collation: string;
}

/** An index, explicit or created by a UNIQUE / PRIMARY KEY constraint. */
export interface IndexInfo extends SchemaRef {
  readonly table: string;
  readonly unique: boolean;
  /** `'create'` (CREATE INDEX), `'unique'` (a UNIQUE constraint) or `'primaryKey'`. */
  readonly origin: 'create' | 'unique' | 'primaryKey';
  readonly partial: boolean;
  /** A partial index's WHERE condition as SQL text, else null. */
  readonly where: string | null;
  readonly columns: readonly IndexColumn[];
  /** The `CREATE INDEX` statement, or null for a constraint's automatic index. */
  readonly sql: string | null;
}

/** A foreign key of a table (one per constraint, with all its columns). */
export interface ForeignKeyInfo {
  readonly id: number;
  /** The parent table. */
  readonly table: string;
  /** The child columns, in key order. */
  readonly from: readonly string[];
  /** The parent columns, or null entries when the constraint names none (the parent's primary key). */
  readonly to: ReadonlyArray<string | null>;
  readonly onUpdate: string;
  readonly onDelete: string;
  readonly match: string;
}

/** A trigger. */
export interface TriggerInfo extends SchemaRef {
  readonly table: string;
  readonly timing: 'BEFORE' | 'AFTER' | 'INSTEAD OF';
  readonly event: 'INSERT' | 'UPDATE' | 'DELETE';
  readonly sql: string;
}

/** A virtual table and the module behind it. */
export interface VirtualTableInfo extends SchemaRef {
  /** The module name (`'fts5'`, `'rtree'`), lower-cased. */
  readonly module: string;
  /** The module arguments as written. */
  readonly arguments: readonly string[];
  readonly sql: string;
}

/** A table with everything about it. */
export interface TableDescription extends TableInfo {
  readonly columns: readonly ColumnDescription[];
  readonly indexes: readonly IndexInfo[];
  readonly foreignKeys: readonly ForeignKeyInfo[];
  readonly triggers: readonly TriggerInfo[];
}

/** Everything at once, for tools and code generation. */
export interface SchemaDescription {
  /** The schemas of the connection and their files (`''` for in-memory and temporary ones). */
  readonly schemas: ReadonlyArray<{ readonly name: string; readonly file: string }>;
  readonly tables: readonly TableDescription[];
  readonly views: readonly ViewInfo[];
  readonly virtualTables: readonly VirtualTableInfo[];
  readonly triggers: readonly TriggerInfo[];
}

/** Which schema to look in. Without it, lists cover every schema, and a table is found as SQL would find it. */
export interface SchemaOptions {
  readonly schema?: string;
}

/** SQLite's affinity rules (section 3.1 of "Datatypes In SQLite"), in their order. */
export function affinityOf(declaredType: string): Affinity {
  const t = declaredType.toUpperCase();
  if (t.includes('INT')) return 'INTEGER';
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return 'TEXT';
  if (t.includes('BLOB') || t === '') return 'BLOB';
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return 'REAL';
  return 'NUMERIC';
}

function significant(sql: string): SqlToken[] {
  return tokenizeSql(sql).filter((t) => t.kind !== 'whitespace' && t.kind !== 'comment');
}

/** The text of an identifier token without its quotes. */
export function identifierText(token: SqlToken): string {
  if (token.kind !== 'quoted-identifier' && token.kind !== 'string') return token.text;
  const open = token.text[0];
  if (open === '[') return token.text.slice(1, -1);
  const quote = open as string;
  return token.text.slice(1, -1).replaceAll(quote + quote, quote);
}

/** A partial index's condition: the text after its top-level WHERE. */
export function partialIndexWhere(sql: string | null): string | null {
  if (sql === null) return null;
  let depth = 0;
  for (const token of tokenizeSql(sql)) {
    if (token.text === '(') depth++;
    else if (token.text === ')') depth--;
    else if (depth === 0 && token.kind === 'keyword' && token.text.toUpperCase() === 'WHERE') return sql.slice(token.end).trim();
  }
  return null;
}

/** Reads a trigger's timing and event from its CREATE TRIGGER text. */
export function triggerShape(sql: string): Pick<TriggerInfo, 'timing' | 'event'> {
  let timing: TriggerInfo['timing'] = 'BEFORE';
  for (const token of significant(sql)) {
    const word = token.kind === 'keyword' ? token.text.toUpperCase() : '';
    if (word === 'AFTER') timing = 'AFTER';
    else if (word === 'INSTEAD') timing = 'INSTEAD OF';
    else if (word === 'INSERT' || word === 'UPDATE' || word === 'DELETE') return { timing, event: word };
  }
  return { timing, event: 'INSERT' };
}

/** Reads the module and its arguments from a CREATE VIRTUAL TABLE statement. */
export function virtualTableShape(sql: string): { module: string; arguments: string[] } {
  const tokens = tokenizeSql(sql);
  const using = tokens.findIndex((t) => t.kind === 'keyword' && t.text.toUpperCase() === 'USING');
  const rest = tokens.slice(using + 1).filter((t) => t.kind !== 'whitespace' && t.kind !== 'comment');
  const module = rest[0] === undefined ? '' : identifierText(rest[0]).toLowerCase();
  const args: string[] = [];
  const open = tokens.findIndex((t, i) => i > using && t.text === '(');
  if (open === -1) return { module, arguments: args };
  let depth = 0;
  let start = tokens[open]!.end;
  for (let i = open + 1; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.text === '(') depth++;
    else if (t.text === ')' && depth > 0) depth--;
    else if ((t.text === ',' && depth === 0) || (t.text === ')' && depth === 0)) {
      const arg = sql.slice(start, t.start).trim();
      if (arg !== '') args.push(arg);
      start = t.end;
      if (t.text === ')') break;
    }
  }
  return { module, arguments: args };
}

interface TableListRow {
  schema: string;
  name: string;
  type: string;
  ncol: number;
  wr: number;
  strict: number;
}

const READ: TransactionOptions = { mode: 'deferred', readonly: true } as TransactionOptions;

function notFound(what: string, name: string, schema: string | undefined): RapsqliteError {
  const where = schema === undefined ? '' : ` in schema "${schema}"`;
  return new RapsqliteError(ToolboxErrorCodes.SCHEMA_NOT_FOUND, `No ${what} named "${name}"${where}`);
}

/**
 * Introspection of a connection's schema. Every method reads through the given handle's query API (a database, a
 * transaction or a pool: reads go to a reader there), so it sees what that handle sees.
 *
 * @example
 * ```ts
 * const schema = new SchemaInspector(db);
 * for (const table of await schema.tables()) {
 *   console.log(table.name, (await schema.columns(table.name)).map((c) => `${c.name} ${c.declaredType}`));
 * }
 * ```
 */
export class SchemaInspector {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /** The schemas this connection sees, in SQLite's search order for unqualified names (temp, main, attached). */
  async schemas(): Promise<Array<{ name: string; file: string }>> {
    const rows = await this.#db.all<{ seq: number; name: string; file: string }>('SELECT seq, name, file FROM pragma_database_list');
    const order = (name: string) => (name === 'temp' ? 0 : name === 'main' ? 1 : 2);
    return rows.sort((a, b) => order(a.name) - order(b.name) || a.seq - b.seq).map(({ name, file }) => ({ name, file }));
  }

  async #schemaNames(options: SchemaOptions | undefined): Promise<string[]> {
    const all = (await this.schemas()).map((s) => s.name);
    if (options?.schema === undefined) return all;
    const match = all.find((s) => sameName(s, options.schema as string));
    if (match === undefined) throw new RapsqliteError(ToolboxErrorCodes.SCHEMA_NOT_FOUND, `No schema named "${options.schema}"`);
    return [match];
  }

  async #objects(schema: string, type: string): Promise<Array<{ name: string; tbl_name: string; sql: string | null }>> {
    return this.#db.all(`SELECT name, tbl_name, sql FROM ${quoteIdentifier(schema)}.sqlite_schema WHERE type = ? ORDER BY rowid`, [type]);
  }

  /** Tables and virtual tables (not SQLite's internal tables, nor the shadow tables of virtual tables). */
  async tables(options?: SchemaOptions): Promise<TableInfo[]> {
    const out: TableInfo[] = [];
    for (const schema of await this.#schemaNames(options)) {
      const list = await this.#db.all<TableListRow>('SELECT schema, name, type, ncol, wr, strict FROM pragma_table_list WHERE schema = ?', [schema]);
      const byName = new Map(list.map((row) => [row.name, row]));
      for (const object of await this.#objects(schema, 'table')) {
        const row = byName.get(object.name);
        if (row === undefined || object.sql === null || object.name.startsWith('sqlite_')) continue;
        if (row.type !== 'table' && row.type !== 'virtual') continue;
        out.push({
          schema,
          name: object.name,
          type: row.type,
          withoutRowid: row.wr === 1,
          strict: row.strict === 1,
          columnCount: row.ncol,
          sql: object.sql,
        });
      }
    }
    return out;
  }

  /** Views, with their column names. */
  async views(options?: SchemaOptions): Promise<ViewInfo[]> {
    const out: ViewInfo[] = [];
    for (const schema of await this.#schemaNames(options)) {
      for (const view of await this.#objects(schema, 'view')) {
        const columns = await this.#db.all<{ name: string }>('SELECT name FROM pragma_table_xinfo(?, ?) ORDER BY cid', [view.name, schema]);
        out.push({ schema, name: view.name, sql: view.sql ?? '', columns: columns.map((c) => c.name) });
      }
    }
    return out;
  }

  /** Finds the schema of a table or view as SQL would resolve the bare name (temp, then main, then attached). */
  async resolve(name: string, options?: SchemaOptions): Promise<SchemaRef & { type: string }> {
    if (typeof name !== 'string' || name === '') throw notFound('table', String(name), options?.schema);
    const schemas = await this.#schemaNames(options);
    const rows = await this.#db.all<TableListRow>('SELECT schema, name, type FROM pragma_table_list WHERE name = ? COLLATE NOCASE', [name]);
    for (const schema of schemas) {
      const row = rows.find((r) => r.schema === schema && sameName(r.name, name));
      if (row !== undefined) return { schema, name: row.name, type: row.type };
    }
    throw notFound('table or view', name, options?.schema);
  }

  /** The columns of a table or view, hidden and generated ones included. `ERR_RAPSQLITE_SCHEMA_NOT_FOUND` if none. */
  async columns(table: string, options?: SchemaOptions): Promise<ColumnDescription[]> {
    const ref = await this.resolve(table, options);
    const rows = await this.#db.all<{ name: string; type: string; notnull: number; dflt_value: string | null; pk: number; hidden: number }>(
      'SELECT name, type, "notnull", dflt_value, pk, hidden FROM pragma_table_xinfo(?, ?) ORDER BY cid',
      [ref.name, ref.schema],
    );
    return rows.map((r) => ({
      name: r.name,
      declaredType: r.type,
      affinity: affinityOf(r.type),
      notNull: r.notnull === 1,
      defaultValue: r.dflt_value,
      primaryKey: r.pk,
      hidden: r.hidden === 1,
      generated: r.hidden === 2 ? 'virtual' : r.hidden === 3 ? 'stored' : null,
    }));
  }

  /** The indexes of a table with their key columns, uniqueness and partial-index conditions. */
  async indexes(table: string, options?: SchemaOptions): Promise<IndexInfo[]> {
    const ref = await this.resolve(table, options);
    const list = await this.#db.all<{ seq: number; name: string; unique: number; origin: string; partial: number }>(
      'SELECT seq, name, "unique", origin, partial FROM pragma_index_list(?, ?)',
      [ref.name, ref.schema],
    );
    const sqlByName = new Map(
      (await this.#objects(ref.schema, 'index')).filter((o) => sameName(o.tbl_name, ref.name)).map((o) => [o.name, o.sql]),
    );
    const order = [...sqlByName.keys()];
    // Explicit indexes in creation order, then the constraints' automatic ones.
    list.sort((a, b) => {
      const ia = order.indexOf(a.name);
      const ib = order.indexOf(b.name);
      return (ia === -1 ? 1e9 : ia) - (ib === -1 ? 1e9 : ib) || a.name.localeCompare(b.name);
    });
    const out: IndexInfo[] = [];
    for (const index of list) {
      const columns = await this.#db.all<{ name: string | null; desc: number; coll: string; key: number }>(
        'SELECT name, "desc", coll, "key" FROM pragma_index_xinfo(?, ?) ORDER BY seqno',
        [index.name, ref.schema],
      );
      const sql = sqlByName.get(index.name) ?? null;
      out.push({
        schema: ref.schema,
        name: index.name,
        table: ref.name,
        unique: index.unique === 1,
        origin: index.origin === 'pk' ? 'primaryKey' : index.origin === 'u' ? 'unique' : 'create',
        partial: index.partial === 1,
        where: index.partial === 1 ? partialIndexWhere(sql) : null,
        columns: columns.filter((c) => c.key === 1).map((c) => ({ name: c.name, descending: c.desc === 1, collation: c.coll })),
        sql,
      });
    }
    return out;
  }

  /** The foreign keys of a table, one entry per constraint. */
  async foreignKeys(table: string, options?: SchemaOptions): Promise<ForeignKeyInfo[]> {
    const ref = await this.resolve(table, options);
    const rows = await this.#db.all<{ id: number; seq: number; table: string; from: string; to: string | null; on_update: string; on_delete: string; match: string }>(
      'SELECT id, seq, "table", "from", "to", on_update, on_delete, "match" FROM pragma_foreign_key_list(?, ?) ORDER BY id, seq',
      [ref.name, ref.schema],
    );
    const byId = new Map<number, { id: number; table: string; from: string[]; to: Array<string | null>; onUpdate: string; onDelete: string; match: string }>();
    for (const r of rows) {
      let fk = byId.get(r.id);
      if (fk === undefined) {
        fk = { id: r.id, table: r.table, from: [], to: [], onUpdate: r.on_update, onDelete: r.on_delete, match: r.match };
        byId.set(r.id, fk);
      }
      fk.from.push(r.from);
      fk.to.push(r.to);
    }
    // SQLite numbers constraints from the last one declared; report them in declaration order.
    return [...byId.values()].sort((a, b) => b.id - a.id);
  }

  /** Triggers, of one table or of every table and view. */
  async triggers(table?: string, options?: SchemaOptions): Promise<TriggerInfo[]> {
    const ref = table === undefined ? undefined : await this.resolve(table, options);
    const schemas = ref === undefined ? await this.#schemaNames(options) : [ref.schema];
    const out: TriggerInfo[] = [];
    for (const schema of schemas) {
      for (const trigger of await this.#objects(schema, 'trigger')) {
        if (ref !== undefined && !sameName(trigger.tbl_name, ref.name)) continue;
        const sql = trigger.sql ?? '';
        out.push({ schema, name: trigger.name, table: trigger.tbl_name, ...triggerShape(sql), sql });
      }
    }
    return out;
  }

  /** Virtual tables and their modules. */
  async virtualTables(options?: SchemaOptions): Promise<VirtualTableInfo[]> {
    return (await this.tables(options))
      .filter((t) => t.type === 'virtual')
      .map((t) => ({ schema: t.schema, name: t.name, ...virtualTableShape(t.sql), sql: t.sql }));
  }

  /**
   * Everything at once, read in one transaction so the parts agree with each other. Tables come with their columns,
   * indexes, foreign keys and triggers.
   */
  async describe(options?: SchemaOptions): Promise<SchemaDescription> {
    return this.#db.transaction(async (tx) => {
      const inner = new SchemaInspector(tx);
      const schemaNames = new Set(await inner.#schemaNames(options));
      const schemas = (await inner.schemas()).filter((s) => schemaNames.has(s.name));
      const tables: TableDescription[] = [];
      for (const table of await inner.tables(options)) {
        const at = { schema: table.schema };
        tables.push({
          ...table,
          columns: await inner.columns(table.name, at),
          indexes: table.type === 'virtual' ? [] : await inner.indexes(table.name, at),
          foreignKeys: await inner.foreignKeys(table.name, at),
          triggers: await inner.triggers(table.name, at),
        });
      }
      return {
        schemas,
        tables,
        views: await inner.views(options),
        virtualTables: await inner.virtualTables(options),
        triggers: await inner.triggers(undefined, options),
      };
    }, READ);
  }
}
