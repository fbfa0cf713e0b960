import type { Execute, Middleware, Step } from './middleware.ts';
import type { Operation } from './operation.ts';
import { changedRows, createPluginReporter, returnedRows, watchIterator, type PluginErrorHandler } from './plugin-support.ts';

/** How an observed operation ended, as {@link ObserverHooks.end} receives it. */
export interface Outcome {
  /** False when the operation (or, for `iterate`, its iteration) failed. */
  readonly ok: boolean;
  /** The failure, when it failed. */
  readonly error: unknown;
  /** Milliseconds from the start of the operation (of the iteration's opening, for `iterate`) to its end. */
  readonly durationMs: number;
  /** Rows the operation returned (rows delivered, for `iterate`); undefined for kinds that return none. */
  readonly rows: number | undefined;
  /** Rows a `run` or `runMany` changed; undefined for other kinds. */
  readonly changes: number | undefined;
}

/** What an observer does; every hook is optional but `end`. `S` is the state it keeps per operation. */
export interface ObserverHooks<S> {
  /** Called before the operation goes down the chain; what it returns is handed to the other hooks. */
  start?(op: Operation): S;
  /** Runs the rest of the chain, for an observer that needs a context of its own around it (an active span). */
  around?(op: Operation, state: S, next: () => Promise<unknown>): Promise<unknown>;
  /** Called for each row an `iterate` delivers, as it is delivered. */
  row?(op: Operation, state: S): void;
  /** Called once when the operation ends: when it settles, or when its iteration ends, fails or is left early. */
  end(op: Operation, state: S, outcome: Outcome): void;
}

/**
 * Builds an observing middleware from hooks: it times each operation, watches `iterate`'s rows to the end of the
 * iteration, counts returned and changed rows from the typed results, and never throws into the query path — a hook
 * that throws is reported to `onError` (or as one process warning) and the query goes on.
 *
 * @example
 * ```ts
 * const log = observe('log', { end: (op, _state, outcome) => console.log(op.kind, op.sql, outcome.durationMs) });
 * db.use(log);
 * ```
 */
export function observe<S = undefined>(name: string, hooks: ObserverHooks<S>, onError?: PluginErrorHandler): Middleware {
  const report = createPluginReporter(name, onError);
  const end = (op: Operation, state: S, outcome: Outcome): void => {
    try {
      hooks.end(op, state, outcome);
    } catch (err) {
      report(err, 'end');
    }
  };
  return {
    name,
    wrap: (next: Execute): Step =>
      (op: Operation): Promise<unknown> => {
        let state: S;
        try {
          state = hooks.start === undefined ? (undefined as S) : hooks.start(op);
        } catch (err) {
          report(err, 'start');
          return next(op);
        }
        const started = performance.now();
        let pending: Promise<unknown>;
        try {
          pending = hooks.around === undefined ? next(op) : hooks.around(op, state, () => next(op));
        } catch (err) {
          pending = Promise.reject(err);
        }
        return pending.then(
          (result) => {
            if (op.kind === 'iterate') {
              const onRow = hooks.row;
              return watchIterator(
                result as AsyncIterator<unknown>,
                (rows, error) => end(op, state, { ok: error === undefined, error, durationMs: performance.now() - started, rows, changes: undefined }),
                onRow === undefined
                  ? undefined
                  : () => {
                      try {
                        onRow(op, state);
                      } catch (err) {
                        report(err, 'row');
                      }
                    },
              );
            }
            end(op, state, {
              ok: true,
              error: undefined,
              durationMs: performance.now() - started,
              rows: returnedRows(op.kind, result),
              changes: changedRows(op.kind, result),
            });
            return result;
          },
          (error: unknown) => {
            end(op, state, { ok: false, error, durationMs: performance.now() - started, rows: undefined, changes: undefined });
            throw error;
          },
        );
      },
  };
}
