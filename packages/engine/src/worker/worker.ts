/**
 * The worker thread: owns one better-sqlite3 connection and answers batches of requests from its connection on
 * the main thread. Everything that touches SQLite happens here, never on the caller's thread.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { ErrorCodes } from '../errors/codes.ts';
import { loadCompanion, type Companion } from '../native/companion.ts';
import type { AuthorizerRules } from '../native/authorizer-rules.ts';
import { sqlParameters } from '../sql/parameter-names.ts';
import type { ColumnInfo } from '../types.ts';
import { loadDriver, type DriverDatabase, type DriverStatement } from './driver.ts';
import { CancelTable } from '../internal/cancel-table.ts';
import {
  IntMode,
  Op,
  REQUEST_SLOTS,
  Status,
  type FunctionSpec,
  type IntModeCode,
  type RowsPayload,
  type StatementInfo,
  type WireError,
  type WorkerConfig,
  type WorkerHello,
} from './protocol.ts';
import { scrubMessage } from './scrub.ts';
import { StatementCache } from './statement-cache.ts';

/** Rows of an `all` result above which the result moves in several messages (a huge message stalls its receiver). */
const ALL_CHUNK_ROWS = 2000;
/** After this long inside one batch, replies so far are sent, so fast answers do not wait behind a slow query. */
const FLUSH_AFTER_MS = 2;

class WorkerError extends Error {
  readonly code: string;
  readonly index: number | undefined;
  constructor(code: string, message: string, index?: number) {
    super(message);
    this.code = code;
    this.index = index;
  }
}

interface Entry {
  readonly stmt: DriverStatement;
  readonly sql: string;
  readonly reader: boolean;
  shape: number;
  /** The shape table's epoch when `shape` was assigned; a stale id is looked up again. */
  epoch: number;
  names: string[];
  params: ReadonlySet<string> | undefined;
  /** Uses `?NNN` parameters, which better-sqlite3 binds by name ("1", "2"…) rather than from an array. */
  readonly numbered: boolean;
}

interface Cursor {
  readonly entry: Entry;
  readonly it: IterableIterator<unknown>;
  readonly mode: IntModeCode;
  readonly chunkSize: number;
}

const port = parentPort;
if (port === null) throw new Error('rapsqlite: worker.ts must run in a worker thread');
const config = workerData as WorkerConfig;
const table = new CancelTable(config.cancelBuffer);
const MAX = BigInt(Number.MAX_SAFE_INTEGER);
const MIN = -MAX;

let db!: DriverDatabase;
let companion: Companion | undefined;
let slot = 0;
const cache = new StatementCache<Entry>(config.statementCacheSize);
/**
 * Result shapes (column lists) known to this worker. The caller's side keeps a row factory per shape id, so both are
 * bounded: past SHAPE_LIMIT distinct lists the table starts over (a new epoch), and names are sent again.
 */
const SHAPE_LIMIT = 1024;
const shapeIds = new Map<string, number>();
let shapeSent: boolean[] = [];
let shapeEpoch = 0;
const cursors = new Map<number, Cursor>();
let nextCursor = 1;

function shapeOf(names: string[]): number {
  // Column names are C strings: none contains NUL.
  const key = names.join('\u0000');
  let id = shapeIds.get(key);
  if (id === undefined) {
    if (shapeIds.size >= SHAPE_LIMIT) {
      shapeIds.clear();
      shapeSent = [];
      shapeEpoch++;
    }
    id = shapeIds.size;
    shapeIds.set(key, id);
  }
  return id;
}

function prepare(sql: string, cacheIt: boolean): Entry {
  const stmt = db.prepare(sql);
  const reader = stmt.reader;
  let names: string[] = [];
  if (reader) {
    stmt.raw(true);
    names = stmt.columns().map((c) => c.name);
  }
  const shape = reader ? shapeOf(names) : -1;
  const entry: Entry = { stmt, sql, reader, shape, epoch: shapeEpoch, names, params: undefined, numbered: NUMBERED.test(sql) };
  if (cacheIt) cache.set(sql, entry);
  return entry;
}

