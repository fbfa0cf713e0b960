import { AsyncLocalStorage } from 'node:async_hooks';
import type { Queryable, Transaction } from '@rapsqlite/engine';
import type { PoolTransactionOptions } from '@rapsqlite/pool';
import { invalid, type SqliteHandle } from './options.ts';

/**
 * A connection's transaction context, shared through `AsyncLocalStorage`: code anywhere below {@link run} (services,
 * repositories, helpers) reaches the current transaction through {@link db} without passing `tx` around, and
 * without a request-scoped provider (which would rebuild the whole dependency chain per request). Inject it with
 * `@InjectTransactionHost(name?)`.
 *
 * @example
 * ```ts
 * @Injectable()
 * class Orders {
 *   constructor(@InjectTransactionHost() private readonly host: TransactionHost) {}
 *   place(sku: string) {
 *     return this.host.run(async () => {
 *       await this.host.db.run('INSERT INTO orders (sku) VALUES (?)', [sku]);
 *       await this.stock.take(sku); // uses host.db too: the same transaction
 *     });
 *   }
 * }
 * ```
 */
export class TransactionHost {
  readonly #handle: SqliteHandle;
  readonly #storage = new AsyncLocalStorage<Transaction>();

  /** @internal Made by `RapsqliteModule`; inject it with `@InjectTransactionHost()`. */
  constructor(handle: SqliteHandle) {
    this.#handle = handle;
  }

  /** The connection's handle itself (the `Database` or `Pool`). */
  get database(): SqliteHandle {
    return this.#handle;
  }

  /** The current transaction when called below {@link run} (or a `@Transactional()` handler), else the handle. */
  get db(): Queryable {
    const tx = this.#storage.getStore();
    return tx?.active === true ? tx : this.#handle;
  }

  /** True when called below an open transaction of this connection. */
  get active(): boolean {
    return this.#storage.getStore()?.active === true;
  }

  /**
   * Runs `callback` in a transaction: a new one on the handle, or a SAVEPOINT inside the current one when called
   * below another `run`. Resolving commits (releases the savepoint), throwing rolls back and rethrows.
   */
  run<T>(callback: (tx: Transaction) => Promise<T> | T, options?: PoolTransactionOptions): Promise<T> {
    if (typeof callback !== 'function') return Promise.reject(invalid('run() takes a callback'));
    const current = this.#storage.getStore();
    const inside = (tx: Transaction): Promise<T> | T => this.#storage.run(tx, () => callback(tx));
    return current?.active === true ? current.transaction(inside) : this.#handle.transaction(inside, options);
  }
}
