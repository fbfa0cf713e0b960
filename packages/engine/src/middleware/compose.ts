import { ErrorCodes } from '../errors/codes.ts';
import { RapsqliteError } from '../errors/rapsqlite-error.ts';
import type { Execute, Middleware, Step } from './middleware.ts';

/**
 * Composes middleware around a terminal step, once: the first middleware is the outermost. With no middleware the
 * terminal itself is returned, so the fast path pays nothing for the chain.
 */
export function compose(middleware: readonly Middleware[], terminal: Step): Execute {
  // The terminal resolves each operation with its kind's result, by contract; from here on the chain is typed.
  let next = terminal as Execute;
  for (let i = middleware.length - 1; i >= 0; i--) {
    const mw = middleware[i] as Middleware;
    const step = mw.wrap(next);
    if (typeof step !== 'function') {
      throw new RapsqliteError(ErrorCodes.MIDDLEWARE, `Middleware "${mw.name}" did not return a function from wrap()`);
    }
    // A step resolves with its operation's result type by contract (the engine's terminal does; a mock is checked
    // by its own package); the chain is typed as Execute from here on.
    next = step as Execute;
  }
  return next;
}

/** Checks that a value has the shape of a middleware, so a mistake fails when it is registered, not per query. */
export function assertMiddleware(value: unknown): asserts value is Middleware {
  const mw = value as Partial<Middleware> | null;
  if (typeof mw !== 'object' || mw === null || typeof mw.name !== 'string' || typeof mw.wrap !== 'function') {
    throw new RapsqliteError(
      ErrorCodes.INVALID_ARGUMENT,
      'A middleware is an object with a string `name` and a `wrap(next)` function',
    );
  }
}
