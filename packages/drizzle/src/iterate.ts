import { ErrorCodes, RapsqliteError } from '@rapsqlite/engine';
import { streamPrepared, type RapsqlitePreparedQuery } from './session.ts';

/** Options of {@link iterate}. */
export interface IterateQueryOptions {
  /** Rows moved from the worker per message (default 256); at most two chunks are in memory. */
  readonly chunkSize?: number;
  /** Cancels the stream (see the engine's cancellation docs). */
  readonly signal?: AbortSignal;
}

/** A Drizzle query that resolves with rows and can be prepared: a select (joins included), an insert … returning. */
export interface PreparableQuery<T> extends PromiseLike<readonly T[]> {
  prepare(): unknown;
}

/** The error codes of this package, beside the engine's. */
export const DrizzleErrorCodes = Object.freeze({
  /** A streamed select's result has two columns of the same name, which object rows cannot keep apart. */
  DUPLICATE_COLUMNS: 'ERR_RAPSQLITE_DRIZZLE_DUPLICATE_COLUMNS',
} as const);

/**
 * Streams a Drizzle select's rows with rapsqlite's chunked `iterate`, mapped as Drizzle maps them: the worker sends
 * `chunkSize` rows at a time and never runs more than one chunk ahead; leaving the loop early finalizes the statement
 * in the worker. drizzle-orm 0.45 has no `.iterator()` for asynchronous SQLite, so this is a function of ours.
 *
 * The engine streams rows as objects, so a result with two columns of the same name (a join selecting `users.id`
 * and `posts.id` without aliases) cannot be mapped and fails with `ERR_RAPSQLITE_DRIZZLE_DUPLICATE_COLUMNS`: select
 * such columns under distinct keys, or use `.all()`.
 *
 * @example
 * ```ts
 * for await (const event of iterate(db.select().from(events).where(eq(events.day, day)), { chunkSize: 500 })) {
 *   await sink.write(event);
 * }
 * ```
 */
export async function* iterate<T>(query: PreparableQuery<T>, options: IterateQueryOptions = {}): AsyncGenerator<T, void, undefined> {
  const prepared = query.prepare() as RapsqlitePreparedQuery;
  if (typeof (prepared as { getQuery?: unknown }).getQuery !== 'function' || !('client' in prepared)) {
    throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, 'iterate() takes a query built on a rapsqlite Drizzle database');
  }
  if (prepared.customResultMapper !== undefined) {
    throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, 'Relational queries (db.query.*) cannot be streamed; stream a select instead');
  }
  const fields = prepared.fields;
  const iterator = streamPrepared(prepared, options);
  for await (const row of iterator) {
    if (fields === undefined) {
      yield row as T;
      continue;
    }
    const values = Object.values(row);
    if (values.length !== fields.length) {
      throw new RapsqliteError(DrizzleErrorCodes.DUPLICATE_COLUMNS, 'The result has columns with the same name; select them under distinct keys to stream it', {
        sql: prepared.getQuery().sql,
      });
    }
    yield prepared.mapGetResult([values]) as T;
  }
}
