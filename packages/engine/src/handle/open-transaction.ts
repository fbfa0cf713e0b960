import { AsyncLocalStorage } from 'node:async_hooks';
import type { TransactionInfo } from '../middleware/operation.ts';
import type { Statement } from '../statement.ts';
import type { BindParams } from '../toolbox/adapters.ts';
import type { Page } from '../toolbox/paginate.ts';
import type { ToolPaginateOptions } from '../toolbox/query-tools.ts';
import type { ShapedMethod, ToolQueryOptions, ToolRunOptions } from '../toolbox/query-types.ts';
import type { SqlQuery } from '../toolbox/sql-tag.ts';
import type { QueryOptions, Row, RunManyResult, RunResult, TransactionOptions, ValuesResult } from '../types.ts';
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

  run(sql: string, params?: BindParams, options?: ToolRunOptions): Promise<RunResult>;
  run(query: SqlQuery, options?: ToolRunOptions): Promise<RunResult>;
  run(...args: [never, never?, never?]): Promise<RunResult> {
    return this.#tx.run(...args);
  }

  runMany(sql: string, paramsList: readonly BindParams[], options?: ToolRunOptions): Promise<RunManyResult> {
    return this.#tx.runMany(sql, paramsList, options);
  }

  declare readonly get: ShapedMethod<'get'>;
  declare readonly all: ShapedMethod<'all'>;
  declare readonly iterate: ShapedMethod<'iterate'>;

  static {
    // The shaped methods forward their arguments as they are; their types are the overloads of ShapedMethod.
    for (const name of ['get', 'all', 'iterate'] as const) {
      Object.defineProperty(OpenTransactionHandle.prototype, name, {
        value(this: OpenTransactionHandle, ...args: unknown[]) {
          return (this.#tx[name] as (...a: unknown[]) => unknown)(...args);
        },
        writable: true,
        configurable: true,
        enumerable: false,
      });
    }
  }

  values<V extends unknown[] = unknown[]>(sql: string, params?: BindParams, options?: ToolQueryOptions): Promise<ValuesResult<V>>;
  values<V extends unknown[] = unknown[]>(query: SqlQuery, options?: ToolQueryOptions): Promise<ValuesResult<V>>;
  values<V extends unknown[] = unknown[]>(...args: [never, never?, never?]): Promise<ValuesResult<V>> {
    return this.#tx.values<V>(...args);
  }

  insert(sql: string, params?: BindParams, options?: ToolRunOptions): Promise<number | bigint | undefined>;
  insert(query: SqlQuery, options?: ToolRunOptions): Promise<number | bigint | undefined>;
  insert(...args: [never, never?, never?]): Promise<number | bigint | undefined> {
    return this.#tx.insert(...args);
  }

  scalar<T = unknown>(sql: string, params?: BindParams, options?: ToolQueryOptions): Promise<T | undefined>;
  scalar<T = unknown>(query: SqlQuery, options?: ToolQueryOptions): Promise<T | undefined>;
  scalar<T = unknown>(...args: [never, never?, never?]): Promise<T | undefined> {
    return this.#tx.scalar<T>(...args);
  }

  exists(sql: string, params?: BindParams, options?: ToolRunOptions): Promise<boolean>;
  exists(query: SqlQuery, options?: ToolRunOptions): Promise<boolean>;
  exists(...args: [never, never?, never?]): Promise<boolean> {
    return this.#tx.exists(...args);
  }

  paginate<R = Row>(query: string | SqlQuery, options: ToolPaginateOptions): Promise<Page<R>> {
    return this.#tx.paginate<R>(query, options);
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
