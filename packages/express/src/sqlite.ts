import type {RapsqliteError} from '@rapsqlite/engine';
import { type Database, type Queryable} from '@rapsqlite/engine';
import type { Pool } from '@rapsqlite/pool';
import type { RequestHandler } from 'express';
import { invalidArgument } from '@rapsqlite/engine/plugin';
import { isHandle } from '@rapsqlite/http';

/** The handle `@rapsqlite/express` puts on requests: an engine `Database` or a `Pool`, which share the query API. */
export type SqliteHandle = Database | Pool;

declare global {
  // Express's own extension point for request properties is this global namespace.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The database this request uses: inside a {@link transactional} handler, its transaction. */
      sqlite: Queryable;
    }
  }
}

/** @internal */
export function invalid(message: string): RapsqliteError {
  return invalidArgument(`@rapsqlite/express: ${message}`);
}

/**
 * A middleware that puts a rapsqlite `Database` or `Pool` on every request as `req.sqlite`. It throws
 * `ERR_RAPSQLITE_INVALID_ARGUMENT` at once, while the app is being set up, when `handle` is not an open handle.
 *
 * @example
 * ```ts
 * const pool = await createPool('shop.db');
 * app.use(sqlite(pool));
 * app.get('/orders/:id', async (req, res) => { res.json(await req.sqlite.get('SELECT * FROM orders WHERE id = ?', [Number(req.params.id)])) });
 * ```
 */
export function sqlite(handle: SqliteHandle): RequestHandler {
  if (!isHandle(handle)) throw invalid('sqlite() takes an open rapsqlite Database or Pool');
  if (handle.closed) throw invalid('sqlite() was given a closed database');
  return (req, _res, next) => {
    req.sqlite = handle;
    next();
  };
}
