/** Small order statistics over plain number arrays; inputs are never mutated. */

/** The value below which `p` percent of `values` fall (nearest-rank on a sorted copy); NaN when empty. */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** The median of `values`; for an even count, the mean of the two middle values. NaN when empty. */
export function median(values: ArrayLike<number>): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  if (sorted.length % 2 === 1) return sorted[mid] ?? Number.NaN;
  return ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** The largest of `values`, ignoring NaN; NaN when there is nothing else. */
export function max(values: ArrayLike<number>): number {
  let best = Number.NaN;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? Number.NaN;
    if (Number.isNaN(v)) continue;
    if (!(v <= best)) best = v;
  }
  return best;
}

/**
 * A growable store of per-operation latencies in microseconds, kept in a typed array so that
 * recording one costs no allocation inside a timed loop.
 */
export class LatencyRecorder {
  #data = new Float64Array(4096);
  #length = 0;

  /** Adds one latency, in microseconds. */
  record(us: number): void {
    if (this.#length === this.#data.length) {
      const bigger = new Float64Array(this.#data.length * 2);
      bigger.set(this.#data);
      this.#data = bigger;
    }
    this.#data[this.#length++] = us;
  }

  /** How many latencies were recorded. */
  get length(): number {
    return this.#length;
  }

  /** The recorded latencies, as a view (no copy). */
  values(): Float64Array {
    return this.#data.subarray(0, this.#length);
  }
}