/** A cached statement, or a fresh one when the cached one is held by an open cursor. */
function statement(sql: string): Entry {
  const entry = cache.get(sql);
  if (entry === undefined) return prepare(sql, true);
  return entry.stmt.busy ? prepare(sql, false) : entry;
}

function isNamedParams(params: unknown): params is Record<string, unknown> {
  return typeof params === 'object' && params !== null && !Array.isArray(params) && !ArrayBuffer.isView(params);
}

/** Rejects keys the statement does not use: better-sqlite3 would ignore them, hiding a typo. */
function checkNamed(entry: Entry, params: Record<string, unknown>): void {
  const known = (entry.params ??= new Set(sqlParameters(entry.sql).named));
  for (const key in params) {
    if (!known.has(key)) {
      const hint = /^[:@$]/.test(key) ? ' (use the name without its prefix)' : '';
      throw new WorkerError(ErrorCodes.PARAMETER_UNKNOWN, `Unknown named parameter "${key}"${hint}`);
    }
  }
}

const NUMBERED = /\?\d/;

function bindArgs(entry: Entry, params: unknown): unknown[] {
  if (params === undefined) return [];
  if (isNamedParams(params)) checkNamed(entry, params);
  else if (entry.numbered && Array.isArray(params)) {
    const byNumber: Record<string, unknown> = {};
    for (let i = 0; i < params.length; i++) byNumber[i + 1] = params[i];
    return [byNumber];
  }
  return [params];
}

function requireReader(entry: Entry): void {
  if (!entry.reader) {
    throw new WorkerError(ErrorCodes.NOT_A_QUERY, 'This statement returns no rows: use run() or exec()');
  }
}

/** A bigint read from SQLite, as the integer mode wants it. */
function integer(value: bigint, mode: IntModeCode, column: string): number | bigint {
  if (mode === IntMode.bigint) return value;
  if (value <= MAX && value >= MIN) return Number(value);
  if (mode === IntMode.auto) return value;
  throw new WorkerError(
    ErrorCodes.INTEGER_OVERFLOW,
    `Column "${column}" holds an integer beyond ±(2^53−1); read it with { integers: 'bigint' } or 'auto'`,
  );
}

/** Converts integers in place in a flat array of `width`-column rows; reports whether any cell is a BLOB. */
function convertCells(cells: unknown[], width: number, mode: IntModeCode, names: string[]): 0 | 1 {
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

function rowsPayload(entry: Entry, rows: unknown[][], mode: IntModeCode): RowsPayload {
  const first = rows[0];
  if (first !== undefined && first.length !== entry.names.length) {
    // The schema changed under a cached statement (SELECT * after ALTER TABLE): read the names again.
    entry.names = entry.stmt.columns().map((c) => c.name);
    entry.shape = shapeOf(entry.names);
    entry.epoch = shapeEpoch;
  } else if (entry.epoch !== shapeEpoch) {
    entry.shape = shapeOf(entry.names);
    entry.epoch = shapeEpoch;
  }
  const width = entry.names.length;
  let values: unknown[];
  if (rows.length === 1) {
    values = first as unknown[];
  } else {
    // Built by push, not `new Array(n)`: a holey array takes the structured clone's slow, sparse path.
    values = [];
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r] as unknown[];
      for (let c = 0; c < width; c++) values.push(row[c]);
    }
  }
  const blobs = convertCells(values, width, mode, entry.names);
  const shape = entry.shape;
  let names: string[] | 0 = 0;
  if (shapeSent[shape] !== true) {
    shapeSent[shape] = true;
    names = entry.names;
  }
  return [shape, names, width, values, blobs];
}

function columnInfo(stmt: DriverStatement): ColumnInfo[] {
  return stmt.columns().map((c) => ({
    name: c.name,
    type: c.type,
    table: c.table,
    column: c.column,
    database: c.database,
  }));
}

function runResult(result: { changes: number; lastInsertRowid: number | bigint }, mode: IntModeCode) {
  const id = result.lastInsertRowid;
  // A rowid beyond 2^53 is returned as a bigint even in 'number' mode: failing after the write committed would be worse.
  const rowid = typeof id === 'bigint' && mode !== IntMode.bigint && id <= MAX && id >= MIN ? Number(id) : id;
  return [result.changes, rowid];
}

