/**
 * The delay before retry number `retry` (0 for the first): exponential backoff with full jitter,
 * `random(0, min(maxDelayMs, baseDelayMs · 2^retry))`, in milliseconds. Full jitter spreads processes that failed
 * together over the whole window, so they do not collide again in lockstep.
 */
export function backoffDelay(retry: number, baseDelayMs: number, maxDelayMs: number, random: () => number): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** retry);
  const r = random();
  // A random source outside [0, 1) would break the bound; clamp rather than trust it.
  return ceiling * Math.min(Math.max(Number.isFinite(r) ? r : 0, 0), 1);
}
