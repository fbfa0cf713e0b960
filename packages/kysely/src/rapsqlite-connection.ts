import { ErrorCodes, RapsqliteError, hasErrorCode, type IntegerMode, type Params, type QueryOptions, type Queryable, type TransactionMode } from '@rapsqlite/engine';
import type { CompiledQuery, DatabaseConnection, QueryResult, TransactionSettings } from 'kysely';
import { TransactionScope } from './internal/transaction-scope.ts';
import type { RapsqliteHandle } from './rapsqlite-dialect-options.ts';
import { statementKind } from './statement-kind.ts';
import { invalidArgument } from '@rapsqlite/engine/plugin';

/** What a connection needs from its driver: the handle, per-call settings, and the memory of raw statements' kinds. */
export interface ConnectionSettings {
  readonly handle: RapsqliteHandle;
  readonly integers: IntegerMode | undefined;
  readonly transactionMode: TransactionMode;
  /** Raw SQL strings known to return no rows, so they go straight to `run` (bounded: oldest dropped). */
  readonly nonQueries: Set<string>;
}

const NON_QUERY_MEMORY = 1000;

/** The transaction controls the driver calls; reachable only from this package (see {@link connectionControl}). */
export interface ConnectionControl {
  begin(settings: TransactionSettings): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  savepoint(name: string): Promise<void>;
  rollbackToSavepoint(name: string): Promise<void>;
  releaseSavepoint(name: string): Promise<void>;
  /** Rolls back a transaction the connection still holds when Kysely releases it. */
  release(): Promise<void>;
}

let controlOf: (connection: RapsqliteConnection) => ConnectionControl;

/** The driver's access to a connection's transaction controls. */
export function connectionControl(connection: DatabaseConnection): ConnectionControl {
  if (!(connection instanceof RapsqliteConnection)) {
    throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, 'The connection was not made by this dialect');
  }
  return controlOf(connection);
}

interface OpenScope {
  readonly name: string | undefined;
  readonly scope: TransactionScope;
}

function invalid(message: string): RapsqliteError {
  return invalidArgument(message);
}

/**
 * One Kysely connection over a rapsqlite database or pool. It is a lightweight view, not a worker: outside a
 * transaction its queries go to the handle, which runs them at once (a pool sends reads to its readers, in
 * parallel), so any number of these can be in use together. `beginTransaction` pins it to one engine transaction
 * (on a pool, the writer) until commit or rollback; savepoints nest inside that transaction.
 */
export class RapsqliteConnection implements DatabaseConnection {
  readonly #settings: ConnectionSettings;
  /** The open transaction (first) and savepoints (after it), innermost last. */
  readonly #scopes: OpenScope[] = [];
  readonly #control: ConnectionControl;

  static {
    controlOf = (connection) => connection.#control;
  }

  /** @internal Made by the driver. */
  constructor(settings: ConnectionSettings) {
    this.#settings = settings;
    this.#control = {
      begin: (settings) => this.#begin(settings),
      commit: () => this.#end(0, 'commit'),
      // Kysely rolls back after a failed COMMIT, which the engine has already rolled back: nothing is left to do.
      rollback: async () => {
        if (this.#scopes.length > 0) await this.#end(0, 'rollback');
      },
      savepoint: (name) => this.#savepoint(name),
      rollbackToSavepoint: async (name) => {
        const at = this.#find(name);
        await this.#end(at, 'rollback');
        // ROLLBACK TO keeps the savepoint open (Kysely's types keep its name): the engine's nested transaction rolls
        // back and releases, so open the same savepoint again, at the same state.
        await this.#savepoint(name);
      },
      releaseSavepoint: async (name) => this.#end(this.#find(name), 'commit'),
      release: () => this.#control.rollback(),
    };
  }

