import type { Operation } from './operation.ts';

/**
 * Runs an operation and resolves with its result: `undefined` for `exec` and control statements, a `RunResult` for
 * `run`, a `RunManyResult` for `runMany`, a row or `undefined` for `get`, a row array for `all`, a `ValuesResult` for
 * `values`, an `AsyncIterableIterator` of rows for `iterate`, statement metadata for `prepare`, and the callback's
 * value for `transaction`.
 */
export type Execute = (op: Operation) => Promise<unknown>;

/**
 * A middleware: wraps the next step of the chain once, when the chain is composed, and returns the step that runs
 * before it. The first middleware registered is the outermost. A middleware may observe an operation, answer it
 * without calling `next` (a mock), call `next` again (a retry) or change `sql`/`params` before calling it.
 *
 * @example
 * ```ts
 * const timing: Middleware = {
 *   name: 'timing',
 *   wrap: (next) => async (op) => {
 *     const start = performance.now();
 *     try { return await next(op); } finally { console.log(op.kind, op.sql, performance.now() - start); }
 *   },
 * };
 * const db = await open('app.db', { middleware: [timing] });
 * ```
 */
export interface Middleware {
  /** A short name, used in error messages and by plugins that look for each other. */
  readonly name: string;
  /** Returns the function that handles an operation, given the next step of the chain. */
  wrap(next: Execute): Execute;
}