function readChunk(cursor: Cursor): [RowsPayload, 0 | 1] {
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
  return [rowsPayload(cursor.entry, rows, cursor.mode), done];
}

function closeCursor(id: number): void {
  const cursor = cursors.get(id);
  if (cursor === undefined) return;
  cursors.delete(id);
  cursor.it.return?.();
}

const SCHEMA_CHANGE = /^\s*(?:CREATE|DROP|ALTER)\b/i;

/** Marks errors thrown by user code (functions, aggregates), the only ones reported as `ERR_RAPSQLITE_USER_FUNCTION`. */
const USER_ERROR = Symbol('rapsqlite.userError');

function userError(err: unknown): unknown {
  const error = typeof err === 'object' && err !== null ? err : new Error(String(err));
  try {
    Object.defineProperty(error, USER_ERROR, { value: true });
  } catch {
    // A frozen object cannot be marked: it is reported as an internal failure rather than lost.
  }
  return error;
}

/** Wraps user code so that what it throws is known to come from it. */
function asUserCode(fn: unknown): unknown {
  if (typeof fn !== 'function') return fn;
  const target = fn as (...args: unknown[]) => unknown;
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    try {
      return target.apply(this, args);
    } catch (err) {
      throw userError(err);
    }
  };
  // better-sqlite3 takes a function's arity from its `length`.
  Object.defineProperty(wrapped, 'length', { value: target.length });
  return wrapped;
}

async function register(spec: FunctionSpec): Promise<void> {
  let target: unknown;
  try {
    const mod = (await import(spec.module)) as Record<string, unknown>;
    target = mod[spec.export];
  } catch (err) {
    throw new WorkerError(ErrorCodes.FUNCTION_LOAD, `Cannot import ${spec.module}: ${(err as Error).message}`);
  }
  // The connection reads integers as bigints (to convert them exactly); arguments follow the registration's choice.
  const options: Record<string, unknown> = { safeIntegers: spec.bigintArguments };
  if (spec.deterministic !== undefined) options['deterministic'] = spec.deterministic;
  if (spec.varargs !== undefined) options['varargs'] = spec.varargs;
  if (spec.directOnly !== undefined) options['directOnly'] = spec.directOnly;
  if (spec.kind === 'function') {
    if (typeof target !== 'function') {
      throw new WorkerError(ErrorCodes.FUNCTION_LOAD, `${spec.module} has no function export "${spec.export}"`);
    }
    if (spec.innocuous === true) {
      if (companion === undefined) throw new WorkerError(ErrorCodes.UNSUPPORTED, 'An innocuous function needs the native companion, which is not available');
      // better-sqlite3 cannot mark a function innocuous: it registers the JavaScript under an internal name, and the
      // companion registers the public name as an innocuous function that calls it.
      const impl = `rapsqlite_innocuous_${spec.name}`;
      db.function(impl, options, asUserCode(target) as (...args: unknown[]) => unknown);
      const arity = spec.varargs === true ? -1 : (target as (...args: unknown[]) => unknown).length;
      companion.registerInnocuous(slot, spec.name, impl, arity, spec.deterministic === true);
    } else {
      db.function(spec.name, options, asUserCode(target) as (...args: unknown[]) => unknown);
    }
  } else {
    if (typeof target !== 'object' || target === null || typeof (target as { step?: unknown }).step !== 'function') {
      throw new WorkerError(
        ErrorCodes.FUNCTION_LOAD,
        `${spec.module} export "${spec.export}" is not an aggregate ({ start?, step, inverse?, result? })`,
      );
    }
    const aggregate = target as Record<string, unknown>;
    const wrapped: Record<string, unknown> = { ...aggregate, ...options };
    for (const key of ['start', 'step', 'inverse', 'result']) if (typeof aggregate[key] === 'function') wrapped[key] = asUserCode(aggregate[key]);
    db.aggregate(spec.name, wrapped);
  }
}

