import { join } from 'node:path';
import { afterEach, describe, it } from 'vitest';
import { open } from '../../src/index.ts';
import { tempDir } from '../helpers.ts';
import { checkContention } from './contention-run.ts';
import { killChildren, limit, Random, scaled, seedFor, spawnChild } from './support.ts';

const CONTENDER = new URL('./children/contender.ts', import.meta.url);

afterEach(killChildren);

/**
 * Multi-process write contention: several processes write one file at once, with a short busy timeout so that
 * `SQLITE_BUSY` and `SQLITE_BUSY_SNAPSHOT` happen and units are retried whole; one of them is SIGKILLed half-way
 * (perhaps holding the write lock, which the kernel then releases). Every acknowledged unit must be in the file
 * exactly once, every unit rejected for good must be absent, and no unit is half applied.
 */
describe('several processes writing one file', () => {
  it(
    'stores every acknowledged write exactly once, and the others keep writing when one process is killed',
    async () => {
      const seed = seedFor('contention');
      const random = new Random(seed);
      const path = join(tempDir(), 'shared.db');
      // The file exists in WAL mode before the writers race to open it.
      await (await open(path)).close();
      const processes = scaled(3, 5);
      const units = scaled(120, 800);
      const contenders = Array.from({ length: processes }, (_, p) => ({
        label: 'engine',
        child: spawnChild(CONTENDER, [path, String(p * 1_000_000 + 1), String(units), String(random.pick([0, 1, 5])), String(random.int(1, 2 ** 30))]),
      }));
      await checkContention('multi-process contention', contenders, units, random, () => open(path), seed);
    },
    limit(40_000, 600_000),
  );
});
