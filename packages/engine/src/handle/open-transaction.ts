import { AsyncLocalStorage } from 'node:async_hooks';
import type { TransactionInfo } from '../middleware/operation.ts';
import type { Statement } from '../statement.ts';
import type { IterateOptions, Params, QueryOptions, Row, RunManyResult, RunResult, TransactionOptions, ValuesResult } from '../types.ts';
import type { OpenTransaction, Queryable, Transaction } from './queryable.ts';

/** The reason the held callback of a rolled-back {@link OpenTransaction} throws; never seen by callers. */
const ROLLED_BACK = Symbol('rapsqlite.rolledBack');

/** The {@link OpenTransaction} `begin()` resolves with: a transaction callback held open until the caller decides. */
class OpenTransactionHandle implements OpenTransaction {
  readonly #tx: Transaction;
  readonly #inside: <R>(fn: () => R) => R;
  readonly #decide: (commit: boolean) => void;
  readonly #done: Promise<unknown>;
  #decided = false;

  /** @internal Use `begin()`. */
  constructor(tx: Transaction, inside: <R>(fn: () => R) => R, decide: (commit: boolean) => void, done: Promise<unknown>) {
    this.#tx = tx;
    this.#inside = inside;
    this.#decide = decide;
    this.#done = done;
  }

  get info(): TransactionInfo {
    return this.#tx.info;
  }

  get active(): boolean {
    return !this.#decided && this.#tx.active;
  }

  async commit(): Promise<void> {
    this.#end(true);
    await this.#done;
  }

  async rollback(): Promise<void> {
    this.#end(false);
    await this.#done.catch(() => undefined);
  }

  #end(commit: boolean): void {
    if (this.#decided) return;
    this.#decided = true;
    this.#decide(commit);
  }

  within<R>(fn: () => R): R {
    return this.#inside(fn);
  }

  exec(sql: string, options?: QueryOptions): Promise<void> {
    return this.#tx.exec(sql, options);
  }

  run(sql: string, params?: Params, options?: QueryOptions): Promise<RunResult> {
    return this.#tx.run(sql, params, options);
  }

  runMany(sql: string, paramsList: readonly Params[], options?: QueryOptions): Promise<RunManyResult> {
    return this.#tx.runMany(sql, paramsList, options);
  }

  get<R = Row>(sql: string, params?: Params, options?: QueryOptions): Promise<R | undefined> {
    return this.#tx.get<R>(sql, params, options);
  }

  all<R = Row>(sql: string, params?: Params, options?: QueryOptions): Promise<R[]> {
    return this.#tx.all<R>(sql, params, options);
  }

  values<V extends unknown[] = unknown[]>(sql: string, params?: Params, options?: QueryOptions): Promise<ValuesResult<V>> {
    return this.#tx.values<V>(sql, params, options);
  }

  iterate<R = Row>(sql: string, params?: Params, options?: IterateOptions): AsyncIterableIterator<R> & AsyncDisposable {
    return this.#tx.iterate<R>(sql, params, options);
  }

  prepare<R = Row>(sql: string, options?: QueryOptions): Promise<Statement<R>> {
    return this.#tx.prepare<R>(sql, options);
  }

  transaction<T>(callback: (tx: Transaction) => Promise<T> | T, options?: TransactionOptions): Promise<T> {
    return this.#tx.transaction(callback, options);
  }

  begin(options?: TransactionOptions): Promise<OpenTransaction> {
    return beginTransaction(this.#tx, options);
  }
}

/** Begins a transaction on `owner` (a database, a pool, or a transaction for a savepoint) that the caller ends. */
export function beginTransaction(owner: Pick<Queryable, 'transaction'>, options: TransactionOptions | undefined): Promise<OpenTransaction> {
  return new Promise<OpenTransaction>((resolve, reject) => {
    let decide!: (commit: boolean) => void;
    const decision = new Promise<boolean>((settle) => (decide = settle));
    let handle: OpenTransaction | undefined;
    const done = owner.transaction(async (tx) => {
      handle = new OpenTransactionHandle(tx, AsyncLocalStorage.snapshot(), decide, done);
      resolve(handle);
      if (!(await decision)) throw ROLLED_BACK;
    }, options);
    // Before the callback ran (BEGIN failed, the wait for the connection was cancelled), begin() itself rejects.
    done.catch((error: unknown) => {
      if (handle === undefined) reject(error);
    });
  });
}
