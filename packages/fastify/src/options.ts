import type {RapsqliteError} from '@rapsqlite/engine';
import { TRANSACTION_MODES, type Database, type DatabaseOptions} from '@rapsqlite/engine';
import type { Pool, PoolOptions, PoolTransactionOptions } from '@rapsqlite/pool';
import { isHandle, resolveErrorStatuses, type ErrorStatusMap } from '@rapsqlite/http';
import { invalidArgument } from '@rapsqlite/engine/plugin';

/** What the plugin decorates Fastify with: an engine `Database` or a `Pool`, which share the query API. */
export type SqliteHandle = Database | Pool;

/** The options of a route transaction: the pool's transaction options, plus which registered database to use. */
export interface SqliteRouteTransactionOptions extends PoolTransactionOptions {
  /** The `name` the database was registered with; the unnamed one when absent. */
  readonly name?: string;
}

/** A route's `config.sqlite`. */
export interface SqliteRouteConfig {
  /** Runs the route's handler in a transaction: `true` for the defaults (`BEGIN IMMEDIATE` on the unnamed database). */
  readonly transaction?: boolean | SqliteRouteTransactionOptions;
}

/**
 * Options of the {@link rapsqlite} plugin. Give exactly one source: `path` (the plugin opens an engine `Database`,
 * or a `Pool` with `pool`) or `database` (a handle you opened).
 */
export interface RapsqlitePluginOptions {
  /** The SQLite file the plugin opens (and closes). */
  readonly path?: string;
  /** With `path`: the engine's `open()` options. */
  readonly options?: DatabaseOptions;
  /** With `path`: open a `Pool` (one writer, parallel readers) instead of one `Database`; `true` for its defaults. */
  readonly pool?: boolean | PoolOptions;
  /** A `Database` or `Pool` you opened. The plugin closes it only with `close: true`. */
  readonly database?: SqliteHandle;
  /** Whether the plugin closes the handle when Fastify closes. Default: true for `path`, false for `database`. */
  readonly close?: boolean;
  /** Registers a named database, reachable as `fastify.sqlite[name]`; route transactions pick it with `{ name }`. */
  readonly name?: string;
  /**
   * Opt-in: gives rapsqlite's coded errors an HTTP status (`error.statusCode` and the reply's code) before Fastify's
   * error handler runs: `true` for {@link DEFAULT_ERROR_STATUSES}, or a table merged over them.
   */
  readonly errorStatus?: boolean | Readonly<Record<string, number>>;
  /**
   * Registers a `GET` route with {@link sqliteHealth} data (503 once the database is closed): `true` for
   * `/health/sqlite` (`/health/sqlite/<name>` for a named database), or the route's path.
   */
  readonly health?: boolean | string;
}

/** The options after validation. */
export interface ResolvedPluginOptions {
  readonly source: { readonly kind: 'database'; readonly path: string; readonly options: DatabaseOptions | undefined }
    | { readonly kind: 'pool'; readonly path: string; readonly options: PoolOptions | undefined }
    | { readonly kind: 'handle'; readonly handle: SqliteHandle };
  readonly close: boolean;
  readonly name: string | undefined;
  readonly errorStatuses: ErrorStatusMap | undefined;
  readonly healthPath: string | undefined;
}

const PLUGIN_KEYS = new Set(['path', 'options', 'pool', 'database', 'close', 'name', 'errorStatus', 'health']);
/** Keys Fastify itself may put in a plugin's options. */
const FASTIFY_KEYS = new Set(['prefix', 'logLevel', 'logSerializers']);

function invalid(message: string): RapsqliteError {
  return invalidArgument(`@rapsqlite/fastify: ${message}`);
}

/** Validates the plugin's options; a bad one fails registration (and so `fastify.ready()`) with a coded error. */
export function resolvePluginOptions(raw: unknown): ResolvedPluginOptions {
  if (typeof raw !== 'object' || raw === null) throw invalid('options must be an object');
  const opts = raw as RapsqlitePluginOptions & Record<string, unknown>;
  for (const key of Object.keys(opts)) {
    if (!PLUGIN_KEYS.has(key) && !FASTIFY_KEYS.has(key)) throw invalid(`unknown option "${key}"`);
  }
  if (opts.name !== undefined && (typeof opts.name !== 'string' || opts.name === '')) throw invalid('`name` must be a non-empty string');
  if (opts.close !== undefined && typeof opts.close !== 'boolean') throw invalid('`close` must be a boolean');
  const errorStatuses = opts.errorStatus === undefined || opts.errorStatus === false ? undefined : resolveErrorStatuses(opts.errorStatus, '@rapsqlite/fastify: `errorStatus`');
  let source: ResolvedPluginOptions['source'];
  if (opts.database !== undefined) {
    if (opts.path !== undefined || opts.pool !== undefined || opts.options !== undefined) throw invalid('give either `database` or `path` (with `options` or `pool`), not both');
    if (!isHandle(opts.database)) throw invalid('`database` must be an open rapsqlite Database or Pool');
    source = { kind: 'handle', handle: opts.database };
  } else {
    if (typeof opts.path !== 'string' || opts.path === '') throw invalid('give `path` (a file name) or `database` (an open handle)');
    if (opts.pool !== undefined && opts.pool !== false) {
      if (opts.options !== undefined) throw invalid('with `pool`, put connection options in the pool options, not `options`');
      if (opts.pool !== true && (typeof opts.pool !== 'object' || opts.pool === null)) throw invalid('`pool` must be a boolean or the pool options');
      source = { kind: 'pool', path: opts.path, options: opts.pool === true ? undefined : opts.pool };
    } else {
      if (opts.options !== undefined && (typeof opts.options !== 'object' || opts.options === null)) throw invalid('`options` must be the engine open() options');
      source = { kind: 'database', path: opts.path, options: opts.options };
    }
  }
  let healthPath: string | undefined;
  if (opts.health === true) healthPath = opts.name === undefined ? '/health/sqlite' : `/health/sqlite/${opts.name}`;
  else if (typeof opts.health === 'string' && opts.health.startsWith('/')) healthPath = opts.health;
  else if (opts.health !== undefined && opts.health !== false) throw invalid('`health` must be a boolean or a route path starting with "/"');
  return Object.freeze({ source, close: opts.close ?? source.kind !== 'handle', name: opts.name, errorStatuses, healthPath });
}

/** Validates a route's `config.sqlite.transaction`; undefined when the route has no transaction. */
export function resolveRouteTransaction(config: unknown, route: string): { readonly name: string | undefined; readonly options: PoolTransactionOptions } | undefined {
  if (config === undefined || config === null) return undefined;
  if (typeof config !== 'object') throw invalid(`route ${route}: config.sqlite must be an object`);
  const tx = (config as SqliteRouteConfig).transaction;
  if (tx === undefined || tx === false) return undefined;
  if (tx === true) return { name: undefined, options: Object.freeze({}) };
  if (typeof tx !== 'object' || tx === null) throw invalid(`route ${route}: config.sqlite.transaction must be a boolean or transaction options`);
  const { name, ...options } = tx;
  if (name !== undefined && (typeof name !== 'string' || name === '')) throw invalid(`route ${route}: config.sqlite.transaction.name must be a non-empty string`);
  if (options.mode !== undefined && !TRANSACTION_MODES.includes(options.mode)) throw invalid(`route ${route}: unknown transaction mode "${String(options.mode)}"`);
  if (options.readonly !== undefined && typeof options.readonly !== 'boolean') throw invalid(`route ${route}: config.sqlite.transaction.readonly must be a boolean`);
  return { name, options: Object.freeze(options) };
}
