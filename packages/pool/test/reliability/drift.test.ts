import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.ts';
import { killChildren, limit, report, runChild, scaled } from './kit.ts';

const DRIFT = new URL('./children/drift.ts', import.meta.url);
const MiB = 1024 * 1024;
const mib = (bytes: number) => (bytes / MiB).toFixed(1);

interface Snapshot {
  readonly fds: number;
  readonly threads: number;
  readonly heap: number;
}

afterEach(killChildren);

/** The pool's resource drift, measured in a child process with `--expose-gc`; generous bounds, never about speed. */
describe('resource drift of the pool', () => {
  it(
    'keeps file descriptors, threads and heap flat over many createPool/close cycles',
    async () => {
      const cycles = scaled(8, 100);
      const r = await runChild<{ before: Snapshot; after: Snapshot }>(DRIFT, ['cycles', tempDir(), String(cycles)], { nodeFlags: ['--expose-gc'] });
      report('drift pool createPool/close', {
        cycles,
        fds: `${r.before.fds}->${r.after.fds}`,
        threads: `${r.before.threads}->${r.after.threads}`,
        heapMiB: `${mib(r.before.heap)}->${mib(r.after.heap)}`,
      });
      expect(r.after.fds - r.before.fds).toBeLessThanOrEqual(2);
      expect(r.after.threads - r.before.threads).toBeLessThanOrEqual(2);
      expect(r.after.heap - r.before.heap).toBeLessThan(8 * MiB);
    },
    limit(40_000, 400_000),
  );

  // Issue 10, defect 4, through the pool's readers (and the pool's routing cache, which is bounded).
  it(
    'keeps the heap bounded over many reads with distinct column names, and releases it on close',
    async () => {
      const count = scaled(20_000, 100_000);
      const r = await runChild<{ before: Snapshot; after: Snapshot; afterClose: Snapshot }>(DRIFT, ['shapes', tempDir(), String(count)], { nodeFlags: ['--expose-gc'] });
      report('drift pool distinct shapes', {
        queries: count,
        callerHeapMiB: `${mib(r.before.heap)}->${mib(r.after.heap)}`,
        afterCloseMiB: mib(r.afterClose.heap),
        fds: `${r.before.fds}->${r.afterClose.fds}`,
        threads: `${r.before.threads}->${r.afterClose.threads}`,
      });
      expect(r.after.heap - r.before.heap, "the caller's heap").toBeLessThan(8 * MiB);
      expect(r.afterClose.heap - r.before.heap, 'the heap after close()').toBeLessThan(4 * MiB);
      expect(r.afterClose.threads).toBeLessThanOrEqual(r.before.threads);
    },
    limit(40_000, 400_000),
  );
});
