import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { open } from '../../src/index.ts';
import { tempDir } from '../helpers.ts';
import { audit, Ledger, sample } from './ledger.ts';
import { killChildren, limit, Random, report, scaled, seedFor, spawnChild, type Child } from './support.ts';

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
      const setup = await open(path);
      await setup.close();
      const processes = scaled(3, 6);
      const units = scaled(120, 1500);
      const victim = random.int(0, processes - 1);
      const children: Child[] = [];
      for (let p = 0; p < processes; p++) {
        const busyTimeoutMs = random.pick([0, 1, 5]);
        children.push(spawnChild(CONTENDER, [path, String(p * 1_000_000 + 1), String(units), String(busyTimeoutMs), String(random.int(1, 2 ** 30))]));
      }
      const target = Math.floor(units / 3);
      await children[victim]!.waitForLine(
        () => children[victim]!.lines.filter((l) => l.startsWith('A ')).length >= target,
        `process ${victim} to commit ${target} units`,
        120_000,
      );
      children[victim]!.kill();
      const exits = await Promise.all(children.map((c) => c.exited));
      const ledger = new Ledger();
      for (const [p, child] of children.entries()) {
        ledger.add(child.lines);
        if (p === victim) {
          expect(exits[p]!.signal).toBe('SIGKILL');
        } else {
          expect(exits[p]!.code, child.stderr).toBe(0);
          expect(child.lines.at(-1)).toBe('DONE');
        }
      }
      const db = await open(path);
      try {
        const result = await audit(db, ledger);
        const gaveUp = [...ledger.failed].filter(([, code]) => code.startsWith('SQLITE_BUSY')).length;
        report('multi-process contention', {
          processes,
          unitsPerProcess: units,
          killed: 1,
          acknowledged: ledger.acked.size,
          busyRetries: ledger.retries,
          gaveUp,
          otherFailures: ledger.failed.size - gaveUp,
          lost: result.lost.length,
          duplicated: result.duplicated.length,
          partial: result.partial.length,
          phantom: result.phantom.length,
          integrity: result.integrity,
          seed,
        });
        expect(result.integrity).toBe('ok');
        expect(result.lost, `lost ${sample(result.lost)}`).toEqual([]);
        expect(result.duplicated, `duplicated ${sample(result.duplicated)}`).toEqual([]);
        expect(result.partial, `half applied ${sample(result.partial)}`).toEqual([]);
        expect(result.phantom, `never issued ${sample(result.phantom)}`).toEqual([]);
        // Only SQLITE_BUSY* may reject a unit here (and only after many retries); such a unit left nothing behind.
        expect([...ledger.failed].filter(([, code]) => !code.startsWith('SQLITE_BUSY'))).toEqual([]);
        const failedPresent = (await db.all<{ unit: number }>('SELECT DISTINCT unit FROM t')).filter((r) => ledger.failed.has(r.unit));
        expect(failedPresent).toEqual([]);
        // The survivors finished every unit: the killed process's lock did not outlive it.
        for (const [p, child] of children.entries()) {
          if (p === victim) continue;
          const done = child.lines.filter((l) => l.startsWith('A ') || l.startsWith('F ')).length;
          expect(done).toBe(units);
        }
      } finally {
        await db.close();
      }
    },
    limit(40_000, 600_000),
  );
});
