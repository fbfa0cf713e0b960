import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { open } from '../../src/index.ts';
import { tempDir } from '../helpers.ts';
import { expectDurable, killLoop, reportAudit } from './kill-loop.ts';
import { audit } from './ledger.ts';
import { killChildren, limit, Random, scaled, seedFor } from './support.ts';

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
      const seed = seedFor(`kill9-engine-${synchronous}`);
      const path = join(tempDir(), 'durable.db');
      const loop = await killLoop({ writer: WRITER, path, synchronous, runs: scaled(4, 30), random: new Random(seed) });
      const db = await open(path);
      try {
        const result = await audit(db, loop.ledger);
        reportAudit(`kill-9 engine synchronous=${synchronous}`, loop, result, seed);
        expect(loop.unexpectedExits).toEqual([]);
        expect(await db.get('PRAGMA journal_mode')).toEqual({ journal_mode: 'wal' });
        expectDurable(loop, result);
        // The file takes writes again after the last crash.
        await db.run('INSERT INTO t VALUES (0, 0, NULL)');
      } finally {
        await db.close();
      }
    },
    limit(40_000, 600_000),
  );
});
