/**
 * What a call may cost its connection, as far as the pool can tell before sending it: `'fast'` (this SQL text
 * finished within {@link SLOW_MS} when last seen), `'slow'` (it took longer), `'unknown'` (never seen, or seen too long
 * ago). Routing uses it so that a fast call is not queued on a worker behind a slow one while another reader is free.
 */
export type CallCost = 'fast' | 'slow' | 'unknown';

/**
 * A call that keeps its connection busy longer than this is slow. A point read costs tens of microseconds, a thread
 * hop about as much; a call of several milliseconds is what a fast call must not wait behind.
 */
export const SLOW_MS = 2;

/**
 * How much of a new measurement goes into the running estimate (an exponentially weighted mean): less when it is
 * slower than the estimate (one delayed answer is not a slow query) than when it is faster (a first call that paid for
 * preparing its statement on a cold connection is soon forgotten).
 */
const WEIGHT_UP = 0.25;
const WEIGHT_DOWN = 0.5;
/**
 * Once a text is known, a measurement and the estimate count for at most this much: a fast query whose answer waited
 * for a busy event loop (twice in a row) is not taken for a slow one, a slow query that became fast is taken for a
 * fast one again after two fast calls, and a first measurement of a slow one counts in full.
 */
const CAP_MS = 2 * SLOW_MS;

/**
 * Remembers, per SQL text, how long calls of it kept their connection busy (a weighted mean, so one outlier does not
 * flip the verdict for long). Bounded: past `limit` texts the oldest one is forgotten.
 */
export class CallCosts {
  readonly #limit: number;
  readonly #ms = new Map<string, { ms: number }>();

  constructor(limit: number) {
    this.#limit = limit;
  }

  get size(): number {
    return this.#ms.size;
  }

  /** The cost class of a call of `sql`, from what earlier calls of it measured. */
  cost(sql: string): CallCost {
    const entry = this.#ms.get(sql);
    if (entry === undefined) return 'unknown';
    return entry.ms >= SLOW_MS ? 'slow' : 'fast';
  }

  /** Records that a call of `sql` kept its connection busy `ms` milliseconds. */
  record(sql: string, ms: number): void {
    const entry = this.#ms.get(sql);
    if (entry !== undefined) {
      const before = Math.min(entry.ms, CAP_MS);
      const now = Math.min(ms, CAP_MS);
      entry.ms = before + (now - before) * (now > before ? WEIGHT_UP : WEIGHT_DOWN);
      return;
    }
    if (this.#limit === 0) return;
    if (this.#ms.size >= this.#limit) this.#ms.delete(this.#ms.keys().next().value as string);
    this.#ms.set(sql, { ms });
  }

  clear(): void {
    this.#ms.clear();
  }
}
