import type { TransactionInfo } from '../middleware/operation.ts';
import type { Statement } from '../statement.ts';
import type { IterateOptions, Params, QueryOptions, Row, RunManyResult, RunResult, TransactionOptions, ValuesResult } from '../types.ts';

/**
 * The query API shared by a {@link Database}, a {@link Transaction} and a pool: code and middleware written against
 * it work on any of them. Every method is asynchronous and takes an optional last argument of per-call
 * {@link QueryOptions}.
 */
export interface Queryable {
  exec(sql: string, options?: QueryOptions): Promise<void>;
  run(sql: string, params?: Params, options?: QueryOptions): Promise<RunResult>;
  runMany(sql: string, paramsList: readonly Params[], options?: QueryOptions): Promise<RunManyResult>;
  get<R = Row>(sql: string, params?: Params, options?: QueryOptions): Promise<R | undefined>;
  all<R = Row>(sql: string, params?: Params, options?: QueryOptions): Promise<R[]>;
  values<V extends unknown[] = unknown[]>(sql: string, params?: Params, options?: QueryOptions): Promise<ValuesResult<V>>;
  iterate<R = Row>(sql: string, params?: Params, options?: IterateOptions): AsyncIterableIterator<R> & AsyncDisposable;
  prepare<R = Row>(sql: string, options?: QueryOptions): Promise<Statement<R>>;
  transaction<T>(callback: (tx: Transaction) => Promise<T> | T, options?: TransactionOptions): Promise<T>;
}

/**
 * A transaction in progress, as its callback receives it: the same query methods as the database, bound to the
 * transaction's hold on its connection. It is valid only until its callback settles; calls after that fail with
 * `ERR_RAPSQLITE_TRANSACTION_CLOSED`. Its middleware is the handle's as of the transaction's start.
 */
export interface Transaction extends Queryable {
  /** This transaction's identity: id, depth (0 for the outermost, more for savepoints) and mode. */
  readonly info: TransactionInfo;
  /** True until the callback settles. */
  readonly active: boolean;
  /** Begins a savepoint that the caller ends with `commit()` or `rollback()`. */
  begin(options?: TransactionOptions): Promise<OpenTransaction>;
}

/**
 * A transaction begun with `begin()` and ended by {@link commit} or {@link rollback} rather than by a callback
 * returning: the shape ORMs and frameworks drive (a driver's begin/commit, a per-request transaction). It holds its
 * connection exactly as `transaction()` does — no other call runs inside it — until it is committed or rolled back,
 * or its `timeoutMs`/`signal` ends it. `begin()` on it opens a savepoint.
 *
 * @example
 * ```ts
 * const tx = await db.begin();
 * try {
 *   await tx.run('UPDATE accounts SET balance = balance - ? WHERE id = ?', [amount, from]);
 *   await tx.run('UPDATE accounts SET balance = balance + ? WHERE id = ?', [amount, to]);
 *   await tx.commit();
 * } catch (err) {
 *   await tx.rollback();
 *   throw err;
 * }
 * ```
 */
export interface OpenTransaction extends Transaction {
  /** Commits (or releases the savepoint). Rejects with the COMMIT's error, or the deadline's if it passed first. */
  commit(): Promise<void>;
  /** Rolls back. Idempotent, and safe after a failed `commit()` or an expired deadline. */
  rollback(): Promise<void>;
  /**
   * Runs `fn` in the transaction's async context, as its callback would: a call on the database from in there that
   * would wait for this transaction fails at once with `ERR_RAPSQLITE_TRANSACTION_DEADLOCK` instead of waiting.
   */
  within<R>(fn: () => R): R;
}