  /** The engine handle statements go to now: the innermost savepoint, the transaction, or the database or pool. */
  get #target(): Queryable {
    return this.#scopes.at(-1)?.scope.tx ?? this.#settings.handle;
  }

  #options(signal: AbortSignal | undefined): QueryOptions {
    const { integers } = this.#settings;
    if (integers === undefined) return signal === undefined ? {} : { signal };
    return signal === undefined ? { integers } : { integers, signal };
  }

  /**
   * Runs one compiled query. SELECT and statements with RETURNING run with `all` and return rows; other statements
   * run with `run` and report `numAffectedRows` and `insertId` as bigints. A raw `sql` query is tried with `all` and,
   * when SQLite says it returns no rows (nothing ran), with `run`; the answer is remembered per SQL string.
   */
  async executeQuery<R>(compiledQuery: CompiledQuery, options?: { readonly signal?: AbortSignal | undefined }): Promise<QueryResult<R>> {
    const { sql, parameters, query } = compiledQuery;
    const target = this.#target;
    const params = parameters as Params;
    const callOptions = this.#options(options?.signal);
    let kind = statementKind(query, sql);
    if (kind === 'unknown' && this.#settings.nonQueries.has(sql)) kind = 'changes';
    if (kind !== 'changes') {
      try {
        return { rows: await target.all<R>(sql, params, callOptions) };
      } catch (err) {
        if (kind === 'rows' || !hasErrorCode(err, ErrorCodes.NOT_A_QUERY)) throw err;
        this.#remember(sql);
      }
    }
    const { changes, lastInsertRowid } = await target.run(sql, params, callOptions);
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  }

  /**
   * Streams a query's rows with the engine's chunked `iterate`: `chunkSize` rows move from the worker per message
   * and Kysely receives them in results of that size. Leaving the loop early finalizes the statement in the worker.
   */
  async *streamQuery<R>(compiledQuery: CompiledQuery, chunkSize = 256, options?: { readonly signal?: AbortSignal | undefined }): AsyncIterableIterator<QueryResult<R>> {
    if (!Number.isInteger(chunkSize) || chunkSize < 1) throw invalid('chunkSize must be a positive integer');
    const { sql, parameters } = compiledQuery;
    const iterator = this.#target.iterate<R>(sql, parameters as Params, { ...this.#options(options?.signal), chunkSize });
    let rows: R[] = [];
    // for-await closes the iterator (and so the statement in the worker) when the consumer stops early.
    for await (const row of iterator) {
      rows.push(row);
      if (rows.length === chunkSize) {
        yield { rows };
        rows = [];
      }
    }
    if (rows.length > 0) yield { rows };
  }

  #remember(sql: string): void {
    const memory = this.#settings.nonQueries;
    if (memory.size >= NON_QUERY_MEMORY) memory.delete(memory.values().next().value as string);
    memory.add(sql);
  }

  async #begin(settings: TransactionSettings): Promise<void> {
    if (this.#scopes.length > 0) throw invalid('This connection already has a transaction open');
    const readOnly = settings.accessMode === 'read only';
    // SQLite is serializable, which satisfies every isolation level Kysely can ask for; there is nothing to set.
    const scope = await TransactionScope.open(
      this.#settings.handle,
      readOnly ? { mode: 'deferred', readonly: true } : { mode: this.#settings.transactionMode },
    );
    this.#scopes.push({ name: undefined, scope });
  }

  async #savepoint(name: string): Promise<void> {
    const top = this.#scopes.at(-1);
    if (top === undefined) throw invalid('A savepoint needs an open transaction');
    this.#scopes.push({ name, scope: await TransactionScope.open(top.scope.tx) });
  }

  /** The position of the innermost savepoint with this name. */
  #find(name: string): number {
    for (let i = this.#scopes.length - 1; i > 0; i--) if (this.#scopes[i]!.name === name) return i;
    throw invalid(`No savepoint named "${name}" is open on this connection`);
  }

  /**
   * Ends the scope at `depth` and every scope inside it, innermost first, as SQLite's RELEASE and ROLLBACK TO do for
   * later savepoints. On commit the first failure stops (and the engine has rolled that level back); the scopes
   * around it stay for the caller's rollback.
   */
  async #end(depth: number, how: 'commit' | 'rollback'): Promise<void> {
    if (this.#scopes.length <= depth) throw invalid('No transaction is open on this connection');
    while (this.#scopes.length > depth) {
      const { scope } = this.#scopes.pop()!;
      if (how === 'rollback') await scope.rollback();
      else await scope.commit();
    }
  }
}
