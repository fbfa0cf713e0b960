import type { Execute, Middleware, Step } from './middleware.ts';
import type { Operation } from './operation.ts';
import { changedRows, createPluginReporter, returnedRows, watchIterator, type PluginErrorHandler, type PluginReporter } from './plugin-support.ts';

/** How an observed operation ended, as {@link ObserverHooks.end} receives it. */
export interface Outcome {
  /** False when the operation (or, for `iterate`, its iteration) failed. */
  readonly ok: boolean;
  /** The failure, when it failed. */
  readonly error: unknown;
  /** Milliseconds from the call to its result (for `iterate`: to the end of the iteration), queue time included. */
  readonly durationMs: number;
  /** Rows the operation returned (rows delivered, for `iterate`); undefined for kinds that return none. */
  readonly rows: number | undefined;
  /** Rows a `run` or `runMany` changed; undefined for other kinds. */
  readonly changes: number | undefined;
}

/** What an observer does; every hook is optional but `end`. `S` is the state it keeps per operation. */
export interface ObserverHooks<S> {
  /** Which operations to observe (default: all); the others pass through untouched, at no cost. */
  filter?(op: Operation): boolean;
  /** Called before the operation goes down the chain; what it returns is handed to the other hooks. */
  start?(op: Operation): S;
  /** Runs the rest of the chain, for an observer that needs a context of its own around it (an active span). */
  around?(op: Operation, state: S, next: () => Promise<unknown>): Promise<unknown>;
  /** Called for each row an `iterate` delivers, as it is delivered. */
  row?(op: Operation, state: S): void;
  /**
   * Called once when the operation ends: when it settles, or when its iteration ends, fails or is left early. It may
   * return a promise, which is awaited before the result reaches the caller (not for `iterate`); its failure is
   * reported, never thrown. `next` is the rest of the chain, for an observer that sends an operation of its own (an
   * `EXPLAIN` of a slow query, in the same transaction).
   */
  end(op: Operation, state: S, outcome: Outcome, next: Execute): void | PromiseLike<void>;
}

/** Options of {@link observe}. */
export interface ObserveOptions {
  /** Receives the observer's own failures; default: one process warning. */
  readonly onError?: PluginErrorHandler | undefined;
  /** A reporter the plugin already has (it then shares one warning with the plugin's other failures). */
  readonly report?: PluginReporter | undefined;
}

/**
 * Builds an observing middleware from hooks: it times each operation (queue time included: the chain runs above
 * connection choice), watches `iterate`'s rows to the end of the iteration, counts returned and changed rows from the
 * typed results, and never throws into the query path — a hook that throws is reported to `onError` (or as one
 * process warning) and the query goes on. The shape otel, metrics and logging plugins share.
 *
 * @example
 * ```ts
 * const log = observe('log', { end: (op, _state, outcome) => console.log(op.kind, op.sql, outcome.durationMs) });
 * db.use(log);
 * ```
 */
export function observe<S = undefined>(name: string, hooks: ObserverHooks<S>, options: ObserveOptions = {}): Middleware {
  const report = options.report ?? createPluginReporter(name, options.onError);
  return {
    name,
    wrap(next: Execute): Step {
      const finish = (op: Operation, state: S, outcome: Outcome): void | PromiseLike<void> => {
        try {
          return hooks.end(op, state, outcome, next);
        } catch (err) {
          report(err, 'end');
          return undefined;
        }
      };
      // A pending report may hold the result back; its failure is reported, and the result or error goes on.
      const after = <T>(waited: void | PromiseLike<void>, settle: () => T): T | Promise<T> =>
        waited === undefined
          ? settle()
          : Promise.resolve(waited).then(settle, (err: unknown) => {
              report(err, 'end');
              return settle();
            });
      return (op: Operation): Promise<unknown> => {
        let state: S;
        try {
          if (hooks.filter !== undefined && !hooks.filter(op)) return next(op);
          state = hooks.start === undefined ? (undefined as S) : hooks.start(op);
        } catch (err) {
          report(err, 'start');
          return next(op);
        }
        const started = performance.now();
        let pending: Promise<unknown>;
        try {
          // Promise.resolve tolerates a middleware below that breaks the contract (returns a value).
          pending = Promise.resolve(hooks.around === undefined ? next(op) : hooks.around(op, state, () => next(op)));
        } catch (err) {
          pending = Promise.reject(err);
        }
        return pending.then(
          (result) => {
            if (op.kind === 'iterate' && result !== null && typeof result === 'object') {
              const onRow = hooks.row;
              return watchIterator(
                result as AsyncIterator<unknown>,
                (rows, error) => {
                  const waited = finish(op, state, { ok: error === undefined, error, durationMs: performance.now() - started, rows, changes: undefined });
                  // The iteration is not held up by a pending report; its failure is still reported.
                  if (waited !== undefined) Promise.resolve(waited).catch((err: unknown) => report(err, 'end'));
                },
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
            const outcome: Outcome = {
              ok: true,
              error: undefined,
              durationMs: performance.now() - started,
              rows: returnedRows(op.kind, result),
              changes: changedRows(op.kind, result),
            };
            return after(finish(op, state, outcome), () => result);
          },
          (error: unknown) => {
            const outcome: Outcome = { ok: false, error, durationMs: performance.now() - started, rows: undefined, changes: undefined };
            return after(finish(op, state, outcome), () => {
              throw error;
            });
          },
        );
      };
    },
  };
}
