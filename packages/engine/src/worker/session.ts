/**
 * The state a worker keeps next to its better-sqlite3 connection, and the helpers every operation handler uses:
 * the statement cache, result shapes, open cursors, parameter binding and integer conversion. It has no side
 * effect at import, so operation handlers (loaded on both threads) can name its type.
 */
import { ErrorCodes } from '../errors/codes.ts';
import type { Companion } from '../native/companion.ts';
import { sqlParameters } from '../sql/parameter-names.ts';
import type { ColumnInfo } from '../types.ts';
import type { DriverDatabase, DriverStatement } from './driver.ts';
import { IntMode, type IntModeCode, type RowsPayload } from './protocol.ts';
import { StatementCache } from './statement-cache.ts';
import { WorkerError } from './worker-error.ts';

/** A prepared statement with what the worker learned about it. */
export interface Entry {
  readonly stmt: DriverStatement;
  readonly sql: string;
  readonly reader: boolean;
  shape: number;
  /** The shape table's epoch when `shape` was assigned; a stale id is looked up again. */
  epoch: number;
  names: string[];
  /** The session's schema epoch when `names` were read (see {@link WorkerSession.noteSchemaChange}). */
  namesEpoch: number;
  params: ReadonlySet<string> | undefined;
  /** Uses `?NNN` parameters, which better-sqlite3 binds by name ("1", "2"…) rather than from an array. */
  readonly numbered: boolean;
}

/** An open cursor: the statement's iterator, read a chunk at a time. */
export interface Cursor {
  readonly entry: Entry;
  readonly it: IterableIterator<unknown>;
  readonly mode: IntModeCode;
  readonly chunkSize: number;
}

const MAX = BigInt(Number.MAX_SAFE_INTEGER);
const MIN = -MAX;
const NUMBERED = /\?\d/;
/**
 * Result shapes (column lists) known to this worker. The caller's side keeps a row factory per shape id, so both are
 * bounded: past SHAPE_LIMIT distinct lists the table starts over (a new epoch), and names are sent again.
 */
const SHAPE_LIMIT = 1024;

/**
 * The statement cache, which finds the statement used last without reordering the cache: it is the most recent one
 * already (a connection that repeats one statement skips a Map delete and insert per request).
 */
class SessionCache<E> extends StatementCache<E> {
  #lastSql: string | undefined;
  #last: E | undefined;

  override get(sql: string): E | undefined {
    if (sql === this.#lastSql) return this.#last;
    const entry = super.get(sql);
    if (entry !== undefined) {
      this.#lastSql = sql;
      this.#last = entry;
    }
    return entry;
  }

  override set(sql: string, entry: E): void {
    super.set(sql, entry);
    if (this.capacity === 0) return;
    this.#lastSql = sql;
    this.#last = entry;
  }

  override clear(): void {
    super.clear();
    this.#lastSql = undefined;
    this.#last = undefined;
  }
}

function isNamedParams(params: unknown): params is Record<string, unknown> {
  return typeof params === 'object' && params !== null && !Array.isArray(params) && !ArrayBuffer.isView(params);
}

/** The worker's side of one connection. */
export class WorkerSession {
  readonly db: DriverDatabase;
  readonly companion: Companion | undefined;
  /** The connection's slot in the companion's table (0 without the companion). */
  readonly slot: number;
  readonly cache: StatementCache<Entry>;
  readonly cursors = new Map<number, Cursor>();
  /** Statements compiled since the worker started. */
  statementsPrepared = 0;
  /** Background requests (backups) asked to stop, by id. */
  readonly #aborted = new Set<number>();
  #nextCursor = 1;
  readonly #shapeIds = new Map<string, number>();
  #shapeSent: boolean[] = [];
  /** Shapes whose names went into a payload of the request running now (see {@link settleShapes}). */
  readonly #shapesMarked: number[] = [];
  #shapeEpoch = 0;
  /** Bumped when a statement may have been recompiled against a new schema: names read before it are checked again. */
  #schemaEpoch = 0;
  #schemaSignature = 0;
  /**
   * Whether schema changes are noticed through the companion's probe after statements run. Without it the worker
   * reads PRAGMA schema_version before each batch (a read transaction each time) and clears the cache on a change.
   */
  readonly probesSchema: boolean;

  constructor(db: DriverDatabase, companion: Companion | undefined, slot: number, statementCacheSize: number) {
    this.db = db;
    this.companion = companion;
    this.slot = slot;
    this.cache = new SessionCache<Entry>(statementCacheSize);
    this.probesSchema = companion !== undefined;
    if (companion !== undefined) this.#schemaSignature = companion.schemaProbe(slot);
  }

  /** Marks every cached statement's column names for a fresh read before they are used again. */
  noteSchemaChange(): void {
    this.#schemaEpoch++;
  }

