import type { Pool } from '@rapsqlite/pool';
import type { SqliteHandle } from './options.ts';

/** The health of a registered database, as the plugin's health route returns it. */
export interface SqliteHealth {
  /** `'ok'`, or `'closed'` once the handle is closed (the route then answers 503). */
  readonly status: 'ok' | 'closed';
  /** Whether the handle is a `Pool` or one engine `Database`. */
  readonly kind: 'pool' | 'database';
  /** For a pool: connections, queues and WAL state from `pool.stats()`. */
  readonly pool?: {
    readonly writer: { readonly total: number; readonly used: number; readonly pending: number; readonly maxWaitMs: number };
    readonly readers: { readonly total: number; readonly used: number; readonly pending: number; readonly maxWaitMs: number; readonly max: number };
    readonly wal: { readonly bytes: number; readonly starved: boolean };
  };
}

/**
 * Summarises a handle's health for a health or readiness probe: for a pool, the busy connections, the calls waiting
 * and the oldest wait per role, and the WAL's size and starvation state from `pool.stats()`.
 */
export function sqliteHealth(handle: SqliteHandle): SqliteHealth {
  const status = handle.closed ? 'closed' : 'ok';
  if (typeof (handle as Partial<Pool>).stats !== 'function') return { status, kind: 'database' };
  const stats = (handle as Pool).stats();
  return {
    status,
    kind: 'pool',
    pool: {
      writer: { total: stats.writer.total, used: stats.writer.used, pending: stats.writer.pending, maxWaitMs: stats.writer.maxWaitMs },
      readers: { total: stats.readers.total, used: stats.readers.used, pending: stats.readers.pending, maxWaitMs: stats.readers.maxWaitMs, max: stats.readers.max },
      wal: { bytes: stats.wal.bytes, starved: stats.wal.starved },
    },
  };
}
