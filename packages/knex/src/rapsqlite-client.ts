import { createRequire } from 'node:module';
import { Readable, type Transform } from 'node:stream';
import type { RapsqliteError} from '@rapsqlite/engine';
import { ErrorCodes, hasErrorCode, INTEGER_MODES, open, TRANSACTION_MODES, type DatabaseOptions, type IntegerMode, type Queryable, type QueryOptions, type SqlValue, type TransactionMode } from '@rapsqlite/engine';
import type { PoolOptions } from '@rapsqlite/pool';
import type { Knex } from 'knex';
import { foreignKeysSetting, isPragmaRead, isPragmaWrite, parseControl } from './control.ts';
import { toNodeSqlite3Error } from './errors.ts';
import { Session, SessionCore, type SessionSettings } from './session.ts';
import { invalidArgument } from '@rapsqlite/engine/plugin';

/** The `connection` settings of a knex instance on rapsqlite. */
export interface RapsqliteConnectionConfig {
  /** The SQLite file (or `':memory:'`). The client opens it on first use and closes it on `knex.destroy()`. */
  readonly filename?: string;
  /** A rapsqlite `Database` or `Pool` you opened, used instead of `filename`; `knex.destroy()` leaves it open. */
  readonly handle?: Queryable;
  /** Opens a `@rapsqlite/pool` (one writer, parallel readers) on `filename`: `true`, or the pool's options. */
  readonly pool?: boolean | PoolOptions;
  /** Options of the engine's `open()` for `filename`, when no pool is opened. */
  readonly database?: DatabaseOptions;
  /**
   * How integers reach JavaScript, as the engine's `integers` (default `'number'`, which fails with
   * `ERR_RAPSQLITE_INTEGER_OVERFLOW` rather than round a value past 2^53). Per query: `.options({ integers: 'bigint' })`,
   * or better-sqlite3's `.options({ safeIntegers: true })`.
   */
  readonly integers?: IntegerMode;
  /** How transactions begin. Default `'immediate'` (knex's SQLite clients send a deferred `BEGIN`). */
  readonly transactionMode?: TransactionMode;
  /**
   * Throws SQLite errors in node-sqlite3's shape (`code: 'SQLITE_CONSTRAINT'`, `errno`, the code in the message, the
   * extended code in `extendedCode`), which db-errors, and so Objection's `UniqueViolationError`, recognise. Default
   * false: errors keep SQLite's extended code in `code`, as with knex's better-sqlite3 client.
   */
  readonly nodeSqlite3Errors?: boolean;
  /** Rows per message when streaming (`.stream()`); default 256. */
  readonly chunkSize?: number;
}

interface QueryObject {
  sql: string;
  bindings?: unknown[];
  method?: string;
  returning?: unknown;
  options?: { safeIntegers?: unknown; integers?: unknown } | undefined;
  response?: unknown;
  context?: { lastID: number | bigint | undefined; changes: number };
}

interface SqliteClientBase {
  readonly config: Knex.Config;
  connectionSettings: object;
  logger: { warn(message: string): void };
  destroy(callback?: unknown): Promise<void>;
  poolDefaults(): { min: number; max: number; propagateCreateError: boolean };
}

type SqliteClientClass = new (config: Knex.Config) => SqliteClientBase;
type SqliteTransactionClass = new (...args: unknown[]) => { readOnly?: boolean; begin(conn: unknown): Promise<unknown> };

const require = createRequire(import.meta.url);
// knex has no exports map; its SQLite dialect is the documented base for SQLite clients (better-sqlite3's extends it).
const Client_SQLite3 = require('knex/lib/dialects/sqlite3') as SqliteClientClass;
const Transaction_Sqlite = require('knex/lib/dialects/sqlite3/execution/sqlite-transaction') as SqliteTransactionClass;

const CONFIG_KEYS: ReadonlySet<string> = new Set(['filename', 'handle', 'pool', 'database', 'integers', 'transactionMode', 'nodeSqlite3Errors', 'chunkSize']);
const READ_METHODS: ReadonlySet<string | undefined> = new Set(['select', 'first', 'pluck', 'columnInfo']);

function invalid(message: string): RapsqliteError {
  return invalidArgument(message);
}