  /**
   * The column names to use for rows `entry` just produced. SQLite recompiles a statement at its first step after
   * the schema changed (another connection's ALTER TABLE, say), and its names may change with it: when the
   * companion's probe says some statement was recompiled since the last look, every entry reads its names again
   * once. A row of another width than the names (SELECT * after ADD COLUMN) is a change too.
   */
  #namesFor(entry: Entry, width: number | undefined): string[] {
    const companion = this.companion;
    if (companion !== undefined) {
      const signature = companion.schemaProbe(this.slot);
      if (signature !== this.#schemaSignature) {
        this.#schemaSignature = signature;
        this.#schemaEpoch++;
      }
    }
    if (entry.namesEpoch !== this.#schemaEpoch || (width !== undefined && width !== entry.names.length)) {
      const names = entry.stmt.columns().map((c) => c.name);
      entry.namesEpoch = this.#schemaEpoch;
      if (names.length !== entry.names.length || names.some((name, i) => name !== entry.names[i])) {
        entry.names = names;
        entry.shape = this.#shapeOf(names);
        entry.epoch = this.#shapeEpoch;
      }
    }
    return entry.names;
  }

  #shapeOf(names: string[]): number {
    // Column names are C strings: none contains NUL.
    const key = names.join('\u0000');
    let id = this.#shapeIds.get(key);
    if (id === undefined) {
      if (this.#shapeIds.size >= SHAPE_LIMIT) {
        this.#shapeIds.clear();
        this.#shapeSent = [];
        this.#shapeEpoch++;
      }
      id = this.#shapeIds.size;
      this.#shapeIds.set(key, id);
    }
    return id;
  }

  #prepare(sql: string, cacheIt: boolean): Entry {
    const stmt = this.db.prepare(sql);
    this.statementsPrepared++;
    const reader = stmt.reader;
    let names: string[] = [];
    if (reader) {
      stmt.raw(true);
      names = stmt.columns().map((c) => c.name);
    }
    const shape = reader ? this.#shapeOf(names) : -1;
    const entry: Entry = {
      stmt,
      sql,
      reader,
      shape,
      epoch: this.#shapeEpoch,
      names,
      namesEpoch: this.#schemaEpoch,
      params: undefined,
      numbered: NUMBERED.test(sql),
    };
    if (cacheIt) this.cache.set(sql, entry);
    return entry;
  }

  /** A cached statement, or a fresh one when the cached one is held by an open cursor. */
  statement(sql: string): Entry {
    const entry = this.cache.get(sql);
    if (entry === undefined) return this.#prepare(sql, true);
    // Only an open cursor keeps a statement busy between requests: without one, the native `busy` getter is skipped.
    return this.cursors.size > 0 && entry.stmt.busy ? this.#prepare(sql, false) : entry;
  }

  /** A statement that returns rows, or `ERR_RAPSQLITE_NOT_A_QUERY`. */
  query(sql: string): Entry {
    const entry = this.statement(sql);
    if (!entry.reader) throw new WorkerError(ErrorCodes.NOT_A_QUERY, 'This statement returns no rows: use run() or exec()');
    return entry;
  }

  /** The arguments to bind `params` to `entry` with, checking named keys (better-sqlite3 would ignore a typo). */
  bindArgs(entry: Entry, params: unknown): unknown[] {
    if (params === undefined) return [];
    if (isNamedParams(params)) {
      const known = (entry.params ??= new Set(sqlParameters(entry.sql).named));
      for (const key in params) {
        if (!known.has(key)) {
          const hint = /^[:@$]/.test(key) ? ' (use the name without its prefix)' : '';
          throw new WorkerError(ErrorCodes.PARAMETER_UNKNOWN, `Unknown named parameter "${key}"${hint}`);
        }
      }
    } else if (entry.numbered && Array.isArray(params)) {
      const byNumber: Record<string, unknown> = {};
      for (let i = 0; i < params.length; i++) byNumber[i + 1] = params[i];
      return [byNumber];
    }
    return [params];
  }

  /** Converts integers in place in a flat array of `width`-column rows; reports whether any cell is a BLOB. */
  convertCells(cells: unknown[], width: number, mode: IntModeCode, names: readonly string[]): 0 | 1 {
    let blobs: 0 | 1 = 0;
    for (let i = 0; i < cells.length; i++) {
      const v = cells[i];
      if (typeof v === 'bigint') {
        if (mode !== IntMode.bigint) {
          const column = i % width;
          cells[i] = integer(v, mode, names[column] ?? String(column));
        }
      } else if (v !== null && typeof v === 'object') {
        blobs = 1;
      }
    }
    return blobs;
  }

  /**
   * Rows on the wire: one flat array, with the column names the first time their shape is sent. `from` and `to` take a
   * range of `rows` (a chunk of a large `all`) without copying it first.
   */
  rowsPayload(entry: Entry, rows: unknown[][], mode: IntModeCode, from = 0, to = rows.length): RowsPayload {
    const first = rows[from];
    this.#namesFor(entry, first?.length);
    if (entry.epoch !== this.#shapeEpoch) {
      entry.shape = this.#shapeOf(entry.names);
      entry.epoch = this.#shapeEpoch;
    }
    const width = entry.names.length;
    let values: unknown[];
    if (to - from === 1) {
      values = first as unknown[];
    } else {
      // Built by push, not `new Array(n)`: a holey array takes the structured clone's slow, sparse path.
      values = [];
      for (let r = from; r < to; r++) {
        const row = rows[r] as unknown[];
        for (let c = 0; c < width; c++) values.push(row[c]);
      }
    }
    const blobs = this.convertCells(values, width, mode, entry.names);
    const shape = entry.shape;
    let names: string[] | 0 = 0;
    if (this.#shapeSent[shape] !== true) {
      this.#shapeSent[shape] = true;
      this.#shapesMarked.push(shape);
      names = entry.names;
    }
    return [shape, names, width, values, blobs];
  }

  /** A `run`'s changes and rowid; a rowid beyond 2^53 stays a bigint even in 'number' mode (the write committed). */
  runResult(result: { changes: number; lastInsertRowid: number | bigint }, mode: IntModeCode): [number, number | bigint] {
    const id = result.lastInsertRowid;
    const rowid = typeof id === 'bigint' && mode !== IntMode.bigint && id <= MAX && id >= MIN ? Number(id) : id;
    return [result.changes, rowid];
  }

  /** Opens a cursor over `entry` and returns its id. */
  openCursor(entry: Entry, params: unknown, mode: IntModeCode, chunkSize: number): number {
    const it = entry.stmt.iterate(...this.bindArgs(entry, params));
    const id = this.#nextCursor++;
    this.cursors.set(id, { entry, it, mode, chunkSize });
    return id;
  }

  /**
   * The next chunk of cursor `id`; a finished cursor is forgotten. A chunk that fails (an interrupt, an integer past
   * 2^53 in 'number' mode) closes the cursor at once: its statement must not stay open, held by nobody, keeping
   * locks, a reader's snapshot and the worker's unsafe mode.
   */
  readChunk(id: number): [RowsPayload, 0 | 1] {
    const cursor = this.cursors.get(id);
    if (cursor === undefined) throw new WorkerError(ErrorCodes.CLOSED, 'The cursor is closed');
    try {
      const rows: unknown[][] = [];
      let done: 0 | 1 = 0;
      for (let i = 0; i < cursor.chunkSize; i++) {
        const next = cursor.it.next();
        if (next.done === true) {
          done = 1;
          break;
        }
        rows.push(next.value as unknown[]);
      }
      if (done === 1) this.cursors.delete(id);
      return [this.rowsPayload(cursor.entry, rows, cursor.mode), done];
    } catch (err) {
      this.closeCursor(id);
      throw err;
    }
  }

  /**
   * Ends the bookkeeping of the request that ran: when it failed, the payloads it built were never sent (an `all`
   * converts every chunk before it sends the first), so the names they carried must be sent again next time.
   */
  settleShapes(sent: boolean): void {
    const marked = this.#shapesMarked;
    if (marked.length === 0) return;
    if (!sent) for (const shape of marked) this.#shapeSent[shape] = false;
    marked.length = 0;
  }

  /** Asks the background request `id` to stop. */
  abortTask(id: number): void {
    this.#aborted.add(id);
  }

  /** Why background request `id` must stop (it was asked to), else undefined; the request is then forgotten. */
  abortReason(id: number): unknown {
    if (!this.#aborted.has(id)) return undefined;
    return new WorkerError(ErrorCodes.ABORTED, 'The task was cancelled');
  }

  closeCursor(id: number): void {
    const cursor = this.cursors.get(id);
    if (cursor === undefined) return;
    this.cursors.delete(id);
    cursor.it.return?.();
  }
}

/** A bigint read from SQLite, as the integer mode wants it. */
function integer(value: bigint, mode: IntModeCode, column: string): number | bigint {
  if (mode === IntMode.bigint) return value;
  if (value <= MAX && value >= MIN) return Number(value);
  if (mode === IntMode.auto) return value;
  throw new WorkerError(ErrorCodes.INTEGER_OVERFLOW, `Column "${column}" holds an integer beyond ±(2^53−1); read it with { integers: 'bigint' } or 'auto'`);
}

/** What better-sqlite3 reports about a statement's result columns. */
export function columnInfo(stmt: DriverStatement): ColumnInfo[] {
  return stmt.columns().map((c) => ({ name: c.name, type: c.type, table: c.table, column: c.column, database: c.database }));
}
