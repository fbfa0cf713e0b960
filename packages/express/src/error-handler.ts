import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler } from 'express';
import { errorStatus, resolveErrorStatuses } from '@rapsqlite/http';

/** Options of {@link errorHandler}. */
export interface ErrorHandlerOptions {
  /** Statuses merged over `DEFAULT_ERROR_STATUSES` (constraint 409, busy 503, timeout 504…). */
  readonly statuses?: Readonly<Record<string, number>>;
}

/**
 * An Express error handler that answers rapsqlite's coded errors with an HTTP status and a JSON body
 * `{ statusCode, error, code, message }`, and passes every other error (or one that arrives after the response
 * started) to the next error handler. Install it after your routes: mapping is opt-in.
 *
 * @example
 * ```ts
 * app.use(errorHandler({ statuses: { SQLITE_CONSTRAINT_CHECK: 422 } }));
 * ```
 */
export function errorHandler(options: ErrorHandlerOptions = {}): ErrorRequestHandler {
  const table = resolveErrorStatuses(options.statuses ?? true, '@rapsqlite/express: errorHandler() `statuses`');
  return (err: unknown, _req, res, next) => {
    const status = errorStatus(err, table);
    if (status === undefined || res.headersSent) {
      next(err);
      return;
    }
    const { code, message } = err as { code?: unknown; message?: unknown };
    res.status(status).json({ statusCode: status, error: STATUS_CODES[status], code, message });
  };
}
