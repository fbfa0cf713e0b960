import type { Connection, ConnectionLease, ConnectionRequest, RequestKind, Ticket } from '../connection/connection.ts';
import { RemoteCursor } from '../connection/cursor.ts';
import { abortedError, closedError, timeoutError } from '../errors/catalogue.ts';
import type { RapsqliteError } from '../errors/rapsqlite-error.ts';
import type { Execute } from '../middleware/middleware.ts';
import type { IterateOperation, Operation, OperationKind } from '../middleware/operation.ts';
import { SqlMemo } from '../middleware/plugin-support.ts';
import { isReadOnlySql } from '../sql/classify.ts';
import type { ColumnInfo, QueryOptions, Row, ValuesResult } from '../types.ts';
import type { Core } from './core.ts';
import { convertValues, encodeParams, encodeParamsList, readPlan, rowsBuilder, valuesConverters, type ReadPlan } from './tools.ts';
import { currentLease, runTransaction, transactionOf, txError, type TxState } from './transaction.ts';

/**
 * The operation attribute where the engine records the nanoseconds a statement spent inside SQLite, when the database
 * was opened with `statementTiming: true`. The rest of the call's duration is queueing and the thread hop.
 */
export const SQLITE_TIME_ATTRIBUTE = 'rapsqlite.sqliteTimeNs';

/**
 * Rows per message of a cursor without `chunkSize`. 1 024 rather than 256: a full scan took 0.88× the time on a quiet
 * machine and 0.77–0.79× on a loaded one (interleaved runs), for at most two chunks in memory.
 */
const DEFAULT_CHUNK = 1024;
const CONTROL_KINDS: ReadonlySet<OperationKind> = new Set(['begin', 'commit', 'rollback', 'savepoint', 'release', 'rollbackTo']);
const WRITE_KINDS: ReadonlySet<OperationKind> = new Set(['run', 'runMany', 'exec', 'begin', 'commit', 'rollback', 'savepoint', 'release', 'rollbackTo']);

/** Whether SQL text is certainly read-only, remembered per text (a pool asks for every read it routes). */
const readOnly = new SqlMemo<boolean>(isReadOnlySql, 4000);

/** Where an operation may run, as far as its SQL text tells on the caller's thread. */
function accessOf(op: Operation): 'read' | 'write' {
  if (WRITE_KINDS.has(op.kind)) return 'write';
  return readOnly.get(op.sql) ? 'read' : 'write';
}

/**
 * The end of every handle's middleware chain: asks the provider for a connection (or uses the transaction's), sends
 * the operation's request to it, and fills in `op.connection`. `chain` gives the handle's chain as it is now, which
 * a transaction captures when it begins.
 */
export function terminal(core: Core, op: Operation, chain: () => Execute): Promise<unknown> {
  try {
    const tx = transactionOf(op.transaction, op.sql);
    if (op.kind === 'transaction') return runTransaction(core, op, tx, chain());
    if (op.kind === 'iterate') return openCursor(core, op, tx);
    return statement(core, op, tx);
  } catch (err) {
    return Promise.reject(err);
  }
}

/**
 * The request an operation sends: its parameters encoded by the query tools when they need it (array parameters,
 * adapters) and checked on the caller's thread, so the error points at the call. A read whose rows need their
 * columns' metadata (converters, row shapes; `plan.cells`) asks for cells: a `values` request, stepped once for `get`.
 */
function requestOf(core: Core, op: Exclude<Operation, IterateOperation | { kind: 'transaction' }>, plan: ReadPlan | undefined): ConnectionRequest {
  const integers = op.options.integers ?? core.settings.integers;
  switch (op.kind) {
    case 'run':
    case 'get':
    case 'all':
    case 'values':
    case 'prepare': {
      const { sql, params } = encodeParams(core, op.sql, op.params, op.options);
      if (plan?.cells === true) return { kind: 'values', sql, params, integers, extra: op.kind === 'get' ? 1 : 0 };
      return { kind: op.kind, sql, params, integers };
    }
    case 'runMany': {
      const { sql, params } = encodeParamsList(core, op.sql, op.paramsList, op.options);
      return { kind: 'runMany', sql, params, integers };
    }
    case 'exec':
      return { kind: 'exec', sql: op.sql };
    default:
      // BEGIN, COMMIT, ROLLBACK and the savepoint statements.
      return { kind: 'run' as RequestKind, sql: op.sql } as ConnectionRequest;
  }
}

