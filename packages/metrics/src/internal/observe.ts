import type { Execute, Step, Operation, OperationKind } from '@rapsqlite/engine';
import { changedRows, returnedRows, watchIterator, type PluginReporter } from '@rapsqlite/engine/plugin';

/** How an observed operation ended. */
export interface Outcome {
  /** Milliseconds from the call to its result (for `iterate`: to the end of the iteration). */
  readonly durationMs: number;
  /** Rows returned, for `get`, `all`, `values` and `iterate`. */
  readonly rows: number | undefined;
  /** Rows changed, for `run` and `runMany`. */
  readonly changes: number | undefined;
  /** True when the operation failed; `error` is then what it threw. */
  readonly failed: boolean;
  readonly error: unknown;
}

/** Called once per operation when it ends; a returned promise is awaited before the result is handed back. */
export type EndHandler<S> = (op: Operation, state: S, outcome: Outcome) => void | PromiseLike<void>;

/**
 * Every kind but `transaction`: a whole transaction is made of the operations it runs (BEGIN, statements,
 * COMMIT), which are measured one by one; measuring the whole as well would count its time twice.
 */
export const MEASURED_KINDS: readonly OperationKind[] = Object.freeze([
  'exec', 'run', 'runMany', 'get', 'all', 'values', 'iterate', 'prepare', 'begin', 'commit', 'rollback', 'savepoint', 'release', 'rollbackTo',
]);

/** Statement kinds: one SQL statement (or script) sent by the application. */
export const STATEMENT_KINDS: readonly OperationKind[] = Object.freeze(['exec', 'run', 'runMany', 'get', 'all', 'values', 'iterate']);

/**
 * Builds a middleware step that times every operation `select` accepts and calls `end` with its outcome. The
 * operation's own result or error always reaches the caller unchanged: a failure of `begin` or `end` goes to
 * `report` instead.
 */
export function observer<S>(
  next: Execute,
  select: (op: Operation) => boolean,
  begin: (op: Operation) => S,
  end: EndHandler<S>,
  report: PluginReporter,
): Step {
  return (op) => {
    let state: S;
    try {
      if (!select(op)) return next(op);
      state = begin(op);
    } catch (err) {
      report(err, 'start');
      return next(op);
    }
    const start = performance.now();
    let pending: Promise<unknown>;
    try {
      // Promise.resolve returns a native promise as it is, and tolerates a middleware below that breaks the contract.
      pending = Promise.resolve(next(op));
    } catch (err) {
      pending = Promise.reject(err);
    }
    const finish = (outcome: Outcome): void | PromiseLike<void> => {
      try {
        return end(op, state, outcome);
      } catch (err) {
        report(err, 'end');
        return undefined;
      }
    };
    return pending.then(
      (result) => {
        if (op.kind === 'iterate' && result !== null && typeof result === 'object') {
          try {
            return watchIterator(result as AsyncIterator<unknown>, (rows, error) => {
              const waited = finish({ durationMs: performance.now() - start, rows, changes: undefined, failed: error !== undefined, error });
              // The iteration is not held up by a pending report; its failure is still reported.
              if (waited !== undefined) Promise.resolve(waited).catch((err: unknown) => report(err, 'end'));
            });
          } catch (err) {
            report(err, 'end');
            return result;
          }
        }
        const waited = finish({
          durationMs: performance.now() - start,
          rows: returnedRows(op.kind, result),
          changes: changedRows(op.kind, result),
          failed: false,
          error: undefined,
        });
        return waited === undefined ? result : Promise.resolve(waited).then(() => result, (err: unknown) => {
          report(err, 'end');
          return result;
        });
      },
      (error: unknown) => {
        const waited = finish({ durationMs: performance.now() - start, rows: undefined, changes: undefined, failed: true, error });
        if (waited === undefined) throw error;
        return Promise.resolve(waited).then(
          () => {
            throw error;
          },
          (err: unknown) => {
            report(err, 'end');
            throw error;
          },
        );
      },
    );
  };
}
