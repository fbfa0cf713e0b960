import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../src/backoff.ts';

describe('backoffDelay', () => {
  it('doubles the ceiling from the base up to the cap', () => {
    const ceilings = Array.from({ length: 9 }, (_, retry) => backoffDelay(retry, 5, 200, () => 1));
    expect(ceilings).toEqual([5, 10, 20, 40, 80, 160, 200, 200, 200]);
  });

  it('draws uniformly below the ceiling (full jitter)', () => {
    expect(backoffDelay(3, 5, 200, () => 0)).toBe(0);
    expect(backoffDelay(3, 5, 200, () => 0.5)).toBe(20);
  });

  it('stays within bounds with a broken random source and huge retry counts', () => {
    expect(backoffDelay(2, 5, 200, () => 7)).toBe(20);
    expect(backoffDelay(2, 5, 200, () => -1)).toBe(0);
    expect(backoffDelay(2, 5, 200, () => Number.NaN)).toBe(0);
    expect(backoffDelay(5000, 5, 200, () => 1)).toBe(200);
  });
});