function isHandle(value: unknown): value is Queryable {
  const h = value as Partial<Queryable> | null;
  return typeof h === 'object' && h !== null && typeof h.all === 'function' && typeof h.run === 'function' && typeof h.transaction === 'function' && typeof h.iterate === 'function';
}

function checkConfig(settings: object): Readonly<RapsqliteConnectionConfig> {
  const config = settings as RapsqliteConnectionConfig;
  for (const key of Object.keys(config)) if (!CONFIG_KEYS.has(key)) throw invalid(`Unknown rapsqlite connection setting "${key}"`);
  if (config.filename === undefined && config.handle === undefined) throw invalid('The connection needs a filename or a handle');
  if (config.filename !== undefined && (typeof config.filename !== 'string' || config.filename === '')) throw invalid('filename must be a non-empty string');
  if (config.handle !== undefined && !isHandle(config.handle)) throw invalid('handle must be a rapsqlite Database or Pool');
  if (config.handle !== undefined && (config.pool !== undefined || config.database !== undefined)) throw invalid('pool and database options apply to filename, not to a handle');
  if (config.pool !== undefined && typeof config.pool !== 'boolean' && (typeof config.pool !== 'object' || config.pool === null)) throw invalid('pool must be a boolean or the pool options');
  if (config.pool !== undefined && config.pool !== false && config.database !== undefined) throw invalid('Give either pool options or database options, not both');
  if (config.integers !== undefined && !INTEGER_MODES.includes(config.integers)) throw invalid(`integers must be one of ${INTEGER_MODES.join(', ')}`);
  if (config.transactionMode !== undefined && !TRANSACTION_MODES.includes(config.transactionMode)) throw invalid(`transactionMode must be one of ${TRANSACTION_MODES.join(', ')}`);
  if (config.nodeSqlite3Errors !== undefined && typeof config.nodeSqlite3Errors !== 'boolean') throw invalid('nodeSqlite3Errors must be a boolean');
  if (config.chunkSize !== undefined && !(Number.isInteger(config.chunkSize) && config.chunkSize > 0)) throw invalid('chunkSize must be a positive integer');
  return Object.freeze({ ...config });
}

/** Binds values the way knex's better-sqlite3 client does: dates as epoch milliseconds, booleans as 1 and 0. */
function formatBindings(bindings: readonly unknown[] | undefined): SqlValue[] {
  const out: SqlValue[] = [];
  if (bindings === undefined) return out;
  for (const value of bindings) {
    if (value instanceof Date) out.push(value.valueOf());
    else if (typeof value === 'boolean') out.push(value ? 1 : 0);
    else if (value === undefined) out.push(null);
    else out.push(value as SqlValue);
  }
  return out;
}

function ran(obj: QueryObject, result: { changes: number; lastInsertRowid: number | bigint }): QueryObject {
  obj.response = result;
  obj.context = { lastID: result.lastInsertRowid, changes: result.changes };
  return obj;
}

function integerOptions(obj: QueryObject, settings: SessionSettings): QueryOptions | undefined {
  const options = obj.options;
  if (options?.safeIntegers === true) return { integers: 'bigint' };
  if (options?.safeIntegers === false) return { integers: 'number' };
  if (typeof options?.integers === 'string') return { integers: options.integers as IntegerMode };
  return settings.integers === undefined ? undefined : { integers: settings.integers };
}

function shapeError(err: unknown, settings: SessionSettings): unknown {
  return settings.nodeSqlite3Errors ? toNodeSqlite3Error(err) : err;
}

/** A knex transaction that tells its session when it is read-only, so a pool runs it on a reader. */
class RapsqliteTransaction extends Transaction_Sqlite {
  override begin(conn: unknown): Promise<unknown> {
    const readOnly = this.readOnly === true;
    this.readOnly = false; // knex's SQLite transaction only warns about it; the session honours it instead
    (conn as Session).nextReadOnly = readOnly;
    return super.begin(conn);
  }
}

/** The client class behind {@link RapsqliteClient}, typed loosely because knex's dialect classes are untyped. */
class RapsqliteKnexClient extends Client_SQLite3 {
  #settings: Readonly<RapsqliteConnectionConfig> | undefined;
  #core: Promise<SessionCore> | undefined;
  #owned: Queryable & { close?(): Promise<void> } | undefined;

