import { ErrorCodes, RapsqliteError, type IntegerMode, type Queryable, type TransactionMode } from '@rapsqlite/engine';
import type { Control } from './control.ts';
import { Frame, ROLLBACK } from './frame.ts';

/** The client's settings that its sessions apply. */
export interface SessionSettings {
  readonly transactionMode: TransactionMode;
  readonly integers: IntegerMode | undefined;
  readonly nodeSqlite3Errors: boolean;
  readonly chunkSize: number | undefined;
}

/**
 * What every knex connection of one client shares: the rapsqlite handle, the settings and the writer-state lock.
 * It lives on the connections, not on the client, because knex runs transactions and DDL on copies of the client made
 * with `Object.create`, which carry none of the client's own fields.
 */
export class SessionCore {
  readonly handle: Queryable;
  readonly isPool: boolean;
  readonly settings: SessionSettings;
  #holder: Session | undefined;
  #waiters: (() => void)[] = [];

  constructor(handle: Queryable, settings: SessionSettings) {
    this.handle = handle;
    this.settings = settings;
    const h = handle as unknown as { stats?: unknown; checkpoint?: unknown };
    this.isPool = typeof h.stats === 'function' && typeof h.checkpoint === 'function';
  }

  /**
   * Waits while another session has changed the writer's connection state (`PRAGMA foreign_keys = OFF` during knex's
   * ALTER TABLE emulation) and not yet put it back, so no one else's statement runs on the writer meanwhile.
   */
  async waitForWriter(session: Session): Promise<void> {
    while (this.#holder !== undefined && this.#holder !== session) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  /** True when a session other than `session` holds the writer's state. */
  heldByOther(session: Session): boolean {
    return this.#holder !== undefined && this.#holder !== session;
  }

  async holdWriter(session: Session): Promise<void> {
    await this.waitForWriter(session);
    this.#holder = session;
  }

  releaseWriter(session: Session): void {
    if (this.#holder !== session) return;
    this.#holder = undefined;
    for (const wake of this.#waiters.splice(0)) wake();
  }
}

function transactionError(message: string): RapsqliteError {
  return new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, message);
}

/**
 * A knex "connection": a light session over the shared rapsqlite handle. Outside a transaction its statements go to
 * the handle (a pool routes reads to readers); between BEGIN and COMMIT they go to the engine transaction it holds,
 * with savepoints as nested engine transactions.
 */
export class Session {
  readonly core: SessionCore;
  readonly #frames: Frame[] = [];
  /** Set by the knex transaction before BEGIN: `knex.transaction(fn, { readOnly: true })` runs on a pool reader. */
  nextReadOnly = false;
  /** Knex marks a connection it must not reuse here (see knex's client `connectionIsDisposed`). */
  __knex__disposed?: Error;

  constructor(core: SessionCore) {
    this.core = core;
  }

  /** True while a transaction is open on this session. */
  get inTransaction(): boolean {
    return this.#frames.length > 0;
  }

  /** The handle the next statement runs on: the innermost open transaction or savepoint, else the shared handle. */
  target(): Queryable {
    return this.#frames.at(-1)?.tx ?? this.core.handle;
  }

  /** Carries out a control statement through the engine's transactions. */
  async control(control: Control): Promise<void> {
    switch (control.kind) {
      case 'begin': {
        if (this.inTransaction) throw transactionError('A transaction is already open on this connection; use a savepoint');
        const readonly = this.nextReadOnly && this.core.isPool;
        this.nextReadOnly = false;
        await this.core.waitForWriter(this);
        const frame = new Frame();
        await frame.open(this.core.handle, readonly ? { readonly: true } : { mode: this.core.settings.transactionMode });
        this.#frames.push(frame);
        return;
      }
      case 'savepoint': {
        const parent = this.#frames.at(-1)?.tx;
        if (parent === undefined) throw transactionError(`SAVEPOINT ${control.name} outside a transaction`);
        const frame = new Frame(control.name);
        await frame.open(parent, {});
        this.#frames.push(frame);
        return;
      }
      case 'commit':
        return this.#close(0, 'commit');
      case 'rollback':
        return this.#close(0, 'rollback');
      case 'release':
      case 'rollbackTo': {
        const index = this.#frames.findLastIndex((f) => f.name === control.name);
        if (index < 1) throw transactionError(`No savepoint named ${control.name} is open`);
        return this.#close(index, control.kind === 'release' ? 'commit' : 'rollback');
      }
    }
  }

  /** Ends the frames from `index` up, innermost first; savepoints above a rolled-back frame are rolled back with it. */
  async #close(index: number, how: 'commit' | 'rollback'): Promise<void> {
    if (this.#frames.length === 0) {
      // SQLite answers COMMIT or ROLLBACK outside a transaction with an error; knex rolls back after a failed BEGIN.
      if (how === 'rollback') return;
      throw transactionError('COMMIT without an open transaction');
    }
    const frames = this.#frames.splice(index).reverse();
    let failure: unknown;
    for (const frame of frames) {
      const err = await (how === 'commit' ? frame.commit() : frame.rollback());
      if (err !== undefined && err !== ROLLBACK && failure === undefined) failure = err;
    }
    if (failure !== undefined) throw failure;
  }

  /** Rolls back whatever is still open (a connection destroyed mid-transaction) and gives up the writer's state. */
  async dispose(): Promise<void> {
    if (this.#frames.length > 0) await this.#close(0, 'rollback').catch(() => undefined);
    this.core.releaseWriter(this);
  }
}