/** Runs one synchronous request and returns its payload. */
function execute(op: number, sql: string, params: unknown, mode: IntModeCode, extra: unknown): unknown {
  switch (op) {
    case Op.get: {
      const entry = statement(sql);
      requireReader(entry);
      const row = entry.stmt.get(...bindArgs(entry, params)) as unknown[] | undefined;
      return row === undefined ? undefined : rowsPayload(entry, [row], mode);
    }
    case Op.run: {
      const entry = statement(sql);
      const result = runResult(entry.stmt.run(...bindArgs(entry, params)), mode);
      if (!entry.reader && SCHEMA_CHANGE.test(sql)) cache.clear();
      return result;
    }
    case Op.all: {
      const entry = statement(sql);
      requireReader(entry);
      return entry.stmt.all(...bindArgs(entry, params)) as unknown[][];
    }
    case Op.values: {
      const entry = statement(sql);
      requireReader(entry);
      const rows = entry.stmt.all(...bindArgs(entry, params)) as unknown[][];
      let blobs: 0 | 1 = 0;
      for (const row of rows) blobs = (convertCells(row, row.length, mode, entry.names) | blobs) as 0 | 1;
      return [columnInfo(entry.stmt), rows, blobs];
    }
    case Op.exec: {
      db.exec(sql);
      // A script may change the schema; cached statements would then report stale column names.
      cache.clear();
      return undefined;
    }
    case Op.runMany: {
      const entry = statement(sql);
      const list = params as unknown[];
      let changes = 0;
      let last: number | bigint = 0;
      let index = 0;
      const body = () => {
        for (; index < list.length; index++) {
          const result = entry.stmt.run(...bindArgs(entry, list[index]));
          changes += result.changes;
          last = result.lastInsertRowid;
        }
      };
      try {
        // Inside an open transaction better-sqlite3 uses a savepoint, so a failing runMany is still all-or-nothing.
        const tx = db.transaction(body);
        if (db.inTransaction) tx();
        else tx.immediate();
      } catch (err) {
        (err as { index?: number }).index = index;
        throw err;
      }
      const [, rowid] = runResult({ changes, lastInsertRowid: last }, mode);
      return [changes, rowid, list.length];
    }
    case Op.prepare: {
      const entry = statement(sql);
      const info: StatementInfo = {
        reader: entry.reader,
        readonly: entry.stmt.readonly,
        columns: entry.reader ? columnInfo(entry.stmt) : [],
      };
      return info;
    }
    case Op.iterOpen: {
      const entry = statement(sql);
      requireReader(entry);
      const it = entry.stmt.iterate(...bindArgs(entry, params));
      const cursor: Cursor = { entry, it, mode, chunkSize: extra as number };
      const id = nextCursor++;
      cursors.set(id, cursor);
      const [rows, done] = readChunk(cursor);
      if (done === 1) cursors.delete(id);
      return [id, rows, done];
    }
    case Op.iterNext: {
      const cursor = cursors.get(extra as number);
      if (cursor === undefined) throw new WorkerError(ErrorCodes.CLOSED, 'The cursor is closed');
      const [rows, done] = readChunk(cursor);
      if (done === 1) cursors.delete(extra as number);
      return [rows, done];
    }
    case Op.iterClose: {
      closeCursor(extra as number);
      return undefined;
    }
    case Op.authorize: {
      if (companion === undefined) throw new WorkerError(ErrorCodes.UNSUPPORTED, 'The authorizer needs the native companion, which is not available');
      companion.setAuthorizer(slot, (extra ?? null) as AuthorizerRules | null);
      // Statements prepared under the old rules must be checked again under the new ones.
      cache.clear();
      return undefined;
    }
    case Op.invalidate: {
      cache.clear();
      return undefined;
    }
    case Op.close: {
      for (const id of [...cursors.keys()]) closeCursor(id);
      cache.clear();
      db.close();
      return undefined;
    }
    default:
      throw new WorkerError(ErrorCodes.INTERNAL, `Unknown request ${op}`);
  }
}

