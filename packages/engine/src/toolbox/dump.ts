/**
 * `dump()`: the database as SQL text, like the sqlite3 shell's `.dump`, streamed in chunks with flat memory. It reads
 * one consistent snapshot (one read transaction) and renders every value with SQLite's own `quote()` inside the
 * worker, so integers past 2^53, reals, text and blobs come out exact, and the caller's thread only joins strings.
 */
import type { Queryable, Transaction } from '../handle/queryable.ts';
import { ErrorCodes } from '../errors/codes.ts';
import { RapsqliteError } from '../errors/rapsqlite-error.ts';
import { tokenizeSql } from '../sql/tokenize.ts';
import type { TransactionOptions } from '../types.ts';
import { Channel, CONSUMER_LEFT } from './channel.ts';
import { ToolboxErrorCodes } from './codes.ts';
import { identifierText, virtualTableShape } from './schema.ts';
import { foldName, literalExpression, quoteIdentifier, quoteString, sameName } from './sql-text.ts';

/** Options of {@link dump}. */
export interface DumpOptions {
  /** Only these tables (and views): their schema, rows, indexes and triggers. Default: everything. */
  readonly tables?: readonly string[];
  /** Only the schema (CREATE statements), no rows. */
  readonly schemaOnly?: boolean;
  /** Only the rows (and `sqlite_sequence`), for a database whose schema exists already. */
  readonly dataOnly?: boolean;
  /** The schema to dump: `'main'` (default), `'temp'` or an attached alias. */
  readonly schema?: string;
  /** Characters per chunk, roughly (default 65 536). */
  readonly chunkSize?: number;
  /** Rows fetched from the worker per message (default 1 024). */
  readonly batchRows?: number;
}

interface SchemaRow {
  type: string;
  name: string;
  tbl_name: string;
  sql: string | null;
  rowid: number;
}

interface Table {
  readonly name: string;
  readonly sql: string;
  readonly rowid: number;
  readonly virtual: boolean;
  readonly withoutRowid: boolean;
}

const READ: TransactionOptions = { mode: 'deferred', readonly: true } as TransactionOptions;
const DEFAULT_CHUNK = 65_536;
const DEFAULT_BATCH = 1024;

function invalid(message: string): RapsqliteError {
  return new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, message);
}

function checkOptions(options: DumpOptions): Required<Omit<DumpOptions, 'tables'>> & { tables: readonly string[] | undefined } {
  if (typeof options !== 'object' || options === null) throw invalid('dump() options must be an object');
  const { tables, schemaOnly = false, dataOnly = false, schema = 'main', chunkSize = DEFAULT_CHUNK, batchRows = DEFAULT_BATCH } = options;
  if (tables !== undefined && (!Array.isArray(tables) || tables.some((t) => typeof t !== 'string' || t === ''))) {
    throw invalid('Option tables must be an array of table names');
  }
  if (typeof schemaOnly !== 'boolean' || typeof dataOnly !== 'boolean') throw invalid('Options schemaOnly and dataOnly must be booleans');
  if (schemaOnly && dataOnly) throw invalid('Options schemaOnly and dataOnly exclude each other');
  if (typeof schema !== 'string' || schema === '') throw invalid('Option schema must be a non-empty string');
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw invalid('Option chunkSize must be a positive integer');
  if (!Number.isInteger(batchRows) || batchRows < 1) throw invalid('Option batchRows must be a positive integer');
  return { tables: tables === undefined ? undefined : Object.freeze([...tables]), schemaOnly, dataOnly, schema, chunkSize, batchRows };
}

/**
 * Orders items so that each comes after the items it depends on, keeping the given order (creation order) wherever
 * dependencies allow. Dependencies on unknown names are ignored; a cycle keeps the given order for its members.
 */
function dependencyOrder<T extends { name: string }>(items: readonly T[], dependsOn: (item: T) => Iterable<string>): T[] {
  const index = new Map(items.map((item, i) => [foldName(item.name), i]));
  const remaining = new Map<number, Set<number>>();
  items.forEach((item, i) => {
    const deps = new Set<number>();
    for (const name of dependsOn(item)) {
      const j = index.get(foldName(name));
      if (j !== undefined && j !== i) deps.add(j);
    }
    remaining.set(i, deps);
  });
  const out: T[] = [];
  const placed = new Set<number>();
  while (placed.size < items.length) {
    let next = -1;
    for (const [i, deps] of remaining) {
      if ([...deps].every((d) => placed.has(d))) {
        next = i;
        break;
      }
    }
    // A cycle: take the earliest item left; SQLite does not check references when it creates tables anyway.
    if (next === -1) next = remaining.keys().next().value as number;
    placed.add(next);
    remaining.delete(next);
    out.push(items[next]!);
  }
  return out;
}

