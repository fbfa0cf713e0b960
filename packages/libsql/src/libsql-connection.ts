import type { Client, InArgs, InStatement, ResultSet, Transaction, TransactionMode } from '@libsql/client';
import { ErrorCodes, RapsqliteError, type ColumnInfo, type ConnectionInfo, type IntegerMode, type Row, type SqlValue, type StatementInfo } from '@rapsqlite/engine';
import { assertOneStatement, bindValues, closedError, statementPlan, unsupportedError, type Connection, type ConnectionRequest, type RequestKind, type RequestResults, type Ticket } from '@rapsqlite/engine/plugin';
import { isReadOnlySql } from '@rapsqlite/engine/sql';
import { fromClientError } from './errors.ts';
import { RowMakers } from './rows.ts';

/** Something statements run on: the client, or the interactive transaction that holds the connection. */
type Target = Pick<Client, 'execute' | 'batch' | 'executeMultiple'> | Transaction;

interface Call {
  readonly id: number;
  readonly sql: string;
  readonly inTx: boolean;
  readonly durable: boolean;
  readonly reject: (error: unknown) => void;
  started: boolean;
  abandoned: boolean;
}

interface Cursor {
  readonly rows: Row[];
  head: number;
  readonly chunkSize: number;
}

const MAX = BigInt(Number.MAX_SAFE_INTEGER);
const MANY_SAVEPOINT = 'rapsqlite_many';
const TRIAL_SAVEPOINT = 'rapsqlite_trial';
let nextConnectionId = 2_000_001;
let nextCursorId = 1;

function isDurable(kind: RequestKind, sql: string, inTx: boolean): boolean {
  if (inTx) return kind === 'run' && /^\s*(COMMIT|END)\b/i.test(sql);
  if (kind === 'exec' || kind === 'runMany') return true;
  if (kind === 'run' || kind === 'get' || kind === 'all' || kind === 'values' || kind === 'iterOpen') return !isReadOnlySql(sql);
  return false;
}

/** BEGIN … as libSQL's interactive transaction mode. */
function beginMode(sql: string): TransactionMode | undefined {
  const match = /^\s*BEGIN(?:\s+(DEFERRED|IMMEDIATE|EXCLUSIVE))?(?:\s+TRANSACTION)?\s*;?\s*$/i.exec(sql);
  if (match === null) return undefined;
  const word = (match[1] ?? 'DEFERRED').toUpperCase();
  return word === 'DEFERRED' ? 'deferred' : 'write';
}

/** A value as libSQL returns it, in the engine's terms (integer mode, Buffer for BLOBs). */
function value(cell: unknown, integers: IntegerMode, column: string, sql: string): unknown {
  if (typeof cell === 'bigint') {
    if (integers === 'bigint') return cell;
    if (cell <= MAX && cell >= -MAX) return Number(cell);
    if (integers === 'auto') return cell;
    throw new RapsqliteError(ErrorCodes.INTEGER_OVERFLOW, `Column "${column}" holds an integer beyond ±(2^53−1); read it with { integers: 'bigint' } or 'auto'`, { sql });
  }
  if (cell instanceof ArrayBuffer) return Buffer.from(cell);
  if (cell instanceof Uint8Array && !Buffer.isBuffer(cell)) return Buffer.from(cell.buffer, cell.byteOffset, cell.byteLength);
  return cell;
}

function notAQuery(sql: string): RapsqliteError {
  return new RapsqliteError(ErrorCodes.NOT_A_QUERY, 'This statement returns no rows: use run() or exec()', { sql });
}

function rowid(id: bigint | undefined, integers: IntegerMode): number | bigint {
  if (id === undefined) return 0;
  if (integers === 'bigint') return id;
  return id <= MAX && id >= -MAX ? Number(id) : id;
}

/** The values to bind, checked as a local database checks them (libSQL would bind missing ones as NULL). */
function argsOf(sql: string, params: unknown): SqlValue[] {
  const plan = statementPlan(sql);
  assertOneStatement(plan, sql);
  const values = bindValues(plan, params, sql);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    // libSQL's local driver cuts a string at its first NUL without a word: refused instead.
    if (typeof v === 'string' && v.includes('\u0000')) {
      const error = new RapsqliteError(ErrorCodes.PARAMETER_ENCODING, `Parameter ${i + 1} is a string holding U+0000, which libSQL would cut short; bind it as a Buffer`, { sql });
      Object.defineProperty(error, 'parameter', { value: String(i + 1), enumerable: true });
      throw error;
    }
  }
  return values;
}

