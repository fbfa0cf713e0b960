import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { ELDHistogram } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/** What the event loop looked like while one timed round ran. */
export interface LoopSample {
  /** Largest interval between two ticks of `monitorEventLoopDelay` (1 ms resolution), in ms. */
  readonly maxDelayMs: number;
  /** 99th percentile of those intervals, in ms (an idle loop shows about 1 ms). */
  readonly p99DelayMs: number;
  /** Largest interval between two `setTimeout(0)` callbacks, or from the last one to the round's end, in ms. */
  readonly maxGapMs: number;
  /**
   * CPU time the main thread itself used during its worst gap, in ms. A gap in which the thread was busy is a stall
   * the code under test caused; a gap in which it was not is the OS running someone else (a busy machine). Absent
   * when `process.threadCpuUsage` is missing (Node < 23.9).
   */
  readonly maxBusyGapMs?: number;
  /** How many `setTimeout(0)` callbacks ran during the round: zero means the round never yielded. */
  readonly ticks: number;
}

const threadCpu: (() => number) | undefined =
  typeof process.threadCpuUsage === 'function'
    ? () => {
        const usage = process.threadCpuUsage();
        return (usage.user + usage.system) / 1000;
      }
    : undefined;

/**
 * The fake-async detector: measures how long the event loop went without running a timer while a round ran.
 *
 * Two instruments watch the same thing: Node's own event-loop delay histogram, and a chain of `setTimeout(0)`
 * callbacks whose largest gap equals the longest synchronous stretch of the code under test. A driver that only
 * wraps a blocking call in a promise shows a gap as long as its whole round.
 */
export class LoopProbe {
  #histogram: ELDHistogram | undefined;
  #timer: NodeJS.Timeout | undefined;
  #last = 0;
  #maxGap = 0;
  #lastCpu = 0;
  #maxBusyGap = 0;
  #ticks = 0;
  #running = false;

  /** Starts watching. Resolves once the histogram has ticked, so a stall right after `start` is recorded. */
  async start(): Promise<void> {
    this.#histogram = monitorEventLoopDelay({ resolution: 1 });
    this.#histogram.enable();
    // The histogram records the interval between its ticks and ignores the first one, so a stall that begins
    // before its first tick would go unseen.
    await sleep(3);
    this.#maxGap = 0;
    this.#maxBusyGap = 0;
    this.#ticks = 0;
    this.#running = true;
    this.#lastCpu = threadCpu?.() ?? 0;
    this.#last = performance.now();
    this.#schedule();
  }

  /**
   * Stops watching. `endedAt` is the `performance.now()` at which the measured work finished; a synchronous
   * stretch that lasted until then counts as a gap even though no timer could run after it.
   */
  async stop(endedAt: number): Promise<LoopSample> {
    this.#running = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#gap(endedAt);
    // Let the histogram tick once more so the interval that spans a final stall is recorded.
    await sleep(2);
    const histogram = this.#histogram;
    histogram?.disable();
    const sample: LoopSample = {
      maxDelayMs: histogram === undefined || histogram.count === 0 ? 0 : histogram.max / 1e6,
      p99DelayMs: histogram === undefined || histogram.count === 0 ? 0 : histogram.percentile(99) / 1e6,
      maxGapMs: this.#maxGap,
      ...(threadCpu === undefined ? {} : { maxBusyGapMs: this.#maxBusyGap }),
      ticks: this.#ticks,
    };
    this.#histogram = undefined;
    return sample;
  }

  #gap(now: number): void {
    const cpu = threadCpu?.() ?? 0;
    const gap = now - this.#last;
    const busy = cpu - this.#lastCpu;
    if (gap > this.#maxGap) this.#maxGap = gap;
    if (busy > this.#maxBusyGap) this.#maxBusyGap = Math.min(busy, gap);
    this.#last = now;
    this.#lastCpu = cpu;
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      if (!this.#running) return;
      this.#gap(performance.now());
      this.#ticks++;
      this.#schedule();
    }, 0);
  }
}