  constructor(config: Knex.Config) {
    const connection = config.connection as { filename?: unknown; handle?: { path?: unknown } } | undefined;
    // knex's SQLite dialect warns when `filename` is missing; with a handle, the handle's path stands in for it.
    if (typeof connection === 'object' && connection !== null && connection.filename === undefined && connection.handle !== undefined) {
      const path = connection.handle.path;
      config = { ...config, connection: { ...connection, filename: typeof path === 'string' ? path : '' } as never };
    }
    super(config);
  }

  #config(): Readonly<RapsqliteConnectionConfig> {
    this.#settings ??= checkConfig(this.connectionSettings);
    return this.#settings;
  }

  #sessionCore(): Promise<SessionCore> {
    this.#core ??= (async () => {
      const config = this.#config();
      const settings = Object.freeze({
        transactionMode: config.transactionMode ?? 'immediate',
        integers: config.integers,
        nodeSqlite3Errors: config.nodeSqlite3Errors === true,
        chunkSize: config.chunkSize,
      });
      if (config.handle !== undefined) return new SessionCore(config.handle, settings);
      const filename = config.filename as string;
      let handle: Queryable & { close(): Promise<void> };
      if (config.pool === undefined || config.pool === false) {
        handle = await open(filename, config.database);
      } else {
        const { createPool } = await import('@rapsqlite/pool');
        handle = await createPool(filename, config.pool === true ? undefined : config.pool);
      }
      this.#owned = handle;
      return new SessionCore(handle, settings);
    })();
    this.#core.catch(() => {
      this.#core = undefined;
    });
    return this.#core;
  }

  _driver(): null {
    return null;
  }

  override poolDefaults(): { min: number; max: number; propagateCreateError: boolean } {
    // A knex connection here is a light session over one rapsqlite handle, not an SQLite connection: many can be out
    // at once, and the engine (or the pool's readers) provide the real concurrency. knex's SQLite clients use 1.
    return { ...super.poolDefaults(), min: 0, max: 64 };
  }

  transaction(...args: unknown[]): unknown {
    return new RapsqliteTransaction(this, ...args);
  }

  async acquireRawConnection(): Promise<Session> {
    return new Session(await this.#sessionCore());
  }

  async destroyRawConnection(connection: Session): Promise<void> {
    await connection.dispose();
  }

  async validateConnection(connection: Session): Promise<boolean> {
    return connection.__knex__disposed === undefined;
  }

  releaseConnection(connection: Session): Promise<void> {
    // A session returned to knex's pool while holding the writer's state (an ALTER that failed half-way) gives it up.
    if (!connection.inTransaction) connection.core.releaseWriter(connection);
    // knex releases a streamed query's connection when the stream closes, which can come after `destroy()`.
    if ((this as unknown as { pool?: unknown }).pool === undefined) return Promise.resolve();
    return (Client_SQLite3.prototype as unknown as { releaseConnection(c: Session): Promise<void> }).releaseConnection.call(this, connection);
  }

  override async destroy(callback?: unknown): Promise<void> {
    await super.destroy(callback);
    const owned = this.#owned;
    this.#owned = undefined;
    this.#core = undefined;
    if (owned?.close !== undefined) await owned.close();
  }


  /** Runs one compiled query on a session, setting `response` and `context` as knex's SQLite clients do. */
  async _query(connection: Session, obj: QueryObject): Promise<QueryObject> {
    if (!obj.sql) throw new Error('The query is empty');
    if (!(connection instanceof Session)) throw new Error('No connection provided');
    const core = connection.core;
    const settings = core.settings;
    const control = parseControl(obj.sql);
    if (control !== undefined) {
      try {
        await connection.control(control);
      } catch (err) {
        throw shapeError(err, settings);
      }
      obj.response = [];
      obj.context = { lastID: undefined, changes: 0 };
      return obj;
    }
    const inTransaction = connection.inTransaction;
    const read = READ_METHODS.has(obj.method);
    if (!inTransaction && core.heldByOther(connection) && !(read && core.isPool)) await core.waitForWriter(connection);
    const bindings = formatBindings(obj.bindings);
    const options = integerOptions(obj, settings);
    const target = connection.target();
    try {
      if (!inTransaction && isPragmaWrite(obj.sql)) {
        const enable = foreignKeysSetting(obj.sql);
        if (enable === false) await core.holdWriter(connection);
        const result = await target.run(obj.sql, bindings, options);
        if (enable === true) core.releaseWriter(connection);
        return ran(obj, result);
      }
      if (!inTransaction && core.isPool && isPragmaRead(obj.sql)) {
        // The writer's own settings (foreign_keys) are what knex's DDL reads, and a pool's plain reads go to readers.
        obj.response = await target.transaction((tx) => tx.all(obj.sql, bindings, options), { mode: 'deferred' });
        return obj;
      }
      const wantsRows = read || obj.returning !== undefined || !(obj.method === 'insert' || obj.method === 'update' || obj.method === 'del' || obj.method === 'counter');
      if (wantsRows) {
        try {
          obj.response = await target.all(obj.sql, bindings, options);
          return obj;
        } catch (err) {
          // A raw statement that returns no rows is refused before it runs; run it instead, as better-sqlite3's client does.
          if (read || !hasErrorCode(err, ErrorCodes.NOT_A_QUERY)) throw err;
        }
      }
      return ran(obj, await target.run(obj.sql, bindings, options));
    } catch (err) {
      throw shapeError(err, settings);
    }
  }


  /** Streams a query's rows with the engine's chunked `iterate` and backpressure (knex's SQLite clients buffer them all). */
  _stream(connection: Session, obj: QueryObject, stream: Transform, options?: { highWaterMark?: number }): Promise<void> {
    if (!obj.sql) throw new Error('The query is empty');
    const settings = connection.core.settings;
    const chunkSize = settings.chunkSize ?? options?.highWaterMark ?? 256;
    const rows = connection.target().iterate(obj.sql, formatBindings(obj.bindings), { ...integerOptions(obj, settings), chunkSize });
    const source = Readable.from(rows, { objectMode: true, highWaterMark: chunkSize });
    return new Promise<void>((resolve, reject) => {
      source.on('error', (err) => {
        const shaped = shapeError(err, settings);
        reject(shaped);
        stream.emit('error', shaped);
      });
      stream.on('end', () => resolve());
      stream.on('close', () => {
        if (!source.destroyed) source.destroy();
        resolve();
      });
      source.pipe(stream);
    });
  }
}

