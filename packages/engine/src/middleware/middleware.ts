import type { Operation, OperationKind, OperationOf, OperationResults } from './operation.ts';

/**
 * Runs an operation and resolves with its result, typed by the operation's kind through {@link OperationResults}:
 * `undefined` for `exec` and control statements, a `RunResult` for `run`, a `RunManyResult` for `runMany`, a row or
 * `undefined` for `get`, a row array for `all`, a `ValuesResult` for `values`, an async iterator of rows for
 * `iterate`, statement metadata for `prepare`, and the callback's value for `transaction`. Called with an operation
 * narrowed on `op.kind`, the result type narrows with it.
 */
export type Execute = <K extends OperationKind>(op: OperationOf<K>) => Promise<OperationResults[K]>;

/**
 * The step a middleware's `wrap` returns: it takes any operation and resolves with that operation's result (what
 * {@link OperationResults} says for its kind). It is typed loosely so that a middleware answering by itself (a mock)
 * needs no cast; `next`, which it receives, is typed strictly.
 */
export type Step = (op: Operation) => Promise<unknown>;

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
  wrap(next: Execute): Step;
}
