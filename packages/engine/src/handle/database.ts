import type { FunctionRegistration } from '../connection/connection.ts';
import { closedError, invalidArgument } from '../errors/catalogue.ts';
import { ErrorCodes } from '../errors/codes.ts';
import { RapsqliteError } from '../errors/rapsqlite-error.ts';
import { assertMiddleware, compose } from '../middleware/compose.ts';
import type { Execute, Middleware, Step } from '../middleware/middleware.ts';
import type { ConnectionInfo, Operation } from '../middleware/operation.ts';
import type { AuthorizerRules } from '../native/authorizer-rules.ts';
import { moduleSpecifier } from '../options.ts';
import { abortedError, unsupportedError } from '../errors/catalogue.ts';
import type { Connection } from '../connection/connection.ts';
import { attachSpec, keySpec, type AttachTarget, type CipherName, type EncryptionKey } from '../toolbox/options.ts';
import { checkBackupRequest, type BackupProgress, type BackupResult } from '../worker/tools/backup.ts';
import type { Core } from './core.ts';
import { QueryableBase } from './queryable-base.ts';
import { terminal } from './terminal.ts';
import { traceStep } from '../diagnostics/channels.ts';
import { currentLease } from './transaction.ts';
import { loadExtensionOn, routedError, setLimit, subscribeChanges, type ChangeListener, type Unsubscribe } from './connection-hooks.ts';

/** Options of {@link Database.backup}. */
export interface BackupOptions {
  /** Stops the backup; the partial copy is removed and the call rejects with `ERR_RAPSQLITE_ABORTED`. */
  readonly signal?: AbortSignal;
  /** Pages copied per step (default 100); the connection answers other calls between steps. -1 copies in one step. */
  readonly pagesPerStep?: number;
  /** Called after every step, on your thread, with the pages left. */
  readonly onProgress?: (progress: BackupProgress) => void;
  /** The schema to back up: `'main'` (default) or an attached database's alias. */
  readonly schema?: string;
}

/** A toolbox error (plain data with a code) as a RapsqliteError. */
function coded(err: unknown): unknown {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (err instanceof RapsqliteError || typeof e?.code !== 'string') return err;
  return new RapsqliteError(e.code, String(e.message), { cause: err });
}

/** Where to find a user function or aggregate: a module the worker imports, and the export to use. */
export interface FunctionSource {
  /** An absolute path, a `file:` URL (string or URL) or a package name. Relative paths are ambiguous and refused. */
  readonly module: string | URL;
  /** The export's name. Default `'default'`. */
  readonly export?: string;
  /**
   * The function returns the same result for the same arguments: SQLite may evaluate it once per statement for
   * constant arguments. To use it in an index, a generated column, a view or a trigger, also set `innocuous`:
   * rapsqlite opens connections with `trusted_schema = OFF`, under which SQLite refuses functions in the schema that
   * are not marked innocuous.
   */
  readonly deterministic?: boolean;
  /**
   * The function has no side effects and may run from the schema (indexes, generated columns, CHECK constraints,
   * views, triggers) with `trusted_schema = OFF`. Scalar functions only; needs the native companion
   * (`ERR_RAPSQLITE_UNSUPPORTED` without it). Each call then costs one nested statement (a few microseconds). See
   * docs/security.md.
   */
  readonly innocuous?: boolean;
  /** The function takes any number of arguments. */
  readonly varargs?: boolean;
  /**
   * Integer arguments arrive as bigints (exact beyond 2^53) instead of numbers. Default false: numbers, as most
   * JavaScript code expects; integers beyond ±(2^53−1) are then rounded.
   */
  readonly bigintArguments?: boolean;
  /** The function may not be called from views, triggers or schema structures (recommended for side effects). */
  readonly directOnly?: boolean;
}

function registration(kind: 'function' | 'aggregate', name: string, source: FunctionSource): FunctionRegistration {
  if (typeof name !== 'string' || name === '') throw invalidArgument('A function needs a name');
  if (typeof source !== 'object' || source === null) throw invalidArgument('A function source is { module, export?, … }');
  if (source.innocuous === true && (kind === 'aggregate' || source.directOnly === true)) {
    throw invalidArgument(kind === 'aggregate' ? 'Only scalar functions can be innocuous' : 'A function cannot be both innocuous and directOnly');
  }
  return {
    kind,
    name,
    module: moduleSpecifier(source.module),
    export: source.export ?? 'default',
    ...(source.deterministic === undefined ? {} : { deterministic: source.deterministic }),
    ...(source.varargs === undefined ? {} : { varargs: source.varargs }),
    ...(source.directOnly === undefined ? {} : { directOnly: source.directOnly }),
    ...(source.innocuous === undefined ? {} : { innocuous: source.innocuous }),
    bigintArguments: source.bigintArguments ?? false,
  };
}

