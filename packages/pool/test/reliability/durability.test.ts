import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPool } from '../../src/index.ts';
import { tempDir } from '../helpers.ts';
import { audit, expectDurable, killChildren, killLoop, limit, Random, reportAudit, scaled, seedFor } from './kit.ts';

const WRITER = new URL('./children/pool-writer.ts', import.meta.url);

afterEach(killChildren);

/**
 * kill -9 durability through a pool: the child commits through the pool's writer while its readers read, reports
 * every acknowledged commit before doing anything else, and is SIGKILLed at a random moment. The file is reopened
 * as a pool and audited: every acknowledged commit present once, nothing never issued, nothing half applied.
 */
describe.each(['full', 'normal'] as const)('kill -9 of a pool writer, synchronous = %s', (synchronous) => {
  it(
    'loses no acknowledged commit and applies nothing it was not asked to',
    async () => {
      const seed = seedFor(`kill9-pool-${synchronous}`);
      const path = join(tempDir(), 'durable.db');
      const loop = await killLoop({ writer: WRITER, path, synchronous, runs: scaled(4, 30), random: new Random(seed) });
      const pool = await createPool(path, { minReaders: 1, maxReaders: 1 });
      try {
        const result = await audit(pool, loop.ledger);
        reportAudit(`kill-9 pool synchronous=${synchronous}`, loop, result, seed);
        expect(loop.unexpectedExits).toEqual([]);
        expectDurable(loop, result);
        // Readers see the same file as the writer after recovery.
        const onWriter = await pool.transaction((tx) => tx.get<{ n: number }>('SELECT count(*) AS n FROM t'));
        expect(await pool.get('SELECT count(*) AS n FROM t')).toEqual(onWriter);
        await pool.run('INSERT INTO t VALUES (0, 0, NULL)');
      } finally {
        await pool.close();
      }
    },
    limit(40_000, 600_000),
  );
});
