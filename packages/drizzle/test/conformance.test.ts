import { describe, it } from 'vitest';
import { join } from 'node:path';
import { DrizzleQueryError } from 'drizzle-orm';
import { ErrorCodes, RapsqliteError, type IterateOptions, type Middleware, type Params, type QueryOptions, type Queryable, type Row, type RunManyResult, type RunResult, type Statement, type Transaction, type TransactionOptions, type ValuesResult } from '@rapsqlite/engine';
import { defineConformanceSuite, type ConformanceHandle } from '@rapsqlite/testing';
import { drizzle, iterate, type RapsqliteClient, type RapsqlitePreparedQuery, type RapsqliteSession } from '../src/index.ts';
import { HANDLES } from './helpers.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = { session: RapsqliteSession<any, any>; transaction: (fn: (tx: AnyDb) => Promise<unknown>, config?: { behavior?: string }) => Promise<unknown> };

function unsupported(what: string): Promise<never> {
  return Promise.reject(new RapsqliteError('ERR_CONFORMANCE_UNSUPPORTED', `${what} has no Drizzle equivalent`));
}

/** Drizzle wraps a failed query's error in DrizzleQueryError, with the driver's error (and its code) as `cause`. */
async function unwrap<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw err instanceof DrizzleQueryError ? err.cause : err;
  }
}

function positional(params: Params | undefined): unknown[] {
  if (params === undefined) return [];
  if (Array.isArray(params)) return params as unknown[];
  return [params];
}

/**
 * The engine's query API expressed with Drizzle's session: every call is a query prepared by the driver's session
 * (the code path of every Drizzle query builder), transactions are Drizzle's, nested ones its savepoints, and
 * `iterate` is this package's streaming. So the conformance suite checks what the driver passes through.
 */
class DrizzleQueryable implements Queryable {
  readonly #db: AnyDb;
  readonly #nested: boolean;

  constructor(db: AnyDb, nested: boolean) {
    this.#db = db;
    this.#nested = nested;
  }

