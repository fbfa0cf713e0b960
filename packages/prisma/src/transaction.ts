import { DriverAdapterError, type Transaction as PrismaTransaction, type TransactionOptions } from '@prisma/driver-adapter-utils';
import { hasErrorCode, type Queryable, type Transaction as EngineTransaction, type TransactionMode } from '@rapsqlite/engine';
import { toPrismaError } from './errors.ts';
import { RapsqliteQueryable, type QueryableSettings } from './queryable.ts';

/** Rejects a transaction callback to make the engine roll back; never reaches the user. */
const ROLLBACK = Symbol('rapsqlite.prisma.rollback');

/**
 * Prisma sends no COMMIT or ROLLBACK text of its own (phantom queries): the engine frames the transaction (BEGIN, then
 * COMMIT when its callback resolves or ROLLBACK when it rejects), and that framing is what its timeout, retry and
 * observability middleware see. A COMMIT sent as a plain statement would end the engine's transaction behind its back.
 */
const OPTIONS: TransactionOptions = Object.freeze({ usePhantomQuery: true });

/**
 * One engine transaction (or savepoint) held open between Prisma's calls. The engine's API is a callback that holds
 * the connection until it settles; this keeps that callback pending until Prisma commits (resolve) or rolls back
 * (reject with a sentinel), and reports the engine's outcome.
 */
class Frame {
  tx: EngineTransaction | undefined;
  readonly controller = new AbortController();
  readonly begun: Promise<EngineTransaction>;
  outcome!: Promise<unknown>;
  #resolve!: () => void;
  #reject!: (reason: unknown) => void;
  #body: Promise<void>;
  #begin!: (tx: EngineTransaction) => void;

  constructor() {
    this.#body = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.begun = new Promise<EngineTransaction>((resolve) => (this.#begin = resolve));
  }

  /** Starts the engine transaction on `on`; `begun` resolves once BEGIN (or SAVEPOINT) has run. */
  open(on: Queryable | EngineTransaction, mode: TransactionMode | undefined): Promise<EngineTransaction> {
    const options = mode === undefined ? { signal: this.controller.signal } : { mode, signal: this.controller.signal };
    const done = on.transaction((tx) => {
      this.tx = tx;
      this.#begin(tx);
      return this.#body;
    }, options);
    // Settles with undefined on commit and with the error otherwise; never rejects.
    this.outcome = done.then(
      () => undefined,
      (err: unknown) => err,
    );
    return Promise.race([this.begun, this.outcome.then((err) => Promise.reject(toPrismaError(err)))]);
  }

  commit(): void {
    this.#resolve();
  }

  rollback(): void {
    this.#reject(ROLLBACK);
  }
}

function isRollback(err: unknown): boolean {
  return err === undefined || err === ROLLBACK || (hasErrorCode(err, 'ERR_RAPSQLITE_ABORTED') && (err as { cause?: unknown }).cause === ROLLBACK);
}

function closedError(): DriverAdapterError {
  return new DriverAdapterError({ kind: 'TransactionAlreadyClosed', cause: 'The transaction has already been committed or rolled back' });
}

/**
 * A Prisma interactive transaction on a rapsqlite connection (the writer of a pool). Savepoints are engine savepoints
 * (nested engine transactions) named by Prisma.
 */
export class RapsqliteTransaction extends RapsqliteQueryable implements PrismaTransaction {
  readonly options: TransactionOptions = OPTIONS;
  readonly #root: Frame;
  readonly #savepoints: { name: string; frame: Frame }[] = [];
  #inFlight = 0;
  #closed = false;

  /** @internal */
  private constructor(root: Frame, settings: QueryableSettings) {
    super(settings);
    this.#root = root;
  }

  /** Begins a transaction on `handle` and resolves once it holds the connection. */
  static async begin(handle: Queryable, mode: TransactionMode, settings: QueryableSettings): Promise<RapsqliteTransaction> {
    const root = new Frame();
    await root.open(handle, mode);
    return new RapsqliteTransaction(root, settings);
  }

  protected target(): Queryable {
    if (this.#closed) throw closedError();
    const top = this.#savepoints.at(-1)?.frame ?? this.#root;
    return top.tx as EngineTransaction;
  }

  protected override track<T>(call: Promise<T>): Promise<T> {
    this.#inFlight++;
    return call.finally(() => this.#inFlight--);
  }

  /** Commits: the engine sends COMMIT and this resolves after it succeeded in the worker. */
  async commit(): Promise<void> {
    if (this.#closed) throw closedError();
    this.#closed = true;
    this.#root.commit();
    const err = await this.#root.outcome;
    if (err !== undefined) throw toPrismaError(err);
  }

  /**
   * Rolls back. When a statement of the transaction is still running (Prisma's `timeout` expired during a long
   * query), it is interrupted in the worker through the transaction's signal, then the engine rolls back; the
   * connection stays held until the ROLLBACK has run, so no other call sees the unfinished work.
   */
  async rollback(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#inFlight > 0) this.#root.controller.abort(ROLLBACK);
    else this.#root.rollback();
    const err = await this.#root.outcome;
    if (!isRollback(err)) throw toPrismaError(err);
  }

  /** Opens a savepoint: a nested engine transaction on the innermost open one. */
  async createSavepoint(name: string): Promise<void> {
    const frame = new Frame();
    await frame.open(this.target(), undefined);
    this.#savepoints.push({ name, frame });
  }

  #unwind(name: string): Frame[] {
    const index = this.#savepoints.findLastIndex((sp) => sp.name === name);
    if (index < 0) return [];
    return this.#savepoints.splice(index).map((sp) => sp.frame).reverse();
  }

  /** Rolls back to the savepoint and releases it (the engine does both; Prisma's following release is then a no-op). */
  async rollbackToSavepoint(name: string): Promise<void> {
    if (this.#closed) throw closedError();
    for (const frame of this.#unwind(name)) {
      frame.rollback();
      const err = await frame.outcome;
      if (!isRollback(err)) throw toPrismaError(err);
    }
  }

  /** Releases the savepoint, keeping its work in the enclosing transaction. */
  async releaseSavepoint(name: string): Promise<void> {
    if (this.#closed) throw closedError();
    for (const frame of this.#unwind(name)) {
      frame.commit();
      const err = await frame.outcome;
      if (err !== undefined) throw toPrismaError(err);
    }
  }
}
