import { describe, expect, it } from 'vitest';
import { retry } from '../src/index.ts';

describe('retry options', () => {
  it('has a name and accepts no options', () => {
    expect(retry().name).toBe('retry');
    expect(retry({ name: 'busy-retry' }).name).toBe('busy-retry');
  });

  it.each([
    [{ maxRetries: -1 }],
    [{ maxRetries: 1.5 }],
    [{ baseDelayMs: Number.NaN }],
    [{ maxDelayMs: '10' }],
    [{ maxRetryTimeMs: -5 }],
    [{ shouldRetry: true }],
    [{ onRetry: 'log' }],
    [{ signal: {} }],
    [{ retryExec: 'yes' }],
    [{ random: 0.5 }],
    [{ name: '' }],
    [{ maxRetry: 3 }],
  ])('refuses %o with ERR_RAPSQLITE_INVALID_ARGUMENT', (options) => {
    expect(() => retry(options as never)).toThrow(expect.objectContaining({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' }));
  });

  it('accepts Infinity for maxRetries', () => {
    expect(() => retry({ maxRetries: Number.POSITIVE_INFINITY })).not.toThrow();
  });
});
