import { isDeepStrictEqual } from 'node:util';
import type { Operation, OperationKind, Params, TransactionInfo } from '@rapsqlite/engine';
import { invalidArgument } from '@rapsqlite/engine/plugin';

/**
 * A query as a mock sees and records it: the operation's kind, SQL and parameters (`paramsList` for `runMany`), and
 * the transaction it ran in.
 */
export interface MockQuery {
  readonly kind: OperationKind;
  readonly sql: string;
  /** The bound parameters, for the kinds that have them. */
  readonly params: Params | undefined;
  /** The parameter sets of a `runMany`. */
  readonly paramsList: readonly Params[] | undefined;
  /** The enclosing transaction, or undefined outside one. */
  readonly transaction: TransactionInfo | undefined;
}

/**
 * What selects queries: the exact SQL text, a RegExp tested against it, `{ normalized }` compared after both sides
 * go through the normalizer (by default the engine's `normalizeSql`), or a predicate.
 */
export type SqlMatcher = string | RegExp | { readonly normalized: string } | ((query: MockQuery) => boolean);

/** Turns an operation into the query view that matchers, rules and recorded calls use. */
export function toQuery(op: Operation): MockQuery {
  return {
    kind: op.kind,
    sql: op.sql,
    params: 'params' in op ? op.params : undefined,
    paramsList: op.kind === 'runMany' ? op.paramsList : undefined,
    transaction: op.transaction,
  };
}

/** Compiles a matcher to a test function. */
export function compileMatcher(matcher: SqlMatcher, normalize: (sql: string) => string): (query: MockQuery) => boolean {
  if (typeof matcher === 'string') return (q) => q.sql === matcher;
  if (matcher instanceof RegExp) {
    // A global or sticky RegExp keeps state between test() calls; a copy without those flags does not.
    const re = new RegExp(matcher.source, matcher.flags.replace(/[gy]/g, ''));
    return (q) => re.test(q.sql);
  }
  if (typeof matcher === 'function') return (q) => matcher(q) === true;
  if (typeof matcher === 'object' && matcher !== null && typeof matcher.normalized === 'string') {
    const expected = normalize(matcher.normalized);
    return (q) => normalize(q.sql) === expected;
  }
  throw invalidArgument('A SQL matcher is a string, a RegExp, { normalized: string } or a predicate (query) => boolean');
}

/** A short description of a matcher for messages. */
export function describeMatcher(matcher: SqlMatcher): string {
  if (typeof matcher === 'string') return JSON.stringify(matcher);
  if (matcher instanceof RegExp) return String(matcher);
  if (typeof matcher === 'function') return `predicate ${matcher.name || '(anonymous)'}`;
  return `normalized ${JSON.stringify(matcher.normalized)}`;
}

/** True when the query's parameters equal `expected` (deeply; for `runMany`, the list of sets). */
export function paramsEqual(query: MockQuery, expected: unknown): boolean {
  return isDeepStrictEqual(query.kind === 'runMany' ? query.paramsList : query.params, expected);
}