/** Names referenced by a view's SELECT (identifiers of any kind), for ordering views after the views they read. */
function referencedNames(sql: string): string[] {
  return tokenizeSql(sql)
    .filter((t) => t.kind === 'identifier' || t.kind === 'quoted-identifier' || t.kind === 'keyword')
    .map(identifierText);
}

/** An FTS5 option (`content`, `content_rowid`) from a CREATE VIRTUAL TABLE's arguments. */
function moduleOption(args: readonly string[], option: string): string | undefined {
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq === -1 || arg.slice(0, eq).trim().toLowerCase() !== option) continue;
    const tokens = tokenizeSql(arg.slice(eq + 1)).filter((t) => t.kind !== 'whitespace');
    return tokens.length === 0 ? '' : identifierText(tokens[0]!);
  }
  return undefined;
}

/** Writes the dump into `out`, chunk by chunk. Runs inside a read transaction. */
async function produce(tx: Transaction, options: ReturnType<typeof checkOptions>, out: Channel<string>): Promise<void> {
  const { schema, chunkSize, batchRows, schemaOnly, dataOnly } = options;
  const s = quoteIdentifier(schema);
  const known = await tx.all<{ name: string }>('SELECT name FROM pragma_database_list');
  if (!known.some((k) => sameName(k.name, schema))) throw new RapsqliteError(ToolboxErrorCodes.SCHEMA_NOT_FOUND, `No schema named "${schema}"`);

  const objects = await tx.all<SchemaRow>(`SELECT type, name, tbl_name, sql, rowid FROM ${s}.sqlite_schema ORDER BY rowid`);
  const list = await tx.all<{ name: string; type: string; wr: number }>('SELECT name, type, wr FROM pragma_table_list WHERE schema = ?', [schema]);
  const kinds = new Map(list.map((r) => [r.name, r]));

  let selected: Set<string> | undefined;
  if (options.tables !== undefined) {
    selected = new Set();
    for (const name of options.tables) {
      const match = objects.find((o) => (o.type === 'table' || o.type === 'view') && sameName(o.name, name));
      if (match === undefined) throw new RapsqliteError(ToolboxErrorCodes.SCHEMA_NOT_FOUND, `No table or view named "${name}" in schema "${schema}"`);
      selected.add(foldName(match.name));
    }
  }
  const wanted = (name: string) => selected === undefined || selected.has(foldName(name));

  const tables: Table[] = [];
  for (const o of objects) {
    if (o.type !== 'table' || o.sql === null || o.name.startsWith('sqlite_') || !wanted(o.name)) continue;
    const kind = kinds.get(o.name);
    // Shadow tables belong to their virtual table, which rebuilds them.
    if (kind?.type === 'shadow') continue;
    tables.push({ name: o.name, sql: o.sql, rowid: o.rowid, virtual: kind?.type === 'virtual', withoutRowid: kind?.wr === 1 });
  }
  const parents = new Map<string, string[]>();
  for (const t of tables) {
    if (t.virtual) continue;
    const fks = await tx.all<{ table: string }>('SELECT DISTINCT "table" FROM pragma_foreign_key_list(?, ?)', [t.name, schema]);
    parents.set(t.name, fks.map((f) => f.table));
  }
  const ordered = dependencyOrder(tables, (t) => parents.get(t.name) ?? []);

  let buffer: string[] = [];
  let size = 0;
  const write = async (text: string): Promise<void> => {
    buffer.push(text);
    size += text.length;
    if (size >= chunkSize) {
      const chunk = buffer.join('');
      buffer = [];
      size = 0;
      await out.push(chunk);
    }
  };

  if (!schemaOnly) await write('PRAGMA foreign_keys=OFF;\n');
  await write('BEGIN TRANSACTION;\n');
  // Every table first, then the rows: with foreign keys checked at COMMIT, a row may then reference any table,
  // even across a cycle of foreign keys that no table order could satisfy.
  if (!dataOnly) for (const table of ordered) await write(`${table.sql};\n`);
  const rebuilds: string[] = [];
  for (const table of schemaOnly ? [] : ordered) {
    if (table.virtual) {
      const shape = virtualTableShape(table.sql);
      const content = shape.module === 'fts5' || shape.module === 'fts4' ? moduleOption(shape.arguments, 'content') : undefined;
      // External-content full-text tables hold no text of their own: their index is rebuilt from the content table.
      if (content !== undefined && content !== '') {
        rebuilds.push(`INSERT INTO ${quoteIdentifier(table.name)}(${quoteIdentifier(table.name)}) VALUES('rebuild');\n`);
        continue;
      }
      // A contentless full-text table cannot give its text back; only its schema is dumped.
      if (content === '') continue;
    }
    await dumpRows(tx, schema, table, batchRows, write);
  }
  for (const statement of rebuilds) await write(statement);

  if (!schemaOnly) {
    const hasSequence = objects.some((o) => o.type === 'table' && o.name === 'sqlite_sequence');
    if (hasSequence) {
      const rows = await tx.all<{ line: string; name: string }>(
        `SELECT name, 'INSERT INTO sqlite_sequence VALUES(' || quote(name) || ',' || quote(seq) || ');' AS line FROM ${s}.sqlite_sequence ORDER BY rowid`,
      );
      const kept = rows.filter((r) => wanted(r.name));
      if (kept.length > 0 || selected === undefined) {
        await write(selected === undefined ? 'DELETE FROM sqlite_sequence;\n' : `DELETE FROM sqlite_sequence WHERE name IN (${kept.map((r) => quoteString(r.name)).join(',')});\n`);
        for (const r of kept) await write(`${r.line}\n`);
      }
    }
    const hasStat = objects.some((o) => o.type === 'table' && o.name === 'sqlite_stat1');
    if (hasStat && selected === undefined) {
      const rows = await tx.all<{ line: string }>(
        `SELECT 'INSERT INTO sqlite_stat1 VALUES(' || quote(tbl) || ',' || quote(idx) || ',' || quote(stat) || ');' AS line FROM ${s}.sqlite_stat1 ORDER BY rowid`,
      );
      // ANALYZE of the schema table alone creates sqlite_stat1 without computing anything else.
      await write('ANALYZE sqlite_schema;\nDELETE FROM sqlite_stat1;\n');
      for (const r of rows) await write(`${r.line}\n`);
    }
  }

  if (!dataOnly) {
    for (const o of objects) {
      if (o.type === 'index' && o.sql !== null && wanted(o.tbl_name)) await write(`${o.sql};\n`);
    }
    const views = objects.filter((o) => o.type === 'view' && o.sql !== null && wanted(o.name));
    for (const v of dependencyOrder(views, (view) => referencedNames(view.sql ?? ''))) await write(`${v.sql};\n`);
    for (const o of objects) {
      if (o.type === 'trigger' && o.sql !== null && wanted(o.tbl_name)) await write(`${o.sql};\n`);
    }
  }
  await write('COMMIT;\n');
  if (buffer.length > 0) await out.push(buffer.join(''));
}

