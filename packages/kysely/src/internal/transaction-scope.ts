import type { Queryable, Transaction, TransactionOptions } from '@rapsqlite/engine';

/** Rejects a transaction's callback to make the engine roll back; never seen outside this module. */
const ROLLBACK: unique symbol = Symbol('rapsqlite.kysely.rollback');

/** Transaction options as a database or a pool takes them (`readonly` routes a pool's transaction to a reader). */
export type ScopeOptions = TransactionOptions & { readonly readonly?: boolean };

/**
 * An imperative handle on one of the engine's callback transactions (or savepoints): the callback's promise stays
 * pending until {@link commit} resolves it or {@link rollback} rejects it, so BEGIN … COMMIT can span calls that
 * an ORM makes one by one. The engine holds its connection for the whole time, as for any transaction.
 */
export class TransactionScope {
  /** The engine's transaction handle: every statement of the transaction goes through it. */
  readonly tx: Transaction;
  readonly #resolve: () => void;
  readonly #reject: (reason: unknown) => void;
  readonly #done: Promise<void>;

  private constructor(tx: Transaction, resolve: () => void, reject: (reason: unknown) => void, done: Promise<void>) {
    this.tx = tx;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#done = done;
  }

  /** Begins a transaction on `on` (a savepoint when `on` is a transaction) and resolves once BEGIN has run. */
  static open(on: Queryable, options?: ScopeOptions): Promise<TransactionScope> {
    return new Promise<TransactionScope>((resolveOpen, rejectOpen) => {
      let settle!: { resolve: () => void; reject: (reason: unknown) => void };
      const body = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
      let opened = false;
      const done: Promise<void> = on.transaction((tx) => {
        opened = true;
        resolveOpen(new TransactionScope(tx, settle.resolve, settle.reject, done));
        return body;
      }, options);
      // Attached at once, so a failure before commit or rollback is asked for is never an unhandled rejection.
      done.catch((err: unknown) => {
        if (!opened) rejectOpen(err);
      });
    });
  }

  /** Commits (or releases the savepoint); rejects with the engine's error when COMMIT fails (it then rolled back). */
  async commit(): Promise<void> {
    this.#resolve();
    await this.#done;
  }

  /**
   * Rolls back (or rolls back to and releases the savepoint). Never rejects: when the engine has already ended the
   * transaction (its deadline passed, its worker died), it is rolled back all the same.
   */
  async rollback(): Promise<void> {
    this.#reject(ROLLBACK);
    await this.#done.catch(() => undefined);
  }
}
