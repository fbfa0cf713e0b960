import type { Mock, MockCallFilter } from './create-mock.ts';
import { describeMatcher, type SqlMatcher } from './sql-matcher.ts';

/** The part of a test runner's matcher context these matchers read. */
interface MatcherContext {
  readonly isNot?: boolean;
}

interface MatcherResult {
  readonly pass: boolean;
  readonly message: () => string;
}

/**
 * The assertions added by {@link mockMatchers}, for declaring them on your runner's matcher type. The type
 * parameters must repeat the runner's own declaration (vitest 5 shown; vitest 3 declares `Matchers<T = any>`).
 *
 * @example
 * ```ts
 * // test/vitest.d.ts
 * import type { MockMatchers } from '@rapsqlite/testing';
 * declare module 'vitest' {
 *   interface Matchers<R extends void | Promise<void> = void | Promise<void>, T = unknown> extends MockMatchers<R> {}
 * }
 * ```
 */
export interface MockMatchers<R = unknown> {
  /** Passes when the mock recorded a call that `matcher` selects (exactly `times` of them when given). */
  toHaveQueried(matcher: SqlMatcher, options?: MockCallFilter & { readonly times?: number }): R;
  /** Passes when every statement the mock saw matched a rule. */
  toHaveNoUnmatchedQueries(): R;
}

function isMock(value: unknown): value is Mock {
  return typeof value === 'object' && value !== null && typeof (value as Mock).callsTo === 'function' && Array.isArray((value as Mock).calls);
}

function notAMock(): MatcherResult {
  return { pass: false, message: () => 'expected a mock made by createMock()' };
}

/**
 * Matchers for `expect.extend()` (vitest, or jest's `expect`), so a test can say
 * `expect(mock).toHaveQueried('SELECT …', { times: 1 })`. This package does not import vitest.
 *
 * @example
 * ```ts
 * import { expect } from 'vitest';
 * import { mockMatchers } from '@rapsqlite/testing';
 * expect.extend(mockMatchers);
 * ```
 */
export const mockMatchers = {
  toHaveQueried(this: MatcherContext, received: unknown, matcher: SqlMatcher, options: MockCallFilter & { readonly times?: number } = {}): MatcherResult {
    if (!isMock(received)) return notAMock();
    const count = received.callsTo(matcher, options).length;
    const pass = options.times === undefined ? count > 0 : count === options.times;
    const wanted = options.times === undefined ? 'at least once' : `${options.times} time(s)`;
    const seen = received.calls.map((c) => `  ${c.kind} ${JSON.stringify(c.sql)}`).join('\n') || '  (none)';
    return {
      pass,
      message: () =>
        this.isNot === true
          ? `expected ${describeMatcher(matcher)} not to be queried ${wanted}, but it was queried ${count} time(s)`
          : `expected ${describeMatcher(matcher)} to be queried ${wanted}, but it was queried ${count} time(s). Calls:\n${seen}`,
    };
  },

  toHaveNoUnmatchedQueries(this: MatcherContext, received: unknown): MatcherResult {
    if (!isMock(received)) return notAMock();
    const unmatched = received.unmatched;
    return {
      pass: unmatched.length === 0,
      message: () =>
        this.isNot === true
          ? 'expected some query to match no rule, but every query matched'
          : `expected every query to match a rule, but ${unmatched.length} did not:\n${unmatched.map((c) => `  ${c.kind} ${JSON.stringify(c.sql)}`).join('\n')}`,
    };
  },
};
