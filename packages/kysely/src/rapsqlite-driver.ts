import type { DatabaseConnection, Driver, QueryCompiler, TransactionSettings } from 'kysely';
import { ErrorCodes, RapsqliteError } from '@rapsqlite/engine';
import { connectionControl, RapsqliteConnection, type ConnectionSettings } from './rapsqlite-connection.ts';
import type { RapsqliteDialectOptions, RapsqliteHandle } from './rapsqlite-dialect-options.ts';

/**
 * The Kysely `Driver` of {@link RapsqliteDialect}. It hands out a fresh {@link RapsqliteConnection} per acquire
 * (connections are views over one database or pool, so there is nothing to pool here), bridges Kysely's
 * begin/commit/rollback to the engine's callback transactions, and maps savepoints to nested engine transactions.
 */
export class RapsqliteDriver implements Driver {
  readonly #options: Readonly<RapsqliteDialectOptions>;
  #settings: ConnectionSettings | undefined;
  /** Connections acquired and not yet released: destroy() lets their work finish before it closes the handle. */
  readonly #live = new Set<DatabaseConnection>();
  #drained: (() => void) | undefined;

  /** @internal Made by the dialect. */
  constructor(options: Readonly<RapsqliteDialectOptions>) {
    this.#options = options;
  }

  /** Opens the handle when the dialect was given a function. */
  async init(): Promise<void> {
    const { database } = this.#options;
    const handle: RapsqliteHandle = typeof database === 'function' ? await database() : database;
    this.#settings = Object.freeze({
      handle,
      integers: this.#options.integers,
      transactionMode: this.#options.transactionMode ?? 'immediate',
      nonQueries: new Set<string>(),
    });
  }

  /** A new connection view on the handle. */
  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.#settings === undefined) throw new RapsqliteError(ErrorCodes.CLOSED, 'The driver is not initialized or was destroyed');
    const connection = new RapsqliteConnection(this.#settings);
    this.#live.add(connection);
    return connection;
  }

  /**
   * Begins an engine transaction that holds the connection (a pool's writer) until commit or rollback.
   * `accessMode: 'read only'` begins `DEFERRED`, and on a pool runs on a reader with one snapshot.
   */
  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    await connectionControl(connection).begin(settings);
  }

  /** Commits; a failed COMMIT rejects with SQLite's error after the engine rolled back. */
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connectionControl(connection).commit();
  }

  /** Rolls back. */
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connectionControl(connection).rollback();
  }

  /** Opens a savepoint: a nested engine transaction. */
  async savepoint(connection: DatabaseConnection, savepointName: string, _compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    await connectionControl(connection).savepoint(savepointName);
  }

  /** Rolls back to a savepoint, which stays open (and so do none of the savepoints made after it). */
  async rollbackToSavepoint(connection: DatabaseConnection, savepointName: string, _compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    await connectionControl(connection).rollbackToSavepoint(savepointName);
  }

  /** Releases a savepoint and the savepoints made after it. */
  async releaseSavepoint(connection: DatabaseConnection, savepointName: string, _compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    await connectionControl(connection).releaseSavepoint(savepointName);
  }

  /** Rolls back a transaction left open on the connection, if any. */
  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    try {
      await connectionControl(connection).release();
    } finally {
      this.#live.delete(connection);
      if (this.#live.size === 0) this.#drained?.();
    }
  }

  /**
   * Lets the queries made before `destroy()` finish (open transactions included), then closes the handle (unless
   * `closeOnDestroy: false`). Queries made afterwards fail.
   */
  async destroy(): Promise<void> {
    // Queries issued just before destroy() are still on their way to acquireConnection, through promise callbacks
    // only: one macrotask turn lets them all arrive, so they count as live below.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.#live.size > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
    const settings = this.#settings;
    if (settings !== undefined && this.#options.closeOnDestroy !== false) await settings.handle.close();
  }
}

