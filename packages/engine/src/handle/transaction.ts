import { AsyncLocalStorage } from 'node:async_hooks';
import type { ConnectionLease } from '../connection/connection.ts';
import type { RemoteCursor } from '../connection/cursor.ts';
import { abortedError, closedError, invalidArgument, timeoutError, transactionClosedError } from '../errors/catalogue.ts';
import { ErrorCodes } from '../errors/codes.ts';
import { RapsqliteError } from '../errors/rapsqlite-error.ts';
import type { Execute } from '../middleware/middleware.ts';
import type { ControlKind, TransactionInfo, TransactionOperation } from '../middleware/operation.ts';
import type { QueryOptions } from '../types.ts';
import type { Core } from './core.ts';
import { QueryableBase } from './queryable-base.ts';
import type { Transaction } from './queryable.ts';

const NO_OPTIONS: QueryOptions = Object.freeze({});
let nextTransactionId = 1;

/** The state of one transaction (or savepoint), found from the `transaction` info its operations carry. */
export interface TxState {
  readonly lease: ConnectionLease;
  readonly info: TransactionInfo;
  /** False once the callback settled: its `tx` handle then refuses calls (a savepoint's closes before its parent's). */
  active: boolean;
  /** Cursors opened inside the transaction, closed when it ends. */
  readonly cursors: Set<RemoteCursor>;
  /** Why the transaction was cancelled (its signal or deadline), reported to the callback's later calls. */
  abortError?: RapsqliteError;
  /** The rollback still running after a cancelled transaction rejected; the lease is released when it ends. */
  cleanup?: Promise<void>;
}

/** Lets the terminal find a transaction's state from the info object that operations carry (copies of an op keep it). */
const transactions = new WeakMap<TransactionInfo, TxState>();

/** The lease of the transaction whose callback the current async context runs in: a call that waits for it never ends. */
const heldLease = new AsyncLocalStorage<ConnectionLease>();

/** The exclusive lease the calling code runs inside, if any (for the provider's deadlock check and read-your-writes). */
export function currentLease(): ConnectionLease | undefined {
  return heldLease.getStore();
}

/** The state of the transaction an operation names; an unknown one is refused. */
export function transactionOf(info: TransactionInfo | undefined, sql: string): TxState | undefined {
  if (info === undefined) return undefined;
  const state = transactions.get(info);
  if (state === undefined) throw invalidArgument('The operation names a transaction this database did not start', sql);
  return state;
}

/** The {@link Transaction} a callback receives. */
class TransactionHandle extends QueryableBase implements Transaction {
  readonly #state: TxState;
  readonly #chain: Execute;

  /** @internal */
  constructor(core: Core, state: TxState, chain: Execute) {
    super(core, state.info);
    this.#state = state;
    this.#chain = chain;
  }

  /** @internal */
  protected chain(): Execute {
    return this.#chain;
  }

  /** This transaction's identity: id, depth (0 for the outermost, more for savepoints) and mode. */
  get info(): TransactionInfo {
    return this.#state.info;
  }

  /** True until the callback settles. */
  get active(): boolean {
    return this.#state.active && this.#state.lease.active;
  }
}

/** Why a statement of transaction `tx` cannot run now, if it cannot. */
export function txError(tx: TxState, sql: string, framing: boolean): RapsqliteError | undefined {
  if (tx.lease.generation !== tx.lease.connection.generation) {
    return new RapsqliteError(ErrorCodes.WORKER_DIED, 'The worker died during the transaction; SQLite rolled it back', { sql });
  }
  // BEGIN/COMMIT/ROLLBACK run around the callback, so they only need the lease, not a live callback.
  if (!framing && tx.abortError !== undefined) return tx.abortError;
  if (framing ? !tx.lease.active : !tx.active) return transactionClosedError(sql);
  return undefined;
}

/**
 * Runs a whole transaction: takes a connection for it (the provider picks the writer, or a reader for a read-only
 * one), then BEGIN, the callback and COMMIT, rolling back on failure. A nested one is a SAVEPOINT on its parent's.
 */
export async function runTransaction(core: Core, op: TransactionOperation, parent: TxState | undefined, chain: Execute): Promise<unknown> {
  const provider = core.provider;
  if (parent !== undefined) {
    const error = txError(parent, op.sql, false);
    if (error !== undefined) throw error;
    op.connection = parent.lease.connection.info;
    return frame(core, op, newState(parent.lease, op, op.depth), chain);
  }
  if (provider.closing) throw closedError('database', op.sql);
  const acquired = provider.acquire({
    kind: 'transaction',
    sql: op.sql,
    exclusive: true,
    access: op.readonly ? 'read' : 'write',
    options: op.options,
    held: heldLease.getStore(),
  });
  const lease = acquired instanceof Promise ? await acquired : acquired;
  op.connection = lease.connection.info;
  const state = newState(lease, op, 0);
  let failure: unknown;
  try {
    return await heldLease.run(lease, () => frame(core, op, state, chain, lease.options));
  } catch (err) {
    failure = err ?? new Error('undefined was thrown');
    throw err;
  } finally {
    if (state.cleanup === undefined) provider.release(lease, failure);
    else void state.cleanup.finally(() => provider.release(lease, failure));
  }
}

