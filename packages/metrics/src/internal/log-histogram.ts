/** Sub-buckets per doubling: bucket bounds grow by 2^(1/4) ≈ 1.19, so an estimate is within ±9 % of the truth. */
const STEPS_PER_DOUBLING = 4;
/** Buckets cover 1 µs to 2^30 µs (about 18 minutes); values outside land in the first or last bucket. */
const BUCKETS = 30 * STEPS_PER_DOUBLING + 1;

/**
 * A fixed-size log-bucketed histogram of durations, for percentiles: 121 counters (484 bytes), O(1) to record,
 * deterministic, never resampled. A percentile is the geometric middle of the bucket holding the
 * nearest-rank value, clamped to the observed minimum and maximum, so its relative error is at most about 9 %.
 */
export class LogHistogram {
  readonly #counts = new Uint32Array(BUCKETS);
  #total = 0;

  /** Records a duration in milliseconds. */
  record(ms: number): void {
    const micros = ms * 1000;
    const index = micros < 1 ? 0 : Math.min(BUCKETS - 1, 1 + Math.floor(Math.log2(micros) * STEPS_PER_DOUBLING));
    this.#counts[index] = (this.#counts[index] as number) + 1;
    this.#total++;
  }

  /** The estimated `q`-quantile (0 < q ≤ 1) in milliseconds, clamped to [min, max]; 0 when empty. */
  quantile(q: number, min: number, max: number): number {
    if (this.#total === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.#total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i] as number;
      if (seen >= rank) {
        if (i === 0) return min;
        // Bucket i (≥ 1) holds [2^((i-1)/4), 2^(i/4)) µs; its geometric middle is 2^((i-0.5)/4) µs.
        const middle = 2 ** ((i - 0.5) / STEPS_PER_DOUBLING) / 1000;
        return Math.min(max, Math.max(min, middle));
      }
    }
    return max;
  }
}