/**
 * A handle on a database: the query API, one middleware chain, and the connection provider behind them — one worker
 * thread with one better-sqlite3 connection (from {@link open}), or a pool's writer and readers (`createPool` returns
 * a subclass). The caller's thread never runs SQLite, so a slow query never stalls the event loop. The chain runs
 * above the provider: a middleware sees each operation before a connection is chosen.
 */
export class Database extends QueryableBase implements AsyncDisposable {
  #middleware: readonly Middleware[];
  #chain: Execute;
  readonly #terminal: Step;

  /**
   * @internal Use {@link open} (or `createPool`). A package that provides connections (a pool, a remote connection
   * type) builds its handle with this constructor, directly or through a subclass.
   */
  constructor(core: Core, middleware: readonly Middleware[]) {
    super(core, undefined);
    for (const mw of middleware) assertMiddleware(mw);
    const chain = (): Execute => this.#chain;
    // Every statement that reaches the database is published on diagnostics_channel (one check when nobody listens).
    this.#terminal = traceStep((op: Operation) => terminal(core, op, chain));
    this.#middleware = Object.freeze([...middleware]);
    this.#chain = compose(this.#middleware, this.#terminal);
  }

  /** @internal */
  protected chain(): Execute {
    return this.#chain;
  }

  /** The connection that answers for this handle: the single connection, or a pool's writer. */
  get connection(): ConnectionInfo {
    return this.core.provider.primary.info;
  }

  /** The path given to `open`, or `':memory:'`. */
  get path(): string {
    return this.core.provider.path;
  }

  /** True when opened read-only. */
  get readonly(): boolean {
    return this.core.settings.readonly;
  }

  /** True once {@link close} has been called. */
  get closed(): boolean {
    return this.core.provider.closing;
  }

  /** The middleware of this handle, outermost first. */
  get middleware(): readonly Middleware[] {
    return this.#middleware;
  }

  /**
   * Adds middleware to this handle (innermost so far). Handles made earlier with {@link with} are not affected, and
   * neither is a transaction already running: it keeps the chain it began with.
   */
  use(...middleware: Middleware[]): this {
    for (const mw of middleware) assertMiddleware(mw);
    this.#middleware = Object.freeze([...this.#middleware, ...middleware]);
    this.#chain = compose(this.#middleware, this.#terminal);
    return this;
  }

