import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** A full garbage collection, or a no-op when none can be had. */
export type Collect = () => void;

/**
 * Returns a function that runs a full garbage collection. Uses `global.gc` when node runs with `--expose-gc`;
 * otherwise turns the flag on at run time and fetches `gc` from a fresh context, which V8 honours for contexts
 * created after the flag is set.
 */
export function createCollector(): Collect {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return () => exposed();
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    if (typeof gc === 'function') return () => (gc as () => void)();
  } catch {
    // Fall through: without a collector the memory figures are noisier but still meaningful.
  }
  return () => {};
}

/** Memory of the whole process (RSS, worker threads included) and of the main thread's V8 heap, in bytes. */
export interface MemoryPoint {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
}

/** Reads the current memory figures. */
export function readMemory(): MemoryPoint {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external + m.arrayBuffers };
}

/** Memory growth while a round ran: peaks and the level left behind, each relative to the level before. */
export interface MemoryGrowth {
  readonly rssBefore: number;
  readonly rssPeakGrowth: number;
  readonly heapPeakGrowth: number;
  readonly rssAfterGrowth: number;
  readonly heapAfterGrowth: number;
  readonly samples: number;
}

/**
 * Tracks peak memory during a round. A timer samples every few milliseconds for drivers that yield; the code under
 * test also calls {@link MemoryTracker.poke} every few thousand rows, so a driver that never yields is sampled too.
 */
export class MemoryTracker {
  readonly #collect: Collect;
  #before: MemoryPoint = { rss: 0, heapUsed: 0, external: 0 };
  #peakRss = 0;
  #peakHeap = 0;
  #samples = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(collect: Collect) {
    this.#collect = collect;
  }

  /** Collects garbage, records the starting level and starts sampling. */
  start(intervalMs = 5): void {
    this.#collect();
    this.#before = readMemory();
    this.#peakRss = this.#before.rss;
    this.#peakHeap = this.#before.heapUsed;
    this.#samples = 0;
    this.#timer = setInterval(() => this.poke(), intervalMs);
  }

  /** Takes one sample now. */
  poke(): void {
    const m = process.memoryUsage();
    this.#samples++;
    if (m.rss > this.#peakRss) this.#peakRss = m.rss;
    if (m.heapUsed > this.#peakHeap) this.#peakHeap = m.heapUsed;
  }

  /** Stops sampling, collects garbage, and reports the growth. */
  stop(): MemoryGrowth {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.poke();
    this.#collect();
    const after = readMemory();
    return {
      rssBefore: this.#before.rss,
      rssPeakGrowth: this.#peakRss - this.#before.rss,
      heapPeakGrowth: this.#peakHeap - this.#before.heapUsed,
      rssAfterGrowth: after.rss - this.#before.rss,
      heapAfterGrowth: after.heapUsed - this.#before.heapUsed,
      samples: this.#samples,
    };
  }
}
