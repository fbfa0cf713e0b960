import { PoolCore } from './internal/pool-core.ts';
import { Pool } from './pool.ts';
import { resolvePoolOptions, type PoolOptions } from './pool-options.ts';

/**
 * Opens a pool on a database file: one writer connection in WAL mode and `minReaders` read-only readers, each in
 * its own worker thread. Resolves when they are ready. Fails with `ERR_RAPSQLITE_POOL_NOT_WAL` when the file cannot
 * use WAL (`':memory:'`, for one).
 *
 * @example
 * ```ts
 * import { createPool } from '@rapsqlite/pool';
 *
 * await using pool = await createPool('app.db', { maxReaders: 4 });
 * await pool.run('INSERT INTO visits (path) VALUES (?)', [path]);          // the writer
 * const top = await pool.all('SELECT path, count(*) AS n FROM visits GROUP BY path ORDER BY n DESC LIMIT 10'); // a reader
 * ```
 */
export async function createPool(path: string, options?: PoolOptions): Promise<Pool> {
  const resolved = resolvePoolOptions(options);
  const core = await PoolCore.create(path, resolved);
  return new Pool(core, resolved.middleware);
}