  /**
   * Returns a new handle on the same connections with more middleware, leaving this one unchanged: a way to scope a
   * plugin to one part of an application. Closing either handle closes the shared connections.
   */
  with(...middleware: Middleware[]): this {
    for (const mw of middleware) assertMiddleware(mw);
    return this.derive([...this.#middleware, ...middleware]) as this;
  }

  /** @internal A handle of this class on the same core with `middleware`; subclasses return their own class. */
  protected derive(middleware: readonly Middleware[]): Database {
    return new Database(this.core, middleware);
  }

  /**
   * Registers a user-defined scalar function. Closures cannot cross threads, so the function is named by module and
   * export and imported inside the worker; it is registered again on every replacement worker (and, on a pool, on
   * every connection, present and future).
   *
   * @example
   * ```ts
   * // slugify.js: export function slugify(text) { return text.toLowerCase().replace(/\W+/g, '-'); }
   * await db.function('slugify', { module: new URL('./slugify.js', import.meta.url), export: 'slugify', deterministic: true });
   * ```
   */
  async function(name: string, source: FunctionSource): Promise<void> {
    if (this.core.provider.closing) throw closedError();
    await this.core.provider.register(registration('function', name, source));
  }

  /**
   * Registers a user-defined aggregate (or window function, when the export has `inverse`). The export is an object
   * `{ start?, step, inverse?, result? }` as better-sqlite3's `aggregate()` takes it.
   */
  async aggregate(name: string, source: FunctionSource): Promise<void> {
    if (this.core.provider.closing) throw closedError();
    await this.core.provider.register(registration('aggregate', name, source));
  }

  /**
   * Stops whatever statement runs now (on a pool: on every connection): its call rejects with
   * `ERR_RAPSQLITE_ABORTED`. Calls queued behind it still run. Returns false when nothing was running or the native
   * companion is not available.
   */
  interrupt(): boolean {
    return this.core.provider.interrupt(new RapsqliteError(ErrorCodes.ABORTED, 'Interrupted by db.interrupt()'));
  }

  /**
   * Installs (or, with `null`, removes) an authorizer on every connection: statements that need a denied action or
   * table fail when prepared, with `SQLITE_AUTH`. Needs the native companion (`ERR_RAPSQLITE_UNSUPPORTED` without
   * it). The rules are replayed on replacement workers and new pool readers.
   */
  async authorizer(rules: AuthorizerRules | null): Promise<void> {
    if (this.core.provider.closing) throw closedError();
    await this.core.provider.setAuthorizer(rules);
  }

  /**
   * Copies the database to a file while it stays in use: SQLite's online backup, run in the worker a few pages per
   * step (the connection answers other calls between steps, and writes made meanwhile are folded into the copy). The
   * copy is a consistent snapshot that opens and passes `PRAGMA integrity_check`. On a pool it runs on the writer.
   * See docs/backup-and-dump.md.
   *
   * @example
   * ```ts
   * await db.backup('/backups/app-2026-12-01.db', { onProgress: (p) => console.log(p.remainingPages, '/', p.totalPages) });
   * ```
   */
  async backup(destination: string, options: BackupOptions = {}): Promise<BackupResult> {
    let request: ReturnType<typeof checkBackupRequest>;
    try {
      request = checkBackupRequest({ destination, ...(options.schema === undefined ? {} : { schema: options.schema }), ...(options.pagesPerStep === undefined ? {} : { pagesPerStep: options.pagesPerStep }) });
    } catch (err) {
      throw coded(err);
    }
    const { signal, onProgress } = options;
    if (onProgress !== undefined && typeof onProgress !== 'function') throw invalidArgument('Option onProgress must be a function');
    if (signal?.aborted === true) throw abortedError(signal.reason);
    return this.#onPrimary('backup', async (connection) => {
      const ticket = { id: 0, cancelled: undefined };
      const onAbort = (): void => connection.cancel(ticket, abortedError(signal?.reason));
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        return await connection.execute({ kind: 'backup', sql: '', extra: request, ticket, onPartial: onProgress as ((p: unknown) => void) | undefined });
      } catch (err) {
        throw coded(err);
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    });
  }

  /** The whole database (or an attached one, by alias) as bytes, which `open(bytes)` opens again. On a pool: the writer's view. */
  async serialize(schema = 'main'): Promise<Buffer> {
    if (typeof schema !== 'string' || schema === '') throw invalidArgument('serialize() takes a schema name');
    return this.#onPrimary('serialize', (connection) => connection.execute({ kind: 'serialize', sql: '', extra: schema }).catch((err: unknown) => Promise.reject(coded(err))));
  }

  /**
   * Attaches a database under `alias` on every connection (a pool's writer and readers), now and on every replacement
   * worker; `SELECT * FROM alias.table` then works. Fails with `ERR_RAPSQLITE_ATTACH_EXISTS` when the alias is taken.
   */
  async attach(alias: string, target: AttachTarget): Promise<void> {
    if (this.core.provider.closing) throw closedError();
    const attach = this.core.provider.attach;
    if (attach === undefined) throw unsupportedError('This connection type cannot attach databases');
    let spec: ReturnType<typeof attachSpec>;
    try {
      spec = attachSpec(alias, target);
    } catch (err) {
      throw coded(err);
    }
    await attach.call(this.core.provider, spec).catch((err: unknown) => Promise.reject(coded(err)));
  }

  /** Detaches the database attached under `alias`, everywhere. */
  async detach(alias: string): Promise<void> {
    if (this.core.provider.closing) throw closedError();
    const detach = this.core.provider.detach;
    if (detach === undefined) throw unsupportedError('This connection type cannot detach databases');
    if (typeof alias !== 'string' || alias === '') throw invalidArgument('detach() takes an alias');
    await detach.call(this.core.provider, alias).catch((err: unknown) => Promise.reject(coded(err)));
  }

