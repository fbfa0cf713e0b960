import {RapsqliteError, TRANSACTION_MODES, type Database, type Queryable} from '@rapsqlite/engine';
import type { Pool, PoolTransactionOptions } from '@rapsqlite/pool';
import type { MiddlewareHandler } from 'hono';
import { invalidArgument } from '@rapsqlite/engine/plugin';
import { isHandle } from '@rapsqlite/http';

/** The handle `@rapsqlite/hono` puts in the context: an engine `Database` or a `Pool`, which share the query API. */
export type SqliteHandle = Database | Pool;

/** The Hono environment of apps that use these middlewares: `c.var.sqlite` is the database, or the route's transaction. */
export type SqliteEnv = { Variables: { sqlite: Queryable } };

/** @internal */
export function invalid(message: string): RapsqliteError {
  return invalidArgument(`@rapsqlite/hono: ${message}`);
}

/**
 * A middleware that puts a rapsqlite `Database` or `Pool` in the context as `c.var.sqlite`. Throws
 * `ERR_RAPSQLITE_INVALID_ARGUMENT` at once, while the app is set up, when `handle` is not an open handle.
 *
 * @example
 * ```ts
 * const app = new Hono<SqliteEnv>();
 * app.use(sqlite(await createPool('shop.db')));
 * app.get('/orders/:id', async (c) => c.json(await c.var.sqlite.get('SELECT * FROM orders WHERE id = ?', [Number(c.req.param('id'))])));
 * ```
 */
export function sqlite(handle: SqliteHandle): MiddlewareHandler<SqliteEnv> {
  if (!isHandle(handle)) throw invalid('sqlite() takes an open rapsqlite Database or Pool');
  if (handle.closed) throw invalid('sqlite() was given a closed database');
  return async (c, next) => {
    c.set('sqlite', handle);
    await next();
  };
}

/** Options of {@link transaction}: the pool's transaction options, and which database to use. */
export interface TransactionMiddlewareOptions extends PoolTransactionOptions {
  /** The database to run the transaction on. Default: `c.var.sqlite`, set by the `sqlite()` middleware. */
  readonly database?: SqliteHandle;
}

/** The rejection that makes the engine roll back after Hono already turned the error into a response. */
const ROLLBACK = Symbol('rapsqlite.hono.rollback');

/**
 * A middleware that runs the rest of the route in a transaction, with `c.var.sqlite` set to it. It commits when the
 * handler succeeded, before the response leaves the app (a failed COMMIT becomes the error response), and rolls
 * back when the handler threw (`c.error`), leaving Hono's error response in place. The handler runs in the
 * transaction's async context: calling the database instead of `c.var.sqlite` fails fast with
 * `ERR_RAPSQLITE_TRANSACTION_DEADLOCK`. A write transaction holds the pool's one writer until COMMIT.
 *
 * @example
 * ```ts
 * app.post('/orders', transaction(), async (c) => {
 *   const { sku } = await c.req.json();
 *   const { lastInsertRowid } = await c.var.sqlite.run('INSERT INTO orders (sku) VALUES (?)', [sku]);
 *   return c.json({ id: lastInsertRowid }, 201);
 * });
 * ```
 */
export function transaction(options: TransactionMiddlewareOptions = {}): MiddlewareHandler<SqliteEnv> {
  if (typeof options !== 'object' || options === null) throw invalid('transaction() options must be an object');
  const { database, ...txOptions } = options;
  if (database !== undefined && !isHandle(database)) throw invalid('`database` must be an open rapsqlite Database or Pool');
  if (txOptions.mode !== undefined && !TRANSACTION_MODES.includes(txOptions.mode)) throw invalid(`unknown transaction mode "${String(txOptions.mode)}"`);
  if (txOptions.readonly !== undefined && typeof txOptions.readonly !== 'boolean') throw invalid('`readonly` must be a boolean');
  const frozen = Object.freeze(txOptions);
  return async (c, next) => {
    const handle = database ?? (c.get('sqlite') as SqliteHandle | undefined);
    if (handle === undefined) throw new RapsqliteError(HonoErrorCodes.NO_DATABASE, '@rapsqlite/hono: transaction() needs the sqlite() middleware before it, or a `database` option');
    try {
      await handle.transaction(async (tx) => {
        c.set('sqlite', tx);
        await next();
        if (c.error !== undefined) throw ROLLBACK;
      }, frozen);
    } catch (err) {
      if (err !== ROLLBACK) throw err;
    } finally {
      c.set('sqlite', handle);
    }
  };
}

/** The error codes of `@rapsqlite/hono`, beside the engine's `ERR_RAPSQLITE_INVALID_ARGUMENT` for bad arguments. */
export const HonoErrorCodes = Object.freeze({
  /** `transaction()` ran without `c.var.sqlite` (no `sqlite()` middleware before it) and without a `database` option. */
  NO_DATABASE: 'ERR_RAPSQLITE_HONO_NO_DATABASE',
} as const);

/** One of {@link HonoErrorCodes}. */
export type HonoErrorCode = (typeof HonoErrorCodes)[keyof typeof HonoErrorCodes];