/** better-sqlite3's own TypeErrors and RangeErrors, by message, mapped to stable codes. */
const DRIVER_ERRORS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^Too (few|many) parameter values were provided/, ErrorCodes.PARAMETER_COUNT],
  [/^Missing named parameter/, ErrorCodes.PARAMETER_MISSING],
  [/can only bind numbers, strings, bigints, buffers, and null/, ErrorCodes.PARAMETER_TYPE],
  [/BigInt value is too large|bound string, buffer, or bigint is too big/, ErrorCodes.PARAMETER_TYPE],
  [/^You cannot specify named parameters in two different objects/, ErrorCodes.PARAMETER_TYPE],
  [/^Cannot open database/, 'SQLITE_CANTOPEN'],
  [/^Named parameters can only be passed within plain objects/, ErrorCodes.PARAMETER_TYPE],
  [/does not return data/, ErrorCodes.NOT_A_QUERY],
  [/contains no statements/, ErrorCodes.INVALID_ARGUMENT],
  [/more than one statement/, ErrorCodes.INVALID_ARGUMENT],
  [/connection is not open/, ErrorCodes.CLOSED],
];

/**
 * An error as data for the caller's thread, its message scrubbed of the statement's bound values. Only what user
 * code threw is `ERR_RAPSQLITE_USER_FUNCTION`; an unexpected failure of the driver is `ERR_RAPSQLITE_INTERNAL`.
 */
function toWire(err: unknown, sql = '', params?: unknown): WireError {
  const e = err as { code?: unknown; message?: unknown; name?: unknown; index?: unknown };
  const index = typeof e?.index === 'number' ? e.index : undefined;
  const bound = index !== undefined && Array.isArray(params) ? params[index] : params;
  const message = scrubMessage(typeof e?.message === 'string' ? e.message : String(err), sql, bound);
  const base = index === undefined ? {} : { index };
  if (typeof e === 'object' && e !== null && USER_ERROR in e) {
    return { ...base, code: ErrorCodes.USER_FUNCTION, message, name: typeof e.name === 'string' ? e.name : 'Error' };
  }
  if (typeof e?.code === 'string') {
    return { ...base, code: e.code, message, name: e.code.startsWith('SQLITE_') ? 'SqliteError' : 'RapsqliteError' };
  }
  if (err instanceof TypeError || err instanceof RangeError) {
    for (const [pattern, code] of DRIVER_ERRORS) {
      if (pattern.test(message)) return { ...base, code, message, name: code.startsWith('SQLITE_') ? 'SqliteError' : 'RapsqliteError' };
    }
  }
  return { ...base, code: ErrorCodes.INTERNAL, message, name: 'RapsqliteError' };
}

let replies: unknown[] = [];

function flush(): void {
  if (replies.length === 0) return;
  port!.postMessage(replies);
  replies = [];
}

/** Processes a batch from `start`; returns a promise if it had to wait for an asynchronous request. */
// Prepared at open, before an authorizer is installed: SQLite authorizes statements when they are prepared.
let schemaVersion: DriverStatement | undefined;
let schemaTouch: DriverStatement | undefined;
let knownSchema: unknown;

/**
 * Forgets cached statements when another connection (a pool's writer, another process) changed the schema: SQLite
 * recompiles them by itself, but the column names cached with them would go stale (after a RENAME COLUMN, say).
 */
function checkSchema(): void {
  if (schemaVersion === undefined || schemaTouch === undefined) return;
  try {
    const version = schemaVersion.get();
    if (version !== knownSchema) {
      if (knownSchema !== undefined) {
        // The pragma reads the cookie but does not reload the connection's schema, against which new statements
        // compile; a statement that reads a table trips over the new cookie and makes SQLite reload it.
        schemaTouch.get();
        cache.clear();
      }
      knownSchema = version;
    }
  } catch {
    // The check must never take the worker down (SQLite may refuse to re-prepare these statements under a new
    // authorizer after a schema change): it stops, and statements keep the column names they were prepared with.
    schemaVersion = undefined;
  }
}