  /**
   * Re-encrypts the database with a new key (`null` decrypts it), on a database opened with `key` or `cipher` (the
   * encrypting driver). Later workers open the file with the new key. A single database only: a pool's readers hold
   * the old key (`ERR_RAPSQLITE_UNSUPPORTED`). See docs/encryption.md.
   */
  async rekey(key: EncryptionKey | null, cipher?: CipherName): Promise<void> {
    if (this.core.provider.closing) throw closedError();
    if (this.core.provider.routes) throw unsupportedError('rekey() works on a single database; close the pool and rekey with open()');
    let spec: ReturnType<typeof keySpec>;
    try {
      spec = keySpec(key ?? '', cipher);
    } catch (err) {
      throw coded(err);
    }
    await this.#onPrimary('rekey', async (connection) => {
      await connection.execute({ kind: 'rekey', sql: '', extra: spec }).catch((err: unknown) => Promise.reject(coded(err)));
      (connection as Connection & { setKey?: (k: typeof spec) => void }).setKey?.(spec);
    });
  }

  /**
   * Calls `listener` for each row that an INSERT, UPDATE or DELETE changes in a rowid table, through SQLite's update
   * hook (on a pool: the writer, where every write runs). Changes are reported as they happen, in order, including
   * those of a statement or transaction that is then rolled back; the listener runs on your thread before the promise
   * of the call that made the change resolves. Not reported, as in SQLite: WITHOUT ROWID tables, `DELETE` without
   * `WHERE` (the truncate optimization), the deletion of a row that an `ON CONFLICT REPLACE` replaces. While subscribed the database
   * keeps the process alive. Needs the native companion: without it the promise rejects with `ERR_RAPSQLITE_UNSUPPORTED`.
   * See docs/sqlite-features.md.
   *
   * @example
   * ```ts
   * const stop = await db.onChange(({ type, table, rowid }) => console.log(type, table, rowid));
   * await db.run('INSERT INTO users (name) VALUES (?)', ['Ada']); // logs: insert users 1
   * await stop();
   * ```
   */
  async onChange(listener: ChangeListener): Promise<Unsubscribe> {
    if (this.core.provider.closing) throw closedError();
    return subscribeChanges(this.core.provider.primary, listener);
  }

  /**
   * Sets one of SQLite's run-time limits (`sqlite3_limit`; `id` from {@link SqliteLimit}) on the connection and
   * resolves with its previous value; without `value` it only reads it. SQLite lowers a value above the compile-time
   * maximum to that maximum. Replayed on replacement workers. A single database only (`ERR_RAPSQLITE_UNSUPPORTED` on a
   * pool); needs the native companion (`ERR_RAPSQLITE_UNSUPPORTED` without it).
   *
   * @example
   * ```ts
   * await db.limit(SqliteLimit.VARIABLE_NUMBER, 100); // statements with more than 100 parameters now fail
   * ```
   */
  async limit(id: number, value?: number): Promise<number> {
    if (this.core.provider.closing) throw closedError();
    if (this.core.provider.routes) throw routedError('limit()');
    return setLimit(this.core.provider.primary, id, value);
  }

  /**
   * Loads an SQLite extension (a shared library) into the connection, as the `extensions` option of {@link open}
   * does at open, and again on every replacement worker. SQL's `load_extension()` stays refused. A single database
   * only (`ERR_RAPSQLITE_UNSUPPORTED` on a pool: use its `extensions` option). Fails with
   * `ERR_RAPSQLITE_EXTENSION_LOAD`, with SQLite's message, when the library cannot be loaded.
   */
  async loadExtension(path: string, entryPoint?: string): Promise<void> {
    if (this.core.provider.closing) throw closedError();
    if (this.core.provider.routes) throw routedError('loadExtension()');
    await loadExtensionOn(this.core.provider.primary, path, entryPoint).catch((err: unknown) => Promise.reject(coded(err)));
  }

  /** Runs `task` on the connection that answers for the handle (a pool's writer), after the calls queued before it. */
  async #onPrimary<T>(what: string, task: (connection: Connection) => Promise<T>): Promise<T> {
    const provider = this.core.provider;
    if (provider.closing) throw closedError();
    const acquired = provider.acquire({ kind: 'exec', sql: `-- ${what}`, exclusive: false, access: 'write', options: {}, held: currentLease() });
    const lease = acquired instanceof Promise ? await acquired : acquired;
    let failure: unknown;
    try {
      return await task(lease.connection);
    } catch (err) {
      failure = err ?? new Error('undefined was thrown');
      throw err;
    } finally {
      if (provider.tracksCalls) provider.release(lease, failure);
    }
  }

  /**
   * Lets queued and running calls finish, then closes the connections and stops the workers. Calls made after
   * `close()` reject with `ERR_RAPSQLITE_CLOSED`. Idempotent.
   */
  close(): Promise<void> {
    return this.core.provider.close();
  }

  /** Closes the database at the end of an `await using` block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
