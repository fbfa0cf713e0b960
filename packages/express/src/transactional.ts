import { RapsqliteError, TRANSACTION_MODES } from '@rapsqlite/engine';
import type { PoolTransactionOptions } from '@rapsqlite/pool';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ExpressErrorCodes } from './errors.ts';
import { RouteTransaction } from './route-transaction.ts';
import { isHandle } from '@rapsqlite/http';
import { invalid, type SqliteHandle } from './sqlite.ts';

/** Options of {@link transactional}: the pool's transaction options, and which database to use. */
export interface TransactionalOptions extends PoolTransactionOptions {
  /** The database to run the transaction on. Default: `req.sqlite`, set by the `sqlite()` middleware. */
  readonly database?: SqliteHandle;
}

/** Response headers that describe a body which a failed COMMIT throws away. */
const BODY_HEADERS = ['content-type', 'content-length', 'etag'] as const;

// Express's own RequestHandler defaults its generics to `any`; the wrapper keeps whatever the caller's handler has.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyHandler = RequestHandler<any, any, any, any, any>;

/**
 * Wraps a route handler so that it runs in a transaction, with `req.sqlite` set to the transaction. The handler's
 * `res.end()` (what `res.json()` and `res.send()` call) is held until COMMIT has succeeded, so a client never sees a
 * success that did not commit; a failed COMMIT goes to the error handlers instead. A throw, a rejected promise or
 * `next(err)` rolls back and passes the error on; `next()` commits, then passes on. The handler runs in the
 * transaction's async context: calling the database instead of `req.sqlite` there fails fast with
 * `ERR_RAPSQLITE_TRANSACTION_DEADLOCK`. Bad arguments throw `ERR_RAPSQLITE_INVALID_ARGUMENT` at once.
 *
 * A write transaction holds the pool's one writer until COMMIT: every other writer waits meanwhile.
 *
 * @example
 * ```ts
 * app.post('/orders', transactional(async (req, res) => {
 *   const { lastInsertRowid } = await req.sqlite.run('INSERT INTO orders (sku) VALUES (?)', [req.body.sku]);
 *   await req.sqlite.run('UPDATE stock SET n = n - 1 WHERE sku = ?', [req.body.sku]);
 *   res.status(201).json({ id: lastInsertRowid });
 * }));
 * ```
 */
export function transactional<H extends AnyHandler>(handler: H, options: TransactionalOptions = {}): H {
  if (typeof handler !== 'function') throw invalid('transactional() takes a route handler');
  if (typeof options !== 'object' || options === null) throw invalid('transactional() options must be an object');
  const { database, ...txOptions } = options;
  if (database !== undefined && !isHandle(database)) throw invalid('`database` must be an open rapsqlite Database or Pool');
  if (txOptions.mode !== undefined && !TRANSACTION_MODES.includes(txOptions.mode)) throw invalid(`unknown transaction mode "${String(txOptions.mode)}"`);
  if (txOptions.readonly !== undefined && typeof txOptions.readonly !== 'boolean') throw invalid('`readonly` must be a boolean');
  const frozen = Object.freeze(txOptions);
  const wrapped = (req: Request, res: Response, next: NextFunction): void => {
    const handle = database ?? (req.sqlite as SqliteHandle | undefined);
    if (handle === undefined) {
      next(new RapsqliteError(ExpressErrorCodes.NO_DATABASE, '@rapsqlite/express: transactional() needs the sqlite() middleware before it, or a `database` option'));
      return;
    }
    void run(handle, frozen, handler, req, res, next);
  };
  return wrapped as unknown as H;
}

async function run(handle: SqliteHandle, options: PoolTransactionOptions, handler: AnyHandler, req: Request, res: Response, next: NextFunction): Promise<void> {
  const state = new RouteTransaction();
  const realEnd = res.end;
  let ended = false;
  let forwarded = false;
  const leave = (err?: unknown): void => {
    if (res.end !== realEnd) res.end = realEnd;
    req.sqlite = handle;
    if (forwarded) return;
    forwarded = true;
    next(err);
  };
  const fail = async (err: unknown): Promise<void> => {
    await state.rollback();
    leave(err);
  };
  res.end = function heldEnd(this: Response, ...args: unknown[]) {
    if (ended) return this;
    ended = true;
    state.commit().then(
      () => {
        res.end = realEnd;
        forwarded = true;
        (realEnd as (...a: unknown[]) => Response).apply(res, args);
      },
      (err: unknown) => {
        if (!res.headersSent) for (const name of BODY_HEADERS) res.removeHeader(name);
        leave(err);
      },
    );
    return this;
  } as Response['end'];
  // The client left before the handler answered: nothing will be sent, so nothing is kept.
  res.once('close', () => void state.rollback());
  const txNext: NextFunction = (err?: unknown) => {
    if (err !== undefined && err !== null && err !== 'route' && err !== 'router') {
      void fail(err);
      return;
    }
    state.commit().then(
      () => leave(err),
      (commitError: unknown) => leave(commitError),
    );
  };
  let result: unknown;
  try {
    result = await state.start(
      handle,
      options,
      (tx) => {
        req.sqlite = tx;
        return handler(req, res, txNext) as unknown;
      },
      (err) => console.error('@rapsqlite/express: a route transaction failed to roll back', err),
    );
  } catch (err) {
    leave(err); // BEGIN failed: the handler never ran
    return;
  }
  try {
    await result;
  } catch (err) {
    await fail(err);
  }
}