function processBatch(batch: unknown[], start: number): Promise<void> | undefined {
  let flushedAt = performance.now();
  if (start === 0) checkSchema();
  for (let i = start; i < batch.length; i += REQUEST_SLOTS) {
    const id = batch[i] as number;
    const op = batch[i + 1] as number;
    // Marked active before the cancel mark is read: the caller's thread writes the mark before it interrupts, so a
    // cancellation either finds the mark here or finds this request active and interrupts it.
    if (companion !== undefined) companion.setActive(slot, id);
    if (table.begin(id)) {
      if (companion !== undefined) companion.setActive(slot, 0);
      table.end(id, db.inTransaction);
      replies.push(id, Status.error, { code: ErrorCodes.ABORTED, message: 'Cancelled before it started', name: 'RapsqliteError' }, 0);
      continue;
    }
    if (op === Op.register) {
      flush();
      return register(batch[i + 5] as FunctionSpec).then(
        () => {
          table.end(id, db.inTransaction);
          replies.push(id, Status.ok, undefined, 0);
          flush();
          return processBatch(batch, i + REQUEST_SLOTS);
        },
        (err: unknown) => {
          table.end(id, db.inTransaction);
          replies.push(id, Status.error, toWire(err, '', undefined), 0);
          flush();
          return processBatch(batch, i + REQUEST_SLOTS);
        },
      );
    }
    const sql = batch[i + 2] as string;
    const mode = batch[i + 4] as IntModeCode;
    // better-sqlite3 refuses writes while an iterator is open; SQLite itself allows them. Unsafe mode is enabled
    // only around such a request, because it also turns off SQLite's defensive mode.
    const unsafe = cursors.size > 0 && op !== Op.iterNext && op !== Op.iterClose && op !== Op.close;
    if (unsafe) db.unsafeMode(true);
    const started = config.statementTiming ? performance.now() : 0;
    try {
      const payload = execute(op, sql, batch[i + 3], mode, batch[i + 5]);
      if (op === Op.all) {
        pushAll(id, sql, payload as unknown[][], mode, started);
      } else {
        replies.push(id, Status.ok, payload, elapsedNs(started));
      }
    } catch (err) {
      replies.push(id, Status.error, toWire(err, sql, batch[i + 3]), elapsedNs(started));
    } finally {
      if (companion !== undefined && op !== Op.close) companion.setActive(slot, 0);
      if (unsafe) db.unsafeMode(false);
      table.end(id, op !== Op.close && db.inTransaction);
    }
    const now = performance.now();
    if (now - flushedAt > FLUSH_AFTER_MS) {
      flush();
      flushedAt = now;
    }
  }
  flush();
  if (batch[batch.length - REQUEST_SLOTS + 1] === Op.close) port!.close();
  return undefined;
}

/**
 * Time spent in SQLite by the request that started at `started` (a `performance.now()` reading), in nanoseconds, when
 * statement timing is on: SQLite's own statement timings from the companion's trace hook, or else the worker's clock
 * around the driver call (which then includes better-sqlite3's row building). 0 when timing is off.
 */
function elapsedNs(started: number): number {
  if (!config.statementTiming) return 0;
  if (companion !== undefined) return companion.takeProfile(slot).totalNs;
  return Math.round((performance.now() - started) * 1e6);
}

/** Sends an `all` result, in several messages when it is large. */
function pushAll(id: number, sql: string, rows: unknown[][], mode: IntModeCode, started: number): void {
  const entry = cache.get(sql) ?? statement(sql);
  if (rows.length <= ALL_CHUNK_ROWS) {
    const payload = rowsPayload(entry, rows, mode);
    replies.push(id, Status.ok, payload, elapsedNs(started));
    return;
  }
  // Convert every chunk before sending any, so an integer overflow fails the call without a partial answer.
  const payloads: RowsPayload[] = [];
  for (let at = 0; at < rows.length; at += ALL_CHUNK_ROWS) {
    payloads.push(rowsPayload(entry, rows.slice(at, at + ALL_CHUNK_ROWS), mode));
  }
  flush();
  for (let k = 0; k < payloads.length - 1; k++) port!.postMessage([id, Status.partial, payloads[k], 0]);
  replies.push(id, Status.ok, payloads[payloads.length - 1], elapsedNs(started));
}

const inbox: unknown[][] = [];
let draining = false;

const SPIN_MS = config.spinMicros / 1000;

