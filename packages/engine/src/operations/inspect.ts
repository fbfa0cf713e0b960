import type { RequestHandler } from './handler.ts';

/** What a worker reports about its connection's state, for diagnostics and tests. */
export interface WorkerInspection {
  /** Statements compiled since the worker started (each `prepare` of better-sqlite3). */
  readonly statementsPrepared: number;
  /** Statements in the cache now. */
  readonly statementsCached: number;
  /** Cursors (open `iterate`s) now. */
  readonly cursorsOpen: number;
  /** Whether the connection is inside a transaction now. */
  readonly inTransaction: boolean;
}

/** `inspect`: reports the worker's state without touching data. */
export const inspect: RequestHandler<'inspect'> = {
  kind: 'inspect',
  writes: 'never',
  harmless: true,
  execute: (session): WorkerInspection => ({
    statementsPrepared: session.statementsPrepared,
    statementsCached: session.cache.size,
    cursorsOpen: session.cursors.size,
    inTransaction: session.db.inTransaction,
  }),
  decode: (payload) => payload as WorkerInspection,
};
