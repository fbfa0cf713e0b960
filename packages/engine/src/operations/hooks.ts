import { setLimit, startWatch, WATCH_READY } from '../worker/hooks.ts';
import { loadExtensions, type ExtensionHost, type ExtensionSpec } from '../worker/tools/extensions.ts';
import type { RequestHandler } from './handler.ts';

/**
 * `watchChanges`: SQLite's update hook for as long as the request runs (in the background of its worker, like a
 * backup). Its partial answers are the changes, as a flat array [op, database, table, rowid, …] (op 1 insert, 2 update,
 * 3 delete, 0 changes lost for want of memory, their count as rowid), after a first one that says the hook is
 * installed; it ends when cancelled (`abortTask`) or when the connection closes. See `worker/hooks.ts`.
 */
export const watchChanges: RequestHandler<'watchChanges'> = {
  kind: 'watchChanges',
  writes: 'never',
  // Sent again to a replacement worker, so the subscription survives it.
  harmless: true,
  background: true,
  execute: (session, { id }, reply) => startWatch(session, id, reply),
  decode: () => undefined,
  partial: (payload) => (payload === WATCH_READY ? WATCH_READY : (payload as unknown[])),
};

/** `limit`: `sqlite3_limit(id, value)` through the companion (`extra` is [id, value]); answers the previous value. */
export const limit: RequestHandler<'limit'> = {
  kind: 'limit',
  writes: 'never',
  harmless: true,
  execute(session, { extra }) {
    const [id, value] = extra as [number, number];
    const previous = setLimit(session, id, value);
    // Limits on the SQL (its length, its parameters, its depth) apply when a statement is prepared: statements cached
    // under the old limit are prepared again.
    if (value >= 0) session.cache.clear();
    return previous;
  },
  decode: (payload) => payload as number,
};

/** `loadExtension`: loads an SQLite extension into the connection (`extra` is its {@link ExtensionSpec}). */
export const loadExtension: RequestHandler<'loadExtension'> = {
  kind: 'loadExtension',
  writes: 'never',
  harmless: false,
  execute(session, { extra }) {
    loadExtensions(session.db as unknown as ExtensionHost, [extra as ExtensionSpec]);
    // An extension may define functions or collations that statements compiled before could not see.
    session.cache.clear();
    return undefined;
  },
  decode: () => undefined,
};