Object.assign(RapsqliteKnexClient.prototype, { driverName: 'rapsqlite' });

/**
 * A Knex client for rapsqlite: knex's SQLite dialect (its query, schema and DDL compilers, ALTER TABLE emulation
 * included) running on rapsqlite's worker threads, so no query blocks the event loop. On a pool, plain reads run on
 * readers in parallel; transactions and savepoints hold the writer. Give it as knex's `client`; the `connection` is a
 * {@link RapsqliteConnectionConfig} (wrap it in {@link rapsqliteConnection} for type checking and early validation).
 *
 * @example
 * ```ts
 * import knex from 'knex';
 * import { RapsqliteClient, rapsqliteConnection } from '@rapsqlite/knex';
 *
 * const db = knex({ client: RapsqliteClient, connection: rapsqliteConnection({ filename: 'app.db', pool: true }), useNullAsDefault: true });
 * const user = await db('users').where({ email: 'ada@example.com' }).first();
 * await db.destroy();
 * ```
 */
export const RapsqliteClient = RapsqliteKnexClient as unknown as typeof Knex.Client;

/**
 * Checks rapsqlite connection settings now (bad ones throw `ERR_RAPSQLITE_INVALID_ARGUMENT`) and returns them typed
 * as knex's `connection` option, which knex's own types do not know.
 */
export function rapsqliteConnection(settings: RapsqliteConnectionConfig): Knex.StaticConnectionConfig {
  if (typeof settings !== 'object' || settings === null) throw invalid('rapsqliteConnection() takes the connection settings');
  checkConfig(settings);
  return settings as unknown as Knex.StaticConnectionConfig;
}