function drain(): void {
  draining = true;
  for (;;) {
    for (let batch = inbox.shift(); batch !== undefined; batch = inbox.shift()) {
      const pending = processBatch(batch, 0);
      if (pending !== undefined) {
        void pending.then(drain);
        return;
      }
    }
    if (SPIN_MS <= 0) break;
    // A caller awaiting one query at a time sends the next one right after our answer. Polling the port for a few
    // tens of microseconds picks it up without the cost of the thread falling asleep and being woken (measured here:
    // a bare round trip falls from ~24 µs to ~9 µs); an idle connection stops polling after SPIN_MS.
    const until = performance.now() + SPIN_MS;
    let next: { message: unknown } | undefined;
    while ((next = receiveMessageOnPort(port!)) === undefined && performance.now() < until);
    if (next === undefined) break;
    inbox.push(next.message as unknown[]);
  }
  draining = false;
}

/** Calls the `init` option's module export with the new connection. */
async function runInitModule(source: { readonly module: string; readonly export: string }): Promise<void> {
  let target: unknown;
  try {
    target = ((await import(source.module)) as Record<string, unknown>)[source.export];
  } catch (err) {
    throw new WorkerError(ErrorCodes.FUNCTION_LOAD, `Cannot import ${source.module}: ${(err as Error).message}`);
  }
  if (typeof target !== 'function') throw new WorkerError(ErrorCodes.FUNCTION_LOAD, `${source.module} has no function export "${source.export}"`);
  const connection = Object.freeze({
    path: config.path,
    readonly: config.readonly,
    exec: (sql: string): void => void db.exec(sql),
    all: (sql: string, ...params: unknown[]) => db.prepare(sql).all(...params) as Array<Record<string, unknown>>,
    run: (sql: string, ...params: unknown[]): void => void db.prepare(sql).run(...params),
  });
  try {
    await (target as (connection: unknown) => unknown)(connection);
  } catch (err) {
    throw userError(err);
  }
}

async function init(): Promise<void> {
  const Driver = loadDriver();
  db = new Driver(config.path, { readonly: config.readonly, timeout: config.busyTimeoutMs });
  db.defaultSafeIntegers(true);
  // Schemas are not trusted: a malicious schema cannot call functions with side effects from views or triggers.
  db.pragma('trusted_schema = OFF');
  if (config.journalMode !== undefined && !config.readonly) db.pragma(`journal_mode = ${config.journalMode}`);
  // better-sqlite3 reopens an existing WAL file at NORMAL without saying so; the level is always set explicitly.
  db.pragma(`synchronous = ${config.synchronous}`);
  db.pragma(`foreign_keys = ${config.foreignKeys ? 'ON' : 'OFF'}`);
  for (const pragma of config.pragmas) db.pragma(pragma);
  for (const sql of config.init) db.exec(sql);
  if (config.initModule !== undefined) await runInitModule(config.initModule);
  schemaVersion = db.prepare('PRAGMA schema_version').pluck();
  schemaTouch = db.prepare('SELECT 1 FROM sqlite_schema LIMIT 1').pluck();
  if (config.companion) {
    companion = loadCompanion();
    if (companion !== undefined) {
      db.loadExtension(companion.extensionPath, companion.entryPoint);
      slot = Number(db.prepare(companion.slotSql).pluck().get());
    }
  }
  if (config.authorizer !== undefined && config.authorizer !== null) {
    if (companion === undefined) throw new WorkerError(ErrorCodes.UNSUPPORTED, 'The authorizer needs the native companion, which is not available');
    companion.setAuthorizer(slot, config.authorizer as AuthorizerRules);
  }
  for (const spec of config.functions) await register(spec);
}

init().then(
  () => {
    port.on('message', (batch: unknown[]) => {
      inbox.push(batch);
      if (!draining) drain();
    });
    port.postMessage({ type: 'ready', slot: companion === undefined ? undefined : slot } satisfies WorkerHello);
  },
  (err: unknown) => {
    port.postMessage({ type: 'init-error', error: toWire(err) } satisfies WorkerHello);
    try {
      db?.close();
    } catch {
      // The connection may never have opened; nothing else to release.
    }
    port.close();
  },
);
