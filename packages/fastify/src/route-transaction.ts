import type { Transaction } from '@rapsqlite/engine';
import type { PoolTransactionOptions } from '@rapsqlite/pool';
import type { SqliteHandle } from './options.ts';

/** The rejection that tells the engine to roll back; never leaves this module. */
const ROLLBACK = Symbol('rapsqlite.fastify.rollback');

type Phase = 'beginning' | 'open' | 'committing' | 'rolling-back' | 'ended';

/**
 * One request's transaction, bridged onto the engine's callback-based `transaction()`: the callback calls the route
 * handler (so the handler runs in the transaction's async context, where calling the database instead of `tx` fails
 * fast with `ERR_RAPSQLITE_TRANSACTION_DEADLOCK`), then returns a promise that the reply's hooks settle: `commit()`
 * from `onSend`, before a byte is written; `rollback()` from `onError`, or when the request ends without a reply.
 */
export class RouteTransaction {
  #phase: Phase = 'beginning';
  #tx: Transaction | undefined;
  #settle: { resolve: () => void; reject: (reason: unknown) => void } | undefined;
  #done: Promise<unknown> | undefined;
  #ending: 'commit' | 'rollback' | undefined;

  /** The transaction handle; undefined before BEGIN returned. */
  get tx(): Transaction | undefined {
    return this.#tx;
  }

  /** True between BEGIN and the start of COMMIT or ROLLBACK. */
  get open(): boolean {
    return this.#phase === 'open';
  }

  /**
   * Begins the transaction on `handle` and, once BEGIN succeeded, calls `run(tx)` inside the transaction's callback.
   * Resolves with what `run` returned (its promise is not awaited here, so a handler that waits for its own reply
   * cannot deadlock the commit); rejects when BEGIN fails.
   */
  start<T>(handle: SqliteHandle, options: PoolTransactionOptions, run: (tx: Transaction) => T, onUnexpected: (error: unknown) => void): Promise<T> {
    return new Promise<T>((resolveRun, rejectRun) => {
      const pending = new Promise<void>((resolve, reject) => (this.#settle = { resolve, reject }));
      this.#done = handle.transaction((tx) => {
        this.#tx = tx;
        this.#phase = 'open';
        let result: T;
        try {
          result = run(tx);
        } catch (err) {
          resolveRun(Promise.reject(err) as T);
          void this.rollback();
          return pending;
        }
        resolveRun(result);
        if (result instanceof Promise) result.catch(() => this.rollback());
        return pending;
      }, options);
      this.#done.then(
        () => (this.#phase = 'ended'),
        (err: unknown) => {
          const began = this.#phase !== 'beginning';
          this.#phase = 'ended';
          if (!began) rejectRun(err);
          // COMMIT's own failure goes to commit()'s caller; a failed ROLLBACK has no caller to go to.
          else if (err !== ROLLBACK && this.#ending !== 'commit') onUnexpected(err);
        },
      );
    });
  }

  /** Commits; rejects with COMMIT's error (the engine has then rolled back). A no-op unless the transaction is open. */
  async commit(): Promise<void> {
    if (this.#phase !== 'open') return;
    this.#phase = 'committing';
    this.#ending = 'commit';
    const settle = this.#settle!;
    this.#settle = undefined;
    settle.resolve();
    await this.#done;
  }

  /** Rolls back; never rejects (a failed ROLLBACK is reported to `onUnexpected`). A no-op unless the transaction is open. */
  async rollback(): Promise<void> {
    if (this.#phase !== 'open') return;
    this.#phase = 'rolling-back';
    this.#ending = 'rollback';
    const settle = this.#settle!;
    this.#settle = undefined;
    settle.reject(ROLLBACK);
    await this.#done!.catch(() => undefined);
  }
}
