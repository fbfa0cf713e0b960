import { STATUS_CODES } from 'node:http';
import type { Context, ErrorHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { errorStatus, resolveErrorStatuses } from '@rapsqlite/http';

/** Options of {@link errorHandler}. */
export interface ErrorHandlerOptions {
  /** Statuses merged over `DEFAULT_ERROR_STATUSES` (constraint 409, busy 503, timeout 504…). */
  readonly statuses?: Readonly<Record<string, number>>;
  /** Handles every other error. Default: Hono's own behaviour (an `HTTPException`'s response, else a plain 500). */
  readonly fallback?: ErrorHandler;
}

function honoDefault(err: Error, c: Context): Response | Promise<Response> {
  const exception = err as Error & { getResponse?: () => Response };
  if (typeof exception.getResponse === 'function') return exception.getResponse();
  console.error(err);
  return c.text('Internal Server Error', 500);
}

/**
 * A Hono `onError` handler that answers rapsqlite's coded errors with an HTTP status and a JSON body
 * `{ statusCode, error, code, message }`, and hands every other error to `fallback`. Mapping is opt-in: install it
 * with `app.onError(errorHandler())`.
 *
 * @example
 * ```ts
 * app.onError(errorHandler({ statuses: { SQLITE_CONSTRAINT_CHECK: 422 } }));
 * ```
 */
export function errorHandler(options: ErrorHandlerOptions = {}): ErrorHandler {
  const table = resolveErrorStatuses(options.statuses ?? true, '@rapsqlite/hono: errorHandler() `statuses`');
  const fallback = options.fallback ?? honoDefault;
  return (err, c) => {
    const status = errorStatus(err, table);
    if (status === undefined) return fallback(err, c);
    const { code } = err as Error & { code?: unknown };
    return c.json({ statusCode: status, error: STATUS_CODES[status], code, message: err.message }, status as ContentfulStatusCode);
  };
}
