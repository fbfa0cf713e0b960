import { ErrorCodes } from '@rapsqlite/engine';
import { invalidArgument } from '@rapsqlite/engine/plugin';
import { PoolErrorCodes } from '@rapsqlite/pool';

/** A table from error code to HTTP status: an exact `code` (`SQLITE_CONSTRAINT_UNIQUE`) or a primary code (`SQLITE_BUSY`). */
export type ErrorStatusMap = Readonly<Record<string, number>>;

/**
 * The HTTP statuses given to rapsqlite's coded errors when status mapping is on: a constraint violation is the
 * client's conflict (409), a database that stays locked after the busy timeout and any retries, a full queue or a
 * closing database is a temporary unavailability (503), a statement past its deadline is a gateway timeout (504).
 */
export const DEFAULT_ERROR_STATUSES: ErrorStatusMap = Object.freeze({
  SQLITE_CONSTRAINT: 409,
  SQLITE_BUSY: 503,
  [PoolErrorCodes.ACQUIRE_TIMEOUT]: 503,
  [PoolErrorCodes.QUEUE_FULL]: 503,
  [ErrorCodes.CLOSED]: 503,
  [ErrorCodes.TIMEOUT]: 504,
});

/**
 * The status table an option asks for, checked and frozen: `undefined` or `true` is {@link DEFAULT_ERROR_STATUSES};
 * an object is merged over the defaults, each status an integer from 400 to 599. Anything else throws
 * `ERR_RAPSQLITE_INVALID_ARGUMENT`, its message starting with `where` (the package and option that was wrong).
 *
 * @example
 * ```ts
 * const table = resolveErrorStatuses(options.statuses, '@rapsqlite/express: errorHandler() `statuses`');
 * ```
 */
export function resolveErrorStatuses(statuses: unknown, where: string): ErrorStatusMap {
  if (statuses === undefined || statuses === true) return DEFAULT_ERROR_STATUSES;
  if (typeof statuses !== 'object' || statuses === null || Array.isArray(statuses)) {
    throw invalidArgument(`${where} is true or an object from error code to HTTP status`);
  }
  const merged: Record<string, number> = { ...DEFAULT_ERROR_STATUSES };
  for (const [code, status] of Object.entries(statuses)) {
    if (!Number.isInteger(status) || (status as number) < 400 || (status as number) > 599) {
      throw invalidArgument(`${where}: the status for ${code} must be an integer from 400 to 599`);
    }
    merged[code] = status as number;
  }
  return Object.freeze(merged);
}

/**
 * The HTTP status for an error under a status table: its exact `code` first, then its SQLite primary code; undefined
 * for errors the table does not name (they stay server errors).
 *
 * @example
 * ```ts
 * errorStatus(err); // 409 for SQLITE_CONSTRAINT_UNIQUE, 503 for SQLITE_BUSY, 504 for ERR_RAPSQLITE_TIMEOUT
 * ```
 */
export function errorStatus(error: unknown, statuses: ErrorStatusMap = DEFAULT_ERROR_STATUSES): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, primaryCode } = error as { code?: unknown; primaryCode?: unknown };
  if (typeof code === 'string' && Object.hasOwn(statuses, code)) return statuses[code];
  if (typeof primaryCode === 'string' && Object.hasOwn(statuses, primaryCode)) return statuses[primaryCode];
  return undefined;
}