  #prepare(sql: string, params: Params | undefined, method: 'run' | 'all' | 'get'): RapsqlitePreparedQuery {
    if (typeof sql !== 'string') throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, 'SQL must be a string');
    return this.#db.session.prepareQuery({ sql, params: positional(params) }, undefined, method, false);
  }

  exec(_sql: string, _options?: QueryOptions): Promise<void> {
    return unsupported('A multi-statement script inside a transaction');
  }

  // Each call reaches the engine synchronously, as a Drizzle query's execution does.
  run(sql: string, params?: Params): Promise<RunResult> {
    return unwrap(() => this.#prepare(sql, params, 'run').run());
  }

  async runMany(sql: string, paramsList: readonly Params[], options?: QueryOptions): Promise<RunManyResult> {
    if (!Array.isArray(paramsList)) throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, 'runMany takes an array of parameter sets');
    // Emulated for set-up: one query per set inside a transaction (a savepoint when nested).
    return this.transaction(async (tx) => {
      let changes = 0;
      let lastInsertRowid: number | bigint = 0;
      for (const params of paramsList) ({ changes: changes, lastInsertRowid } = await tx.run(sql, params, options).then((r) => ({ changes: changes + r.changes, lastInsertRowid: r.lastInsertRowid })));
      return { changes, lastInsertRowid, count: paramsList.length };
    });
  }

  get<R = Row>(sql: string, params?: Params): Promise<R | undefined> {
    return unwrap(() => this.#prepare(sql, params, 'get').get() as Promise<R | undefined>);
  }

  all<R = Row>(sql: string, params?: Params): Promise<R[]> {
    return unwrap(() => this.#prepare(sql, params, 'all').all() as Promise<R[]>);
  }

  values<V extends unknown[] = unknown[]>(): Promise<ValuesResult<V>> {
    return unsupported('values() with column metadata');
  }

  iterate<R = Row>(sql: string, params?: Params, options?: IterateOptions): AsyncIterableIterator<R> & AsyncDisposable {
    const query = { prepare: () => this.#prepare(sql, params, 'all'), then: undefined as never };
    const generator = iterate<R>(query as never, options?.chunkSize === undefined ? {} : { chunkSize: options.chunkSize });
    return Object.assign(generator, { [Symbol.asyncDispose]: async () => void (await generator.return(undefined)) });
  }

  prepare<R = Row>(): Promise<Statement<R>> {
    return unsupported('prepare() with statement metadata');
  }

  transaction<T>(callback: (tx: Transaction) => Promise<T> | T, options?: TransactionOptions): Promise<T> {
    if (typeof callback !== 'function') return Promise.reject(new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, 'transaction() takes a callback'));
    const behavior = this.#nested ? undefined : options?.mode;
    return this.#db.transaction(async (tx) => callback(new DrizzleQueryable(tx, true) as unknown as Transaction), behavior === undefined ? undefined : { behavior }) as Promise<T>;
  }
}

/** The top-level handle: Drizzle on the client, plus set-up scripts (`exec`) run on the client itself. */
class DrizzleHandle extends DrizzleQueryable implements ConformanceHandle {
  readonly #client: RapsqliteClient & { with(...mw: Middleware[]): RapsqliteClient };

  constructor(client: RapsqliteClient & { with(...mw: Middleware[]): RapsqliteClient }) {
    super(drizzle(client) as unknown as AnyDb, false);
    this.#client = client;
  }

  // Drizzle runs one statement per query: a script goes to the client directly (set-up only, not under test).
  override exec(sql: string, options?: QueryOptions): Promise<void> {
    return this.#client.exec(sql, options);
  }

  close(): Promise<void> {
    return this.#client.close();
  }

  with(...middleware: Middleware[]): Queryable {
    return new DrizzleHandle(this.#client.with(...middleware) as RapsqliteClient & { with(...mw: Middleware[]): RapsqliteClient });
  }
}

/** Checks that need what Drizzle cannot express, by group or by name. */
const SKIP = [
  // Per-call options: Drizzle has no per-query integer mode, signal or deadline.
  'cancellation',
  "results > returns bigints with integers: 'bigint' and only unsafe ones with 'auto', per call",
  'streaming > converts integers and BLOBs in streamed rows as in all()',
  // values() with column metadata, prepare() and runMany()'s own contract have no Drizzle counterpart.
  'prepare',
  'runMany',
  'results > returns array rows and column metadata from values',
  'results > returns BLOBs as Buffers, whether bound as a Buffer or a Uint8Array',
  'results > keeps the last of duplicate column names',
  'results > runs a multi-statement script with exec and resolves with undefined',
  'transactions > sees its own uncommitted writes through every query method of tx',
  'errors > rejects get, all, values and iterate on a statement that returns no rows with ERR_RAPSQLITE_NOT_A_QUERY',
  'errors > rejects every call after close with ERR_RAPSQLITE_CLOSED, and close is idempotent',
  // Drizzle passes positional parameters only, and formats a failed query's parameters into its error message (which
  // throws for a Symbol before the driver's error can surface).
  'results > binds positional arrays, a single value and named objects with :x, @x and $x',
  'errors > rejects a missing named parameter with ERR_RAPSQLITE_PARAMETER_MISSING',
  'streaming > binds parameters and ends at once on an empty result',
  'errors > rejects an unknown named parameter with ERR_RAPSQLITE_PARAMETER_UNKNOWN',
  'errors > rejects parameter values SQLite cannot bind with ERR_RAPSQLITE_PARAMETER_TYPE',
  // Middleware sees the engine's calls the driver makes, not the method the suite called.
  'middleware',
];

const runner = {
  describe: (name: string, body: () => void) => (SKIP.includes(name) ? undefined : describe(name, body)),
  it: (name: string, body: () => Promise<void>) => it(name, body),
};
for (const kind of ['database', 'pool'] as const) {
  defineConformanceSuite(
    `Drizzle on a ${kind}`,
    async (dir) => new DrizzleHandle((await HANDLES[kind](join(dir, 'conformance.db'))) as RapsqliteClient & { with(...mw: Middleware[]): RapsqliteClient }),
    { ...runner, skip: SKIP },
  );
}