/** The INSERT statements of one table, rendered by SQLite in the worker, fetched `batchRows` at a time. */
/** Whether the connection's SQLite has its math functions (`atan2`), with which a dump keeps the sign of -0.0. */
async function hasMathFunctions(tx: Transaction): Promise<boolean> {
  try {
    await tx.get('SELECT atan2(0, -1)');
    return true;
  } catch {
    return false;
  }
}

async function dumpRows(tx: Transaction, schema: string, table: Table, batchRows: number, write: (text: string) => Promise<void>): Promise<void> {
  const columns = await tx.all<{ name: string; type: string; pk: number; hidden: number }>(
    'SELECT name, type, pk, hidden FROM pragma_table_xinfo(?, ?) ORDER BY cid',
    [table.name, schema],
  );
  // Generated columns are computed again, hidden columns of virtual tables are not data.
  const stored = columns.filter((c) => c.hidden === 0);
  if (stored.length === 0) return;
  let rowidName: string | undefined;
  if (!table.withoutRowid) {
    const pk = columns.filter((c) => c.pk > 0);
    let aliased = pk.length === 1 && pk[0]!.type.toUpperCase() === 'INTEGER';
    if (aliased && !table.virtual) {
      // `INTEGER PRIMARY KEY DESC` is not a rowid alias: SQLite then builds an index for the key.
      const keyIndex = await tx.all('SELECT 1 FROM pragma_index_list(?, ?) WHERE origin = ?', [table.name, schema, 'pk']);
      aliased = keyIndex.length === 0;
    }
    if (!aliased) {
      const taken = new Set(columns.map((c) => foldName(c.name)));
      rowidName = ['rowid', '_rowid_', 'oid'].find((n) => !taken.has(n));
      if (rowidName !== undefined && table.virtual) {
        // Some modules (rtree) have no separate rowid: their first column is it.
        try {
          await tx.all(`SELECT ${rowidName} FROM ${quoteIdentifier(schema)}.${quoteIdentifier(table.name)} LIMIT 0`);
        } catch {
          rowidName = undefined;
        }
        const shape = virtualTableShape(table.sql);
        if (shape.module.startsWith('rtree') || shape.module === 'geopoly') rowidName = undefined;
      }
    }
  }
  const names = stored.map((c) => c.name);
  const allColumns = rowidName === undefined && stored.length === columns.length;
  const target = quoteIdentifier(table.name);
  const head = allColumns
    ? `INSERT INTO ${target} VALUES(`
    : `INSERT INTO ${target}(${[...(rowidName === undefined ? [] : [rowidName]), ...names].map(quoteIdentifier).join(',')}) VALUES(`;
  const signedZero = await hasMathFunctions(tx);
  const values = [...(rowidName === undefined ? [] : [rowidName]), ...names.map(quoteIdentifier)].map((c) => literalExpression(c, signedZero));
  const sql = `SELECT ${quoteString(head)} || ${values.join(` || ',' || `)} || ');' AS line FROM ${quoteIdentifier(schema)}.${quoteIdentifier(table.name)}`;
  for await (const row of tx.iterate<{ line: string }>(sql, undefined, { chunkSize: batchRows })) {
    await write(`${row.line}\n`);
  }
}

