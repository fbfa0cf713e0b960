import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { open, SYNCHRONOUS_LEVELS } from '../../src/index.ts';
import { tempDir } from '../helpers.ts';
import { audit, Ledger, sample } from './ledger.ts';
import { killChildren, limit, Random, report, scaled, seedFor, sleep, spawnChild } from './support.ts';

const WRITER = new URL('./children/commit-writer.ts', import.meta.url);

afterEach(killChildren);

/**
 * kill -9 durability: a child commits as fast as it can and reports every acknowledged commit before doing anything
 * else; the test SIGKILLs it at a random moment (now and then while it is still opening the file), reopens the file
 * and checks that every acknowledged commit is there, that nothing it never issued is, and that no unit is half
 * applied. WAL survives a killed process at every `synchronous` level, so `normal` must lose nothing either.
 */
describe.each(['full', 'normal'] as const)('kill -9 of an engine writer, synchronous = %s', (synchronous) => {
  it(
    'loses no acknowledged commit and applies nothing it was not asked to',
    async () => {
      expect(SYNCHRONOUS_LEVELS).toContain(synchronous);
      const seed = seedFor(`kill9-engine-${synchronous}`);
      const random = new Random(seed);
      const path = join(tempDir(), 'durable.db');
      const runs = scaled(4, 40);
      const ledger = new Ledger();
      let killedBeforeReady = 0;
      for (let run = 0; run < runs; run++) {
        const child = spawnChild(WRITER, [path, synchronous, String(run * 1_000_000 + 1), String(random.int(1, 6)), String(random.int(1, 2 ** 30))]);
        if (run > 0 && random.chance(0.2)) {
          // Killed during open: WAL recovery, pragmas, CREATE TABLE IF NOT EXISTS.
          await sleep(random.int(0, 250));
        } else {
          await child.waitForLine((line) => line === 'READY', 'the writer to open its database');
          await sleep(random.int(0, scaled(300, 1200)));
        }
        child.kill();
        const { signal } = await child.exited;
        expect(signal, child.stderr).toBe('SIGKILL');
        if (!child.lines.includes('READY')) killedBeforeReady++;
        ledger.add(child.lines);
      }
      const db = await open(path);
      try {
        const result = await audit(db, ledger);
        expect(await db.get('PRAGMA journal_mode')).toEqual({ journal_mode: 'wal' });
        report(`kill-9 engine synchronous=${synchronous}`, {
          runs,
          killedBeforeReady,
          acknowledged: ledger.acked.size,
          inFlightAtKill: result.inFlight,
          inFlightApplied: result.inFlightApplied,
          lost: result.lost.length,
          phantom: result.phantom.length,
          partial: result.partial.length,
          duplicated: result.duplicated.length,
          integrity: result.integrity,
          seed,
        });
        expect(result.integrity).toBe('ok');
        expect(ledger.acked.size).toBeGreaterThan(0);
        expect(result.lost, `lost acknowledged commits ${sample(result.lost)}`).toEqual([]);
        expect(result.phantom, `units never issued ${sample(result.phantom)}`).toEqual([]);
        expect(result.partial, `half-applied units ${sample(result.partial)}`).toEqual([]);
        expect(result.duplicated, `duplicated units ${sample(result.duplicated)}`).toEqual([]);
        // A writer that is killed reports nothing else: every rejection seen before the kill is a defect.
        expect([...ledger.failed], 'rejected writes').toEqual([]);
        // The file takes writes again after the last crash.
        await db.run('INSERT INTO t VALUES (0, 0, NULL)');
      } finally {
        await db.close();
      }
    },
    limit(40_000, 600_000),
  );
});
