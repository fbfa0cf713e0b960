import { AsyncLocalStorage } from 'node:async_hooks';
import diagnostics from 'node:diagnostics_channel';
import type { Step } from '../middleware/middleware.ts';
import type { ConnectionInfo, Operation, OperationKind, TransactionInfo, TransactionOperation } from '../middleware/operation.ts';
import { changedRows, returnedRows, SqlMemo, watchIterator } from '../middleware/plugin-support.ts';
import { summarizeSql } from '../sql/summarize.ts';
import type { TransactionMode } from '../types.ts';

/**
 * The names rapsqlite publishes on in Node's `diagnostics_channel`, in the `rapsqlite:` namespace:
 * - `query` is a `TracingChannel` for every statement sent to the database (`exec`, `run`, `runMany`, `get`, `all`,
 *   `values`, `iterate`, `prepare`, and the BEGIN, COMMIT, ROLLBACK and savepoint statements that frame
 *   transactions): its channels are `tracing:rapsqlite:query:start`, `:end`, `:asyncStart`, `:asyncEnd` and `:error`;
 * - `transaction` is a `TracingChannel` for a whole transaction (or savepoint), from BEGIN to COMMIT or ROLLBACK,
 *   around its callback;
 * - `pool` is the prefix of the plain channels a pool publishes its events on: `rapsqlite:pool:acquire`,
 *   `rapsqlite:pool:release`, `rapsqlite:pool:create`, `rapsqlite:pool:replace`, `rapsqlite:pool:leak`…
 */
export const CHANNELS = Object.freeze({
  query: 'rapsqlite:query',
  transaction: 'rapsqlite:transaction',
  pool: 'rapsqlite:pool:',
} as const);

/**
 * The message of the `rapsqlite:query` tracing channel: one object per statement, the same at every event, so a
 * subscriber can keep its own state on it (a span) from `start` to `asyncEnd`. Fields after `connection` are filled
 * in as the statement ends.
 */
export interface QueryMessage {
  /** The operation as the middleware chain carries it (its `params`, `options`, `attributes`). Treat as read-only. */
  readonly operation: Operation;
  /** The kind of statement: `'get'`, `'run'`, `'begin'`, `'commit'`… */
  readonly kind: OperationKind;
  /** The SQL text as sent (after any middleware rewrote it). It may hold inline literals: sanitize before export. */
  readonly sql: string;
  /** `db.query.summary` of the text (`'SELECT users'`), `''` when none; `BATCH …` for a `runMany` of 0 or 2+ sets. */
  readonly summary: string;
  /** For a `runMany`: the number of parameter sets (`db.operation.batch.size`); undefined for other kinds. */
  readonly batchSize: number | undefined;
  /** The transaction the statement belongs to (its `id` groups statements), undefined outside one. */
  readonly transaction: TransactionInfo | undefined;
  /** The connection that ran it (role, id, path: the database file); set by `end` on a single connection, by `asyncEnd` on a pool. */
  connection: ConnectionInfo | undefined;
  /** The result, at `asyncEnd` (for `iterate`: the row iterator). */
  result?: unknown;
  /** The failure, at `error` (the error's `code` is SQLite's extended code or an `ERR_RAPSQLITE_*` one). */
  error?: unknown;
  /** Rows returned (`get`, `all`, `values`; rows delivered for `iterate`), at `asyncEnd`. */
  rows?: number;
  /** Rows changed (`run`, `runMany`), at `asyncEnd`. */
  changes?: number;
}

/** The message of the `rapsqlite:transaction` tracing channel: one per transaction or savepoint. */
export interface TransactionMessage {
  readonly operation: TransactionOperation;
  /** How the outermost transaction begins. */
  readonly mode: TransactionMode;
  /** 0 for BEGIN, 1 and more for a savepoint. */
  readonly depth: number;
  /** A read-only transaction (a pool runs it on a reader). */
  readonly readonly: boolean;
  /** The enclosing transaction of a savepoint; undefined for an outermost transaction. */
  readonly parent: TransactionInfo | undefined;
  /**
   * The transaction's own identity (its `id` is the one its statements carry in {@link QueryMessage.transaction}),
   * known once its BEGIN has been published; undefined if BEGIN never ran.
   */
  transaction: TransactionInfo | undefined;
  /** The connection the transaction held, at `asyncEnd`. */
  connection: ConnectionInfo | undefined;
  /** The callback's value, at `asyncEnd` after a COMMIT. */
  result?: unknown;
  /** Why it rolled back (or why its COMMIT failed), at `error`. */
  error?: unknown;
}

type Channel<M extends object> = diagnostics.TracingChannel<M, M>;

const queryChannel: Channel<QueryMessage> = diagnostics.tracingChannel(CHANNELS.query);
const transactionChannel: Channel<TransactionMessage> = diagnostics.tracingChannel(CHANNELS.transaction);

/** Summaries are computed only for subscribers, and once per distinct text. */
const summaries = new SqlMemo<string>(summarizeSql);

/** The message of the traced transaction whose BEGIN has not run yet, in its async context (only with subscribers). */
const openTransaction = new AsyncLocalStorage<TransactionMessage>();

