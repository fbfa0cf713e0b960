import type {RapsqliteError} from '@rapsqlite/engine';
import { TRANSACTION_MODES, type Database, type DatabaseOptions} from '@rapsqlite/engine';
import type { Pool, PoolOptions, PoolTransactionOptions } from '@rapsqlite/pool';
import { invalidArgument } from '@rapsqlite/engine/plugin';
import { isHandle } from '@rapsqlite/http';

/** A connection's handle: an engine `Database` or a `Pool`, which share the query API. */
export type SqliteHandle = Database | Pool;

/**
 * What a connection is made of: `path` (the module opens a `Database`, or a `Pool` with `pool`) or `database` (a
 * handle you opened). Returned by a `forRootAsync` factory, or given to `forRoot` beside `name` and `isGlobal`.
 */
export interface RapsqliteConnectionOptions {
  /** The SQLite file to open (and close on shutdown). */
  readonly path?: string;
  /** With `path`: the engine's `open()` options. */
  readonly options?: DatabaseOptions;
  /** With `path`: open a `Pool` (one writer, parallel readers) instead of one `Database`; `true` for its defaults. */
  readonly pool?: boolean | PoolOptions;
  /** A handle you opened; closed on shutdown only with `close: true`. */
  readonly database?: SqliteHandle;
  /** Whether application shutdown closes the handle. Default: true for `path`, false for `database`. */
  readonly close?: boolean;
}

/** Options of `RapsqliteModule.forRoot`. */
export interface RapsqliteModuleOptions extends RapsqliteConnectionOptions {
  /** The connection's name, for `@InjectDatabase(name)`; several named connections can coexist. Default `'default'`. */
  readonly name?: string;
  /** Registers the module globally, so feature modules can inject the connection without importing it. */
  readonly isGlobal?: boolean;
}

/** The options of a transaction started by `TransactionHost.run` or `@Transactional()`. */
export interface SqliteTransactionOptions extends PoolTransactionOptions {
  /** The connection to use. Default `'default'`. */
  readonly name?: string;
}

/** @internal */
export function invalid(message: string): RapsqliteError {
  return invalidArgument(`@rapsqlite/nestjs: ${message}`);
}

const CONNECTION_KEYS = new Set(['path', 'options', 'pool', 'database', 'close']);

/** @internal Validates a connection's options; a bad one fails the application's start-up with a coded error. */
export function resolveConnectionOptions(raw: unknown): Readonly<RapsqliteConnectionOptions> & { readonly close: boolean } {
  if (typeof raw !== 'object' || raw === null) throw invalid('the connection options must be an object');
  const opts = raw as RapsqliteConnectionOptions & Record<string, unknown>;
  for (const key of Object.keys(opts)) if (!CONNECTION_KEYS.has(key)) throw invalid(`unknown option "${key}"`);
  if (opts.close !== undefined && typeof opts.close !== 'boolean') throw invalid('`close` must be a boolean');
  if (opts.database !== undefined) {
    if (opts.path !== undefined || opts.pool !== undefined || opts.options !== undefined) throw invalid('give either `database` or `path` (with `options` or `pool`), not both');
    if (!isHandle(opts.database)) throw invalid('`database` must be an open rapsqlite Database or Pool');
  } else {
    if (typeof opts.path !== 'string' || opts.path === '') throw invalid('give `path` (a file name) or `database` (an open handle)');
    if (opts.pool !== undefined && opts.pool !== false && opts.options !== undefined) throw invalid('with `pool`, put connection options in the pool options, not `options`');
    if (opts.pool !== undefined && typeof opts.pool !== 'boolean' && (typeof opts.pool !== 'object' || opts.pool === null)) throw invalid('`pool` must be a boolean or the pool options');
  }
  return Object.freeze({ ...opts, close: opts.close ?? opts.database === undefined });
}

/** @internal */
export function resolveName(name: unknown): string {
  if (name === undefined) return 'default';
  if (typeof name !== 'string' || name === '') throw invalid('a connection `name` must be a non-empty string');
  return name;
}

/** @internal */
export function resolveTransactionOptions(raw: unknown): { readonly name: string; readonly options: PoolTransactionOptions } {
  if (raw === undefined) return { name: 'default', options: Object.freeze({}) };
  if (typeof raw !== 'object' || raw === null) throw invalid('transaction options must be an object');
  const { name, ...options } = raw as SqliteTransactionOptions;
  if (options.mode !== undefined && !TRANSACTION_MODES.includes(options.mode)) throw invalid(`unknown transaction mode "${String(options.mode)}"`);
  if (options.readonly !== undefined && typeof options.readonly !== 'boolean') throw invalid('`readonly` must be a boolean');
  return { name: resolveName(name), options: Object.freeze(options) };
}