/**
 * The database as SQL text, like the sqlite3 shell's `.dump`, streamed: an async iterable of chunks of whole
 * statements, with memory flat however large the database is (the worker renders a batch of rows at a time, only when
 * the consumer asks for more). Rows of one snapshot: the dump runs in one read transaction (on a pool, on a reader).
 *
 * The text: `PRAGMA foreign_keys=OFF;`, `BEGIN TRANSACTION;`, the tables in foreign-key order, then their rows
 * (integers past 2^53, reals that round-trip, text with quotes, newlines and NUL, blobs as `X'..'`, NULL; the rowid of
 * tables whose rowid is not a column), virtual tables (FTS5 tables with their text; external-content ones rebuilt),
 * `sqlite_sequence`, `sqlite_stat1`, indexes, views in dependency order, triggers, `COMMIT;`.
 * Feed it to {@link restore} (or `db.exec`, which then leaves `foreign_keys` off on that connection).
 *
 * Errors: `ERR_RAPSQLITE_SCHEMA_NOT_FOUND` for an unknown table or schema, `ERR_RAPSQLITE_INVALID_ARGUMENT` for bad
 * options; both before any chunk.
 *
 * @example
 * ```ts
 * import { createWriteStream } from 'node:fs';
 * import { pipeline } from 'node:stream/promises';
 * await pipeline(dump(db), createWriteStream('backup.sql'));
 * ```
 */
export function dump(db: Queryable, options: DumpOptions = {}): AsyncIterableIterator<string> & AsyncDisposable {
  const checked = checkOptions(options);
  const channel = new Channel<string>(2);
  let started: Promise<void> | undefined;
  const start = (): void => {
    started ??= db
      .transaction((tx) => produce(tx, checked, channel), READ)
      .then(
        () => channel.end(),
        (err: unknown) => (err === CONSUMER_LEFT ? channel.end() : channel.end(err, true)),
      );
  };
  let finished = false;
  const iterator: AsyncIterableIterator<string> & AsyncDisposable = {
    async next() {
      if (finished) return { done: true, value: undefined };
      start();
      const result = await channel.next().catch((err: unknown) => {
        finished = true;
        throw err;
      });
      if (result.done === true) finished = true;
      return result;
    },
    async return() {
      finished = true;
      channel.leave();
      // Wait for the read transaction to end, so the connection is free when the loop has left.
      await started;
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
    async [Symbol.asyncDispose]() {
      await this.return?.();
    },
  };
  return iterator;
}
