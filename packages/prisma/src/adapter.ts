import {
  DriverAdapterError,
  type ConnectionInfo,
  type IsolationLevel,
  type SqlDriverAdapter,
  type Transaction as PrismaTransaction,
} from '@prisma/driver-adapter-utils';
import type { Queryable, TransactionMode } from '@rapsqlite/engine';
import { toPrismaError } from './errors.ts';
import { RapsqliteQueryable, type QueryableSettings } from './queryable.ts';
import { RapsqliteTransaction } from './transaction.ts';

/** better-sqlite3's SQLite is built with `SQLITE_MAX_VARIABLE_NUMBER=32766`. */
const MAX_BIND_VALUES = 32766;

/** What an adapter needs of the handle it runs on: the engine's query API, and `close()` when the adapter owns it. */
export interface AdapterHandle extends Queryable {
  close?(): Promise<void>;
}

/** Settings of one adapter. */
export interface AdapterSettings extends QueryableSettings {
  readonly transactionMode: TransactionMode;
}

/**
 * Prisma's driver adapter over one rapsqlite handle. Statements outside interactive transactions go to the handle
 * (a pool routes reads to its readers); an interactive transaction holds the writer connection for itself, so no
 * statement from outside it ever runs inside it or sees its uncommitted rows.
 */
export class RapsqliteAdapter extends RapsqliteQueryable implements SqlDriverAdapter {
  readonly #handle: AdapterHandle;
  readonly #owned: boolean;
  readonly #transactionMode: TransactionMode;
  #disposed = false;

  /** @internal */
  constructor(handle: AdapterHandle, owned: boolean, settings: AdapterSettings) {
    super(settings);
    this.#handle = handle;
    this.#owned = owned;
    this.#transactionMode = settings.transactionMode;
  }

  protected target(): Queryable {
    return this.#handle;
  }

  /** Runs a script of statements separated by semicolons (migrations), on the writer of a pool. */
  async executeScript(script: string): Promise<void> {
    try {
      await this.#handle.exec(script);
    } catch (err) {
      throw toPrismaError(err);
    }
  }

  /**
   * Begins an interactive transaction. SQLite transactions are serializable, so only `SERIALIZABLE` (or no level) is
   * accepted, as Prisma's own SQLite adapters do; any other level fails with `InvalidIsolationLevel` (P2023).
   */
  async startTransaction(isolationLevel?: IsolationLevel): Promise<PrismaTransaction> {
    if (isolationLevel !== undefined && isolationLevel !== 'SERIALIZABLE') {
      throw new DriverAdapterError({ kind: 'InvalidIsolationLevel', level: isolationLevel });
    }
    return RapsqliteTransaction.begin(this.#handle, this.#transactionMode, this.settings);
  }

  getConnectionInfo(): ConnectionInfo {
    return { maxBindValues: MAX_BIND_VALUES, supportsRelationJoins: false };
  }

  /** Closes the database or pool when this adapter opened it; a handle given by the application stays open. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.#owned) await this.#handle.close?.();
  }
}