/** What the terminal does to a read's result before the chain sees it: converters, the row shape, `map`. */
function finisher(core: Core, op: Exclude<Operation, IterateOperation | { kind: 'transaction' }>, plan: ReadPlan | undefined): ((result: unknown) => unknown) | undefined {
  if (op.kind === 'values') {
    const converters = valuesConverters(core, op.options);
    if (converters === undefined) return undefined;
    const integers = op.options.integers ?? core.settings.integers;
    return (result) => {
      const { columns, rows } = result as ValuesResult;
      convertValues(columns, rows, converters, integers);
      return result;
    };
  }
  if (plan === undefined) return undefined;
  const first = op.kind === 'get';
  if (plan.cells) {
    return (result) => {
      const { columns, rows } = result as ValuesResult;
      const build = rowsBuilder(columns, plan);
      // A connection that does not step a `values` request once for `get` still answers with every row: the first counts.
      return first ? (rows.length === 0 ? undefined : build(rows.slice(0, 1))[0]) : build(rows);
    };
  }
  const map = plan.shape.map as (row: unknown) => unknown;
  return first ? (row) => (row === undefined ? undefined : map(row)) : (rows) => (rows as unknown[]).map((row) => map(row));
}

/** The call's options with the database's default deadline, for a call that sets none (never for BEGIN/COMMIT). */
function withDefaults(core: Core, options: QueryOptions, framing: boolean): QueryOptions {
  const fallback = core.settings.timeoutMs;
  if (framing || fallback === undefined || options.timeoutMs !== undefined) return options;
  return { ...options, timeoutMs: fallback };
}

function statement(core: Core, op: Exclude<Operation, IterateOperation | { kind: 'transaction' }>, tx: TxState | undefined): Promise<unknown> {
  const plan = op.kind === 'get' || op.kind === 'all' ? readPlan(core, op.options, op.options.integers ?? core.settings.integers) : undefined;
  const request = requestOf(core, op, plan);
  const finish = finisher(core, op, plan);
  const sent = send(core, op, tx, request);
  return finish === undefined ? sent : sent.then(finish);
}

function send(core: Core, op: Exclude<Operation, IterateOperation | { kind: 'transaction' }>, tx: TxState | undefined, request: ConnectionRequest): Promise<unknown> {
  const framing = CONTROL_KINDS.has(op.kind);
  const options = withDefaults(core, op.options, framing);
  if (tx !== undefined) {
    const error = txError(tx, op.sql, framing);
    if (error !== undefined) return Promise.reject(error);
    const connection = tx.lease.connection;
    op.connection = connection.info;
    return run(core, connection, { ...request, inTransaction: true }, op, options);
  }
  const provider = core.provider;
  if (provider.closing) return Promise.reject(closedError('database', op.sql));
  const acquired = provider.acquire({
    kind: op.kind,
    sql: op.sql,
    exclusive: false,
    access: provider.routes ? accessOf(op) : 'write',
    options,
    held: currentLease(),
  });
  if (acquired instanceof Promise) return acquired.then((lease) => onLease(core, lease, request, op, options));
  return onLease(core, acquired, request, op, options);
}

function onLease(core: Core, lease: ConnectionLease, request: ConnectionRequest, op: Operation, options: QueryOptions): Promise<unknown> {
  op.connection = lease.connection.info;
  const result = run(core, lease.connection, request, op, lease.options ?? options);
  if (!core.provider.tracksCalls) return result;
  const provider = core.provider;
  return result.then(
    (value) => {
      provider.release(lease);
      return value;
    },
    (error: unknown) => {
      provider.release(lease, error ?? new Error('undefined was thrown'));
      throw error;
    },
  );
}

/**
 * Sends a request that an `AbortSignal` or a deadline may cancel: one that has not started never runs; one that runs
 * is interrupted (see docs/cancellation.md for every case).
 */
