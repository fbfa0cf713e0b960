import { join } from 'node:path';
import { afterEach, describe, it } from 'vitest';
import { createPool } from '../../src/index.ts';
import { tempDir } from '../helpers.ts';
import { checkContention, ENGINE_CONTENDER, killChildren, limit, Random, scaled, seedFor, spawnChild } from './kit.ts';

const POOL_CONTENDER = new URL('./children/contender.ts', import.meta.url);

afterEach(killChildren);

/**
 * Multi-process write contention with pools: pool processes and an engine process write one file at once with short
 * busy timeouts, retrying whole units on `SQLITE_BUSY*`; one process is SIGKILLed half-way. Every acknowledged unit
 * must be in the file exactly once, nothing rejected for good may be there, and nothing is half applied.
 */
describe('pools and an engine database writing one file from several processes', () => {
  it(
    'stores every acknowledged write exactly once, and the others keep writing when one process is killed',
    async () => {
      const seed = seedFor('pool-contention');
      const random = new Random(seed);
      const path = join(tempDir(), 'shared.db');
      await (await createPool(path, { minReaders: 0, maxReaders: 0 })).close();
      const pools = scaled(2, 3);
      const units = scaled(100, 800);
      const args = (p: number) => [path, String(p * 1_000_000 + 1), String(units), String(random.pick([0, 1, 5])), String(random.int(1, 2 ** 30))];
      const contenders = [
        ...Array.from({ length: pools }, (_, p) => ({ label: 'pool', child: spawnChild(POOL_CONTENDER, args(p)) })),
        { label: 'engine', child: spawnChild(ENGINE_CONTENDER, args(pools)) },
      ];
      await checkContention('multi-process contention pool', contenders, units, random, () => createPool(path, { minReaders: 1, maxReaders: 1 }), seed);
    },
    limit(40_000, 600_000),
  );
});