/** How a libSQL connection behaves. */
export interface LibsqlConnectionSettings {
  /** Run calls one after another in the order they were made (the writer); a reader lets them overlap. */
  readonly ordered: boolean;
  /** Close the client with the connection. */
  readonly ownsClient: boolean;
  /** The client works on a local file (`file:` URL, or an embedded replica). */
  readonly local: boolean;
}

/**
 * A connection over an `@libsql/client` client, as the engine's {@link Connection}: the engine's BEGIN, COMMIT and
 * ROLLBACK become the client's interactive transaction, `runMany` its batch, and results are decoded with the
 * engine's integer modes. A writer runs calls in order; a reader lets them overlap.
 */
export class LibsqlConnection implements Connection {
  readonly info: ConnectionInfo;
  readonly generation = 0;
  readonly interruptible = false;
  readonly client: Client;
  readonly #settings: LibsqlConnectionSettings;
  readonly #makers = new RowMakers();
  readonly #calls = new Map<number, Call>();
  readonly #cursors = new Map<number, Cursor>();
  #tx: Transaction | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  #nextId = 1;
  #closing: Promise<void> | undefined;
  /** Writes that succeeded: a replica is behind while this moves past what it last synced. */
  writes = 0;

  constructor(client: Client, role: ConnectionInfo['role'], path: string, settings: LibsqlConnectionSettings) {
    this.client = client;
    this.#settings = settings;
    this.info = Object.freeze({ role, id: nextConnectionId++, path });
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Calls made and not settled. */
  get pending(): number {
    return this.#calls.size;
  }

  execute<K extends RequestKind>(request: ConnectionRequest<K>): Promise<RequestResults[K]> {
    const kind = request.kind as RequestKind;
    switch (kind) {
      case 'iterNext':
        return Promise.resolve(this.#chunk(request.extra as number) as RequestResults[K]);
      case 'iterClose':
        this.#cursors.delete(request.extra as number);
        return Promise.resolve(undefined as RequestResults[K]);
      case 'close':
        return this.close() as Promise<RequestResults[K]>;
      case 'invalidate':
        return Promise.resolve(undefined as RequestResults[K]);
      case 'register':
        return Promise.reject(unsupportedError('User functions run where the engine runs: a libSQL server cannot load JavaScript functions'));
      case 'authorize':
        if (request.extra === null || request.extra === undefined) return Promise.resolve(undefined as RequestResults[K]);
        return Promise.reject(unsupportedError('The authorizer needs the native companion inside the engine: libSQL has none'));
      default:
        break;
    }
    if (this.#closing !== undefined) return Promise.reject(closedError('database', request.sql));
    let args: SqlValue[] | SqlValue[][];
    try {
      args =
        kind === 'exec'
          ? []
          : kind === 'runMany'
            ? (request.params as readonly unknown[]).map((params, index) => {
                try {
                  return argsOf(request.sql, params);
                } catch (err) {
                  Object.defineProperty(err, 'index', { value: index, enumerable: true });
                  throw err;
                }
              })
            : kind === 'prepare'
              ? (assertOneStatement(statementPlan(request.sql), request.sql), [])
              : argsOf(request.sql, request.params);
    } catch (err) {
      return Promise.reject(err);
    }
    const id = this.#nextId++;
    if (request.ticket !== undefined) request.ticket.id = id;
    const inTx = request.inTransaction === true;
    const durable = isDurable(kind, request.sql, inTx);
    return new Promise<RequestResults[K]>((resolve, reject) => {
      const call: Call = { id, sql: request.sql, inTx, durable, reject, started: false, abandoned: false };
      this.#calls.set(id, call);
      const run = async (): Promise<void> => {
        if (call.abandoned) return;
        call.started = true;
        try {
          const result = await this.#run(kind, request, args, request.integers ?? 'number');
          if (durable) this.writes++;
          if (!call.abandoned) resolve(result as RequestResults[K]);
        } catch (err) {
          if (!call.abandoned) reject(fromClientError(err, request.sql, durable));
        } finally {
          this.#calls.delete(id);
        }
      };
      if (this.#settings.ordered) {
        const next = this.#tail.then(run);
        this.#tail = next;
      } else {
        void run();
      }
    });
  }

  #target(inTx: boolean): Target {
    if (!inTx) return this.client;
    if (this.#tx === undefined) throw new RapsqliteError(ErrorCodes.INTERNAL, 'A statement of a transaction arrived with no transaction open');
    return this.#tx;
  }

  async #run(kind: RequestKind, request: ConnectionRequest, args: SqlValue[] | SqlValue[][], integers: IntegerMode): Promise<unknown> {
    const sql = request.sql;
    const inTx = request.inTransaction === true;
    switch (kind) {
      case 'run': {
        if (inTx) {
          const framed = await this.#frame(sql);
          if (framed) return { changes: 0, lastInsertRowid: 0 };
        }
        const target = this.#target(inTx);
        const rs = await target.execute({ sql, args: args as InArgs });
        return { changes: rs.rowsAffected, lastInsertRowid: rowid(await this.#exactRowid(target, rs.lastInsertRowid), integers) };
      }
      case 'exec':
        await this.#target(inTx).executeMultiple(sql);
        return undefined;
      case 'get':
      case 'all':
      case 'values':
      case 'iterOpen': {
        const rs = await this.#query(this.#target(inTx), inTx, sql, args as SqlValue[]);
        if (kind === 'values') return { columns: columnsOf(rs), rows: rs.rows.map((row) => cells(rs, row, integers, sql)) };
        if (kind === 'get') return rs.rows.length === 0 ? undefined : this.#row(rs, rs.rows[0], integers, sql);
        const rows = rs.rows.map((row) => this.#row(rs, row, integers, sql));
        if (kind === 'all') return rows;
        // libSQL returns whole results: the cursor hands them out a chunk at a time.
        const cursor: Cursor = { rows, head: 0, chunkSize: Math.max(1, Number(request.extra) || 256) };
        const id = nextCursorId++;
        const first = this.#take(cursor);
        if (!first.done) this.#cursors.set(id, cursor);
        return { cursor: id, ...first };
      }
      case 'runMany':
        return this.#runMany(sql, args as SqlValue[][], inTx, integers);
      case 'prepare':
        return this.#prepare(this.#target(inTx), inTx, sql);
      default:
        throw new RapsqliteError(ErrorCodes.INTERNAL, `Unexpected request kind ${kind}`);
    }
  }

  /**
   * libSQL's local driver passes a rowid through a double, so beyond 2^53 it reports a neighbour of the real one: the
   * connection is asked for the exact value, and the reported one is kept only if that is not possible.
   */
  async #exactRowid(target: Target, reported: bigint | undefined): Promise<bigint | undefined> {
    if (!this.#settings.local || reported === undefined || (reported <= MAX && reported >= -MAX)) return reported;
    const rs = await target.execute('SELECT last_insert_rowid() AS id');
    const exact = rs.rows[0]?.[0];
    return typeof exact === 'bigint' && Number(exact) === Number(reported) ? exact : reported;
  }

  /** BEGIN, COMMIT and ROLLBACK of the engine's transactions, as the client's interactive transaction. */
  async #frame(sql: string): Promise<boolean> {
    const mode = beginMode(sql);
    if (mode !== undefined) {
      if (this.#tx !== undefined) throw new RapsqliteError(ErrorCodes.INTERNAL, 'A transaction began while another held the connection');
      this.#tx = await this.client.transaction(mode);
      return true;
    }
    if (/^\s*(COMMIT|END)(\s+TRANSACTION)?\s*;?\s*$/i.test(sql)) {
      const tx = this.#target(true) as Transaction;
      await tx.commit();
      this.#tx = undefined;
      tx.close();
      return true;
    }
    if (/^\s*ROLLBACK(\s+TRANSACTION)?\s*;?\s*$/i.test(sql)) {
      const tx = this.#tx;
      this.#tx = undefined;
      if (tx !== undefined && !tx.closed) {
        try {
          await tx.rollback();
        } finally {
          tx.close();
        }
      }
      return true;
    }
    return false;
  }

  #row(rs: ResultSet, row: ResultSet['rows'][number] | undefined, integers: IntegerMode, sql: string): Row {
    return this.#makers.get(rs.columns)(cells(rs, row, integers, sql));
  }

  #take(cursor: Cursor): { rows: Row[]; done: boolean } {
    const rows = cursor.rows.slice(cursor.head, cursor.head + cursor.chunkSize);
    cursor.head += rows.length;
    return { rows, done: cursor.head >= cursor.rows.length };
  }

  #chunk(id: number): { rows: Row[]; done: boolean } {
    const cursor = this.#cursors.get(id);
    if (cursor === undefined) return { rows: [], done: true };
    const chunk = this.#take(cursor);
    if (chunk.done) this.#cursors.delete(id);
    return chunk;
  }

  /**
   * Runs a query that is not plainly a SELECT (`INSERT … RETURNING`, a PRAGMA): the client cannot say whether a
   * statement returns rows before running it, so a data change runs in a transaction of its own (or a savepoint) that
   * is rolled back when it returned no rows, as a local database refuses it without running it. A PRAGMA runs as is.
   */
  async #query(target: Target, inTx: boolean, sql: string, args: SqlValue[]): Promise<ResultSet> {
    if (isReadOnlySql(sql)) return target.execute({ sql, args: args as InArgs });
    if (/^\s*(PRAGMA|EXPLAIN)\b/i.test(sql)) {
      const rs = await target.execute({ sql, args: args as InArgs });
      if (rs.columns.length === 0) throw notAQuery(sql);
      return rs;
    }
    return this.#tentatively(target, inTx, { sql, args: args as InArgs }, (rs) => rs.columns.length > 0, () => notAQuery(sql));
  }

  /** Runs a statement and keeps its effects only when `keep` says so; else rolls them back and throws `refused()`. */
  async #tentatively(target: Target, inTx: boolean, statement: InStatement, keep: (rs: ResultSet) => boolean, refused: () => Error): Promise<ResultSet> {
    if (inTx) {
      await target.execute(`SAVEPOINT ${TRIAL_SAVEPOINT}`);
      let rs: ResultSet;
      try {
        rs = await target.execute(statement);
      } catch (err) {
        await target.execute(`ROLLBACK TO ${TRIAL_SAVEPOINT}`);
        await target.execute(`RELEASE ${TRIAL_SAVEPOINT}`);
        throw err;
      }
      if (!keep(rs)) await target.execute(`ROLLBACK TO ${TRIAL_SAVEPOINT}`);
      await target.execute(`RELEASE ${TRIAL_SAVEPOINT}`);
      if (!keep(rs)) throw refused();
      return rs;
    }
    const tx = await this.client.transaction('write');
    try {
      const rs = await tx.execute(statement);
      if (!keep(rs)) throw refused();
      await tx.commit();
      return rs;
    } finally {
      tx.close();
    }
  }