function newState(lease: ConnectionLease, op: TransactionOperation, depth: number): TxState {
  const state: TxState = { lease, info: Object.freeze({ id: nextTransactionId++, depth, mode: op.mode }), active: true, cursors: new Set() };
  transactions.set(state.info, state);
  return state;
}

/** Runs BEGIN (or SAVEPOINT), the callback, then COMMIT (or RELEASE), rolling back when the callback or the commit fails. */
async function frame(core: Core, op: TransactionOperation, state: TxState, chain: Execute, adjusted?: QueryOptions): Promise<unknown> {
  const nested = op.depth > 0;
  const name = `rapsqlite_${op.depth}`;
  const connection = state.lease.connection;
  const control = (kind: ControlKind, sql: string): Promise<unknown> =>
    chain({ kind, sql, options: NO_OPTIONS, transaction: state.info, connection: undefined, attributes: {} });
  const rollback = async (): Promise<void> => {
    // After the worker died there is nothing to roll back: SQLite discarded the uncommitted transaction.
    if (state.lease.generation !== connection.generation) return;
    try {
      if (nested) {
        await control('rollbackTo', `ROLLBACK TO ${name}`);
        await control('release', `RELEASE ${name}`);
      } else {
        await control('rollback', 'ROLLBACK');
      }
    } catch {
      // The original error matters more; SQLite may already have rolled back by itself (SQLITE_FULL, SQLITE_IOERR…).
    }
  };
  await control(nested ? 'savepoint' : 'begin', op.sql);
  let result: unknown;
  const deadline = transactionDeadline(adjusted ?? op.options, op.sql, state);
  try {
    const body = Promise.resolve().then(() => (op.callback as (tx: Transaction) => unknown)(new TransactionHandle(core, state, chain)));
    if (deadline === undefined) {
      result = await body;
    } else {
      // The callback may be stuck on something else entirely: the deadline rolls back without waiting for it.
      body.catch(() => undefined);
      result = await Promise.race([body, deadline.expired]);
    }
  } catch (err) {
    deadline?.clear();
    const cleanup = end(state).then(rollback);
    if (err !== state.abortError) {
      await cleanup;
      throw err;
    }
    // Past its deadline the transaction rejects now. Its running statement is interrupted (or its worker replaced
    // after the grace period), so the ROLLBACK waits behind it; the connection stays held until then, so nobody sees
    // the half-done work.
    state.cleanup = cleanup;
    throw err;
  }
  deadline?.clear();
  await end(state);
  try {
    await control(nested ? 'release' : 'commit', nested ? `RELEASE ${name}` : 'COMMIT');
  } catch (err) {
    // A failed COMMIT (SQLITE_BUSY, a deferred foreign key) leaves the transaction open: close it. An unknown outcome
    // (the worker died) has nothing left to close.
    if (!(err instanceof RapsqliteError && err.code === ErrorCodes.OUTCOME_UNKNOWN)) await rollback();
    throw err;
  }
  return result;
}

/** Arms a transaction's `signal` and `timeoutMs`: on expiry its requests are cancelled and it is ended. */
function transactionDeadline(options: QueryOptions, sql: string, state: TxState): { expired: Promise<never>; clear: () => void } | undefined {
  const { signal, timeoutMs } = options;
  if (signal === undefined && timeoutMs === undefined) return undefined;
  let fail!: (error: RapsqliteError) => void;
  const expired = new Promise<never>((_, reject) => (fail = reject));
  expired.catch(() => undefined);
  const expire = (error: RapsqliteError): void => {
    clear();
    state.abortError = error;
    state.active = false;
    // Every request of the transaction: the one running is interrupted, those queued behind it are skipped.
    state.lease.connection.cancelTransaction(error);
    fail(error);
  };
  const onAbort = (): void => expire(abortedError(signal?.reason, sql));
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => expire(timeoutError(timeoutMs, sql)), timeoutMs);
  const clear = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  };
  if (signal?.aborted === true) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  return { expired, clear };
}

async function end(state: TxState): Promise<void> {
  state.active = false;
  for (const cursor of state.cursors) await cursor.return();
}