function run(core: Core, connection: Connection, request: ConnectionRequest, op: Operation, options: QueryOptions): Promise<unknown> {
  const signal = options.signal;
  const timeoutMs = options.timeoutMs;
  const timing = core.settings.statementTiming;
  if (signal === undefined && timeoutMs === undefined && !timing) return connection.execute(request);
  if (signal?.aborted === true) return Promise.reject(abortedError(signal.reason, request.sql));
  const ticket: Ticket = { id: 0, cancelled: undefined, sqliteNs: 0 };
  const sent = connection.execute({ ...request, ticket });
  const measured = timing ? sent.finally(() => (op.attributes[SQLITE_TIME_ATTRIBUTE] = ticket.sqliteNs)) : sent;
  if (signal === undefined && timeoutMs === undefined) return measured;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (): boolean => {
      if (settled) return false;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (timer !== undefined) clearTimeout(timer);
      return true;
    };
    const cancel = (error: RapsqliteError): void => connection.cancel(ticket, error);
    const onAbort = (): void => cancel(abortedError(signal?.reason, request.sql));
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => cancel(timeoutError(timeoutMs, request.sql)), timeoutMs);
    measured.then(
      (value) => finish() && resolve(value),
      (error: unknown) => finish() && reject(error),
    );
  });
}

async function openCursor(core: Core, op: IterateOperation, tx: TxState | undefined): Promise<AsyncIterableIterator<Row>> {
  const integers = op.options.integers ?? core.settings.integers;
  const plan = readPlan(core, op.options, integers);
  const { sql, params } = encodeParams(core, op.sql, op.params, op.options);
  const chunkSize = op.options.chunkSize ?? DEFAULT_CHUNK;
  const options = withDefaults(core, op.options, false);
  const provider = core.provider;
  let lease: ConnectionLease | undefined;
  let connection: Connection;
  if (tx !== undefined) {
    const error = txError(tx, op.sql, false);
    if (error !== undefined) throw error;
    connection = tx.lease.connection;
  } else {
    if (provider.closing) throw closedError('database', op.sql);
    const acquired = provider.acquire({ kind: 'iterate', sql: op.sql, exclusive: false, access: provider.routes ? accessOf(op) : 'write', options, held: currentLease() });
    lease = acquired instanceof Promise ? await acquired : acquired;
    connection = lease.connection;
  }
  op.connection = connection.info;
  const inTransaction = tx !== undefined;
  const callOptions = lease?.options ?? options;
  const release = (error?: unknown): void => {
    if (lease !== undefined && provider.tracksCalls) provider.release(lease, error);
  };
  type Chunk = { cursor: number; rows: Row[]; done: boolean; columns?: ColumnInfo[] };
  let first: Chunk;
  // A cursor whose rows need their columns (converters, row shapes) asks for cells and the columns' metadata.
  const extra = plan?.cells === true ? [chunkSize, 1] : chunkSize;
  try {
    first = (await run(core, connection, { kind: 'iterOpen', sql, params, integers, extra, inTransaction }, op, callOptions)) as Chunk;
  } catch (err) {
    release(err ?? new Error('undefined was thrown'));
    throw err;
  }
  const rawFetch = (id: number) =>
    run(core, connection, { kind: 'iterNext', sql, integers, extra: id, inTransaction }, op, callOptions) as Promise<{ rows: Row[]; done: boolean }>;
  let fetch = rawFetch;
  if (plan !== undefined) {
    // Rows are shaped a chunk at a time as chunks arrive; a converter's error surfaces when the loop reaches its chunk.
    // A connection of another kind may not send cells (it answers with object rows and no columns): the rows are then
    // read back by name, and only converters by column name apply (no declared types).
    const cells = first.columns !== undefined;
    const build = rowsBuilder(first.columns ?? objectColumns(first.rows[0]), plan, plan.cells && !cells);
    try {
      first = { ...first, rows: build(first.rows) as Row[] };
    } catch (err) {
      if (!first.done) await connection.execute({ kind: 'iterClose', sql: '', extra: first.cursor }).catch(() => undefined);
      release(err);
      throw err;
    }
    fetch = (id) => rawFetch(id).then((chunk) => ({ rows: build(chunk.rows) as Row[], done: chunk.done }));
  }
  let cursor: RemoteCursor | undefined = undefined;
  // The constructor calls onClose at once for a result that fits in its first chunk, before `cursor` is assigned.
  cursor = new RemoteCursor(connection, first.cursor, first, fetch, () => {
    if (cursor !== undefined) tx?.cursors.delete(cursor);
    release();
  });
  if (tx !== undefined && !first.done) tx.cursors.add(cursor);
  return cursor;
}

/** Columns named after an object row's keys, without metadata: for a connection that sends no cells. */
function objectColumns(row: Row | undefined): ColumnInfo[] {
  return Object.keys(row ?? {}).map((name) => ({ name, type: null, table: null, column: null, database: null }));
}
