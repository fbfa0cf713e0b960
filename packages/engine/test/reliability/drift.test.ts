import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.ts';
import { killChildren, limit, report, runChild, scaled } from './support.ts';

const DRIFT = new URL('./children/drift.ts', import.meta.url);
const MiB = 1024 * 1024;
const mib = (bytes: number) => (bytes / MiB).toFixed(1);

interface Snapshot {
  readonly fds: number;
  readonly threads: number;
  readonly heap: number;
}

afterEach(killChildren);

/**
 * Resource drift, measured in a child process with `--expose-gc`. The bounds are generous (a leak grows with the
 * count; noise does not), and never about speed.
 */
describe('resource drift of the engine', () => {
  it(
    'keeps file descriptors, threads and heap flat over many open/close cycles',
    async () => {
      const cycles = scaled(15, 200);
      const r = await runChild<{ before: Snapshot; after: Snapshot }>(DRIFT, ['cycles', tempDir(), String(cycles)], { nodeFlags: ['--expose-gc'] });
      report('drift engine open/close', {
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

  // Issue 10, defect 4: the result-shape cache is unbounded on both threads.
  it(
    'keeps the heap bounded over many queries with distinct column names, and releases it on close',
    async () => {
      const count = scaled(20_000, 100_000);
      const r = await runChild<{ before: Snapshot; after: Snapshot; afterClose: Snapshot; workerBefore: number; workerAfter: number }>(
        DRIFT,
        ['shapes', tempDir(), String(count)],
        { nodeFlags: ['--expose-gc'] },
      );
      report('drift engine distinct shapes', {
        queries: count,
        callerHeapMiB: `${mib(r.before.heap)}->${mib(r.after.heap)}`,
        afterCloseMiB: mib(r.afterClose.heap),
        workerHeapMiB: `${mib(r.workerBefore)}->${mib(r.workerAfter)}`,
        fds: `${r.before.fds}->${r.afterClose.fds}`,
        threads: `${r.before.threads}->${r.afterClose.threads}`,
      });
      expect(r.after.heap - r.before.heap, "the caller's heap").toBeLessThan(8 * MiB);
      expect(r.workerAfter - r.workerBefore, "the worker's heap").toBeLessThan(8 * MiB);
      expect(r.afterClose.heap - r.before.heap, 'the heap after close()').toBeLessThan(4 * MiB);
      expect(r.afterClose.threads).toBeLessThanOrEqual(r.before.threads);
    },
    limit(40_000, 400_000),
  );
});