function queryMessage(op: Exclude<Operation, TransactionOperation>): QueryMessage {
  let summary = summaries.get(op.sql);
  let batchSize: number | undefined;
  if (op.kind === 'runMany' && op.paramsList.length !== 1) {
    batchSize = op.paramsList.length;
    summary = summary === '' ? 'BATCH' : `BATCH ${summary}`;
  }
  return { operation: op, kind: op.kind, sql: op.sql, summary, batchSize, transaction: op.transaction, connection: op.connection };
}

function settle<M extends QueryMessage | TransactionMessage>(channel: Channel<M>, message: M, op: Operation, error: unknown, failed: boolean): void {
  message.connection = op.connection;
  if (failed) {
    message.error = error;
    channel.error.publish(message);
  }
  channel.asyncStart.publish(message);
  channel.asyncEnd.publish(message);
}

function traceQuery(op: Exclude<Operation, TransactionOperation>, step: Step): Promise<unknown> {
  const message = queryMessage(op);
  return queryChannel.start.runStores(message, () => {
    let pending: Promise<unknown>;
    try {
      pending = step(op);
    } catch (err) {
      // A step rejects rather than throws, by contract; this keeps the events paired if one does not.
      pending = Promise.reject(err);
    }
    message.connection = op.connection;
    queryChannel.end.publish(message);
    return pending.then(
      (result: unknown) => {
        if (op.kind === 'iterate') {
          // The statement ends with its iteration: the events follow the rows, as a span of it would.
          const rows = watchIterator(result as AsyncIterator<unknown>, (count, error) => {
            message.rows = count;
            settle(queryChannel, message, op, error, error !== undefined);
          });
          message.result = rows;
          return rows;
        }
        message.result = result;
        const rows = returnedRows(op.kind, result);
        if (rows !== undefined) message.rows = rows;
        const changes = changedRows(op.kind, result);
        if (changes !== undefined) message.changes = changes;
        settle(queryChannel, message, op, undefined, false);
        return result;
      },
      (error: unknown) => {
        settle(queryChannel, message, op, error, true);
        throw error;
      },
    );
  });
}

function traceTransaction(op: TransactionOperation, step: Step): Promise<unknown> {
  const message: TransactionMessage = {
    operation: op,
    mode: op.mode,
    depth: op.depth,
    readonly: op.readonly,
    parent: op.transaction,
    transaction: undefined,
    connection: undefined,
  };
  return transactionChannel.start.runStores(message, () => {
    let pending: Promise<unknown>;
    try {
      pending = openTransaction.run(message, step, op);
    } catch (err) {
      pending = Promise.reject(err);
    }
    message.connection = op.connection;
    transactionChannel.end.publish(message);
    return pending.then(
      (result: unknown) => {
        message.result = result;
        settle(transactionChannel, message, op, undefined, false);
        return result;
      },
      (error: unknown) => {
        settle(transactionChannel, message, op, error, true);
        throw error;
      },
    );
  });
}

/**
 * Wraps a step of the middleware chain (the engine's terminal, or a middleware's `next`) so that each operation is
 * published on the `rapsqlite:query` or `rapsqlite:transaction` tracing channel. With nobody subscribed it returns
 * what the step returns, after one `hasSubscribers` check: no message, no closure, no promise of its own.
 *
 * Events follow Node's `TracingChannel` contract: `start` (in the caller's async context, with the stores bound to
 * it entered for the rest of the operation, so an APM's active span is the parent of anything the operation does,
 * a transaction's callback included), `end` once the operation is under way, then `error` on failure, then
 * `asyncStart` and `asyncEnd` when it settled — for `iterate`, when its iteration ended.
 */
export function traceStep(step: Step): Step {
  return (op: Operation): Promise<unknown> => {
    if (op.kind === 'transaction') {
      return transactionChannel.hasSubscribers ? traceTransaction(op, step) : step(op);
    }
    // The transaction operation does not carry its own identity (its statements do): its BEGIN or SAVEPOINT, sent
    // in its async context, names it.
    if ((op.kind === 'begin' || op.kind === 'savepoint') && transactionChannel.hasSubscribers) {
      const message = openTransaction.getStore();
      if (message !== undefined && message.transaction === undefined) message.transaction = op.transaction;
    }
    return queryChannel.hasSubscribers ? traceQuery(op, step) : step(op);
  };
}

/**
 * Publishes a pool event on the plain channel `rapsqlite:pool:<event>`, building its message only when someone
 * subscribes. For connection providers: `@rapsqlite/pool` publishes every event of its `PoolEventMap` this way.
 */
export function publishPoolEvent(event: string, message: () => object): void {
  const channel = poolChannel(event);
  if (channel.hasSubscribers) channel.publish(message());
}

const poolChannels = new Map<string, diagnostics.Channel>();

function poolChannel(event: string): diagnostics.Channel {
  let channel = poolChannels.get(event);
  if (channel === undefined) {
    channel = diagnostics.channel(`${CHANNELS.pool}${event}`);
    poolChannels.set(event, channel);
  }
  return channel;
}
