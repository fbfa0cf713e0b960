/**
 * Whether a worker may poll for its next request after answering (`spinMicros`) instead of going to sleep.
 *
 * Polling wins when the machine has a free core: a caller awaiting one query at a time sends the next one a few
 * microseconds after our answer, and a polling worker picks it up without being woken (a bare round trip: ~9 µs
 * instead of ~24 µs on a quiet 2-core machine). It loses when every core is busy: the polling thread then holds a
 * core that the caller's thread (or another process) needs, is preempted in turn, and a round trip took 34 µs polling
 * against 14 µs sleeping (`tools/bench/wakeup.ts`, load average 5.5 on 2 cores).
 *
 * The kernel tells the two cases apart. On Linux, `/proc/thread-self/schedstat` gives the time this thread spent
 * ready to run but waiting for a CPU (its run delay). While polling, a thread on a machine with a free core almost
 * rarely waits; on a busy one it waits a large share of the time (42 % in the measurement above). So the gate closes
 * when the run delay exceeds {@link BUSY_SHARE} of a window, and, since a sleeping thread says little about the
 * machine, opens again for a trial window every {@link RETRY_MS} to look once more. Elsewhere (no procfs) it stays
 * open: the behaviour of a fixed `spinMicros`.
 */
import { readFileSync } from 'node:fs';

/** How often the gate looks at the run delay while polling (and how long a trial lasts), in milliseconds. */
export const WINDOW_MS = 100;
/** After closing, how long the gate waits before it tries polling again, in milliseconds. */
export const RETRY_MS = 1000;
/**
 * The share of a window spent waiting for a CPU above which polling costs more than it saves. On a 2-core machine a
 * polling worker and a busy caller already fill both cores, so V8's helper threads and the kernel's make a worker
 * wait 15–17 % of the time with nothing else running (autocommit inserts), and polling still paid there: with the
 * gate at 10 % it closed, and inserts took 1.12× the time of always polling; at 30 %, 0.93×. With one CPU-burning
 * process per core the worker waited 42–49 % of the time.
 */
export const BUSY_SHARE = 0.3;

/** The calling thread's run delay in nanoseconds, or undefined where the kernel does not report it. */
export function readRunDelayNs(): number | undefined {
  try {
    const delay = Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[1]);
    return Number.isFinite(delay) ? delay : undefined;
  } catch {
    return undefined;
  }
}

/** Decides, from the thread's run delay, whether polling pays; see the module's comment. */
export class PollGate {
  readonly #readDelay: () => number | undefined;
  #state: 'open' | 'closed' | 'trial' | 'static' = 'open';
  /** When the current window (or the closed period) started, in `performance.now()` milliseconds. */
  #since = Number.NEGATIVE_INFINITY;
  #delayAtStart = 0;

  /** `readDelay` is injectable for tests; it defaults to the kernel's figure for the calling thread. */
  constructor(readDelay: () => number | undefined = readRunDelayNs) {
    this.#readDelay = readDelay;
  }

  /** Whether to poll now; `now` is `performance.now()`. Cheap: it reads the kernel's figure once per window. */
  allows(now: number): boolean {
    const state = this.#state;
    if (state === 'static') return true;
    if (state === 'closed') {
      if (now - this.#since < RETRY_MS) return false;
      return this.#start('trial', now);
    }
    if (now - this.#since < WINDOW_MS) return true;
    const delay = this.#readDelay();
    if (delay === undefined) {
      this.#state = 'static';
      return true;
    }
    const elapsedNs = (now - this.#since) * 1e6;
    const busy = Number.isFinite(elapsedNs) && (delay - this.#delayAtStart) / elapsedNs > BUSY_SHARE;
    this.#state = busy ? 'closed' : 'open';
    this.#since = now;
    this.#delayAtStart = delay;
    return !busy;
  }

  /** The gate's state, for tests and diagnostics. */
  get state(): 'open' | 'closed' | 'trial' | 'static' {
    return this.#state;
  }

  #start(state: 'trial', now: number): boolean {
    const delay = this.#readDelay();
    if (delay === undefined) {
      this.#state = 'static';
      return true;
    }
    this.#state = state;
    this.#since = now;
    this.#delayAtStart = delay;
    return true;
  }
}