  /**
   * What a statement is. A SELECT is compiled (and its columns read) through `SELECT * FROM (…) LIMIT 0`. Anything
   * else is run with NULL parameters in a transaction (or savepoint) that is always rolled back — libSQL's local
   * driver leaves an `EXPLAIN` of a write unfinished on its connection, so `EXPLAIN` is not an option: a compile error
   * fails the prepare, and whether it returned columns says whether it is a reader.
   */
  async #prepare(target: Target, inTx: boolean, sql: string): Promise<StatementInfo> {
    const plan = statementPlan(sql);
    const first = plan.first;
    const nulls = new Array<null>(plan.count).fill(null);
    if (isReadOnlySql(first)) {
      const rs = await target.execute({ sql: `SELECT * FROM (\n${first}\n) LIMIT 0`, args: nulls });
      return { reader: true, readonly: true, columns: columnsOf(rs) };
    }
    if (/^\s*(PRAGMA|EXPLAIN)\b/i.test(first)) return { reader: true, readonly: /^\s*EXPLAIN\b/i.test(first), columns: [] };
    let reader = false;
    let columns: ColumnInfo[] = [];
    const compiled = new RapsqliteError(ErrorCodes.INTERNAL, 'rolled back on purpose');
    try {
      await this.#tentatively(
        target,
        inTx,
        { sql: first, args: nulls },
        (rs) => {
          reader = rs.columns.length > 0;
          columns = columnsOf(rs);
          return false;
        },
        () => compiled,
      );
    } catch (err) {
      if (err !== compiled) {
        const code = fromClientError(err, sql, false).code;
        // A constraint the NULL parameters broke (or a lock) still means the statement compiled.
        if (code === 'SQLITE_ERROR' || !code.startsWith('SQLITE_')) throw err;
        reader = /\bRETURNING\b/i.test(first);
      }
    }
    return { reader, readonly: false, columns };
  }

  /** One statement over many parameter sets, all or nothing: the client's batch, or a savepoint inside a transaction. */
  async #runMany(sql: string, sets: SqlValue[][], inTx: boolean, integers: IntegerMode): Promise<unknown> {
    if (sets.length === 0) return { changes: 0, lastInsertRowid: 0, count: 0 };
    const statements = sets.map((args) => ({ sql, args }));
    let results: ResultSet[];
    try {
      if (!inTx) results = await this.client.batch(statements, 'write');
      else {
        const tx = this.#target(true);
        await tx.execute(`SAVEPOINT ${MANY_SAVEPOINT}`);
        try {
          results = await tx.batch(statements);
        } catch (err) {
          await tx.execute(`ROLLBACK TO ${MANY_SAVEPOINT}`);
          await tx.execute(`RELEASE ${MANY_SAVEPOINT}`);
          throw err;
        }
        await tx.execute(`RELEASE ${MANY_SAVEPOINT}`);
      }
    } catch (err) {
      const index = (err as { statementIndex?: unknown }).statementIndex;
      const error = fromClientError(err, sql, !inTx);
      if (typeof index === 'number') Object.defineProperty(error, 'index', { value: index, enumerable: true });
      throw error;
    }
    let changes = 0;
    for (const rs of results) changes += rs.rowsAffected;
    const last = results[results.length - 1]?.lastInsertRowid;
    return { changes, lastInsertRowid: rowid(await this.#exactRowid(this.#target(inTx), last), integers), count: sets.length };
  }

  cancel(ticket: Ticket, error: RapsqliteError): void {
    const call = this.#calls.get(ticket.id);
    if (call === undefined || call.abandoned) return;
    call.abandoned = true;
    this.#calls.delete(call.id);
    // The client cannot stop what it sent: a write that may be running is of unknown outcome.
    const unknown = call.started && call.durable && !call.inTx;
    call.reject(unknown ? new RapsqliteError(ErrorCodes.OUTCOME_UNKNOWN, 'The write was sent before the call was cancelled: it may or may not have been committed', { sql: call.sql, cause: error }) : error);
  }

  interrupt(): boolean {
    return false;
  }

  cancelTransaction(error: RapsqliteError): void {
    for (const call of [...this.#calls.values()]) if (call.inTx) this.cancel({ id: call.id, cancelled: undefined }, error);
  }

  pin(): void {
    // Nothing to hold back: the client's connections are never replaced on purpose.
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#tail.catch(() => undefined);
      while (this.#calls.size > 0) await new Promise((resolve) => setTimeout(resolve, 2));
      this.#tx?.close();
      this.#tx = undefined;
      this.#cursors.clear();
      if (this.#settings.ownsClient) this.client.close();
    })();
    return this.#closing;
  }
}

function cells(rs: ResultSet, row: ResultSet['rows'][number] | undefined, integers: IntegerMode, sql: string): unknown[] {
  const width = rs.columns.length;
  const out = new Array<unknown>(width);
  for (let i = 0; i < width; i++) out[i] = value(row?.[i], integers, rs.columns[i] as string, sql);
  return out;
}

function columnsOf(rs: ResultSet): ColumnInfo[] {
  // The client reports declared types; origin tables and columns do not reach it.
  return rs.columns.map((name, i) => ({ name, type: rs.columnTypes[i] || null, table: null, column: null, database: null }));
}
