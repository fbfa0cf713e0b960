import type { Queryable, Transaction, TransactionOptions } from '@rapsqlite/engine';

/** Rejects a transaction callback so the engine rolls back; never reaches the user. */
export const ROLLBACK = Symbol('rapsqlite.knex.rollback');

/**
 * One engine transaction (or savepoint) held open between knex's BEGIN and its COMMIT or ROLLBACK. The engine's API
 * is a callback that holds the connection until it settles: this keeps the callback pending until knex ends the
 * transaction, then reports the engine's outcome (COMMIT or ROLLBACK ran in the worker).
 */
export class Frame {
  readonly name: string | undefined;
  tx: Transaction | undefined;
  /** Settles with undefined once committed, or with the error (the rollback sentinel after a rollback); never rejects. */
  outcome: Promise<unknown> = Promise.resolve(undefined);
  #resolve!: () => void;
  #reject!: (reason: unknown) => void;
  readonly #body: Promise<void>;

  constructor(name?: string) {
    this.name = name;
    this.#body = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** Begins on `on` (a handle, or the enclosing transaction for a savepoint); resolves once BEGIN or SAVEPOINT ran. */
  open(on: Queryable, options: TransactionOptions & { readonly?: boolean }): Promise<void> {
    let begun!: () => void;
    const started = new Promise<void>((resolve) => (begun = resolve));
    const done = on.transaction((tx) => {
      this.tx = tx;
      begun();
      return this.#body;
    }, options);
    this.outcome = done.then(
      () => undefined,
      (err: unknown) => err,
    );
    return Promise.race([started, this.outcome.then((err) => Promise.reject(err as Error))]);
  }

  commit(): Promise<unknown> {
    this.#resolve();
    return this.outcome;
  }

  rollback(): Promise<unknown> {
    this.#reject(ROLLBACK);
    return this.outcome;
  }
}
