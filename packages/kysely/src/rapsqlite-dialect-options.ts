import {INTEGER_MODES, TRANSACTION_MODES, type IntegerMode, type Queryable, type TransactionMode} from '@rapsqlite/engine';
import { invalidArgument } from '@rapsqlite/engine/plugin';

/**
 * What the dialect runs SQL on: an engine `Database` (from `open`) or a `Pool` (from `createPool`), or anything else
 * with the shared query API and `close()`.
 */
export type RapsqliteHandle = Queryable & { close(): Promise<void> };

/** Options of {@link RapsqliteDialect}. */
export interface RapsqliteDialectOptions {
  /**
   * The database or pool to run on, or a function that opens one; the function is called once, when Kysely first
   * needs a connection.
   */
  readonly database: RapsqliteHandle | (() => Promise<RapsqliteHandle>);
  /**
   * The integer mode of every query (`'number'`, `'bigint'` or `'auto'`, see the engine's integers page). Default: the
   * handle's own mode, `'number'` unless it was opened otherwise. `'number'` never returns a rounded value: an integer
   * beyond 2^53 fails the query with `ERR_RAPSQLITE_INTEGER_OVERFLOW`.
   */
  readonly integers?: IntegerMode;
  /** How Kysely's read-write transactions begin. Default `'immediate'`. */
  readonly transactionMode?: TransactionMode;
  /** Whether Kysely's `destroy()` closes the handle. Default true. */
  readonly closeOnDestroy?: boolean;
}

const KNOWN: ReadonlySet<string> = new Set(['database', 'integers', 'transactionMode', 'closeOnDestroy']);

function invalid(message: string): never {
  throw invalidArgument(message);
}

/** Checks the dialect's options and returns a frozen copy. */
export function checkDialectOptions(options: RapsqliteDialectOptions): Readonly<RapsqliteDialectOptions> {
  if (typeof options !== 'object' || options === null) invalid('RapsqliteDialect takes an options object: { database }');
  for (const key of Object.keys(options)) if (!KNOWN.has(key)) invalid(`Unknown option "${key}"`);
  const { database, integers, transactionMode, closeOnDestroy } = options;
  const isHandle = typeof database === 'object' && database !== null && typeof database.transaction === 'function' && typeof database.close === 'function';
  if (!isHandle && typeof database !== 'function') invalid('`database` must be a rapsqlite Database or Pool, or a function that opens one');
  if (integers !== undefined && !INTEGER_MODES.includes(integers)) invalid(`Unknown integer mode "${String(integers)}"`);
  if (transactionMode !== undefined && !TRANSACTION_MODES.includes(transactionMode)) invalid(`Unknown transaction mode "${String(transactionMode)}"`);
  if (closeOnDestroy !== undefined && typeof closeOnDestroy !== 'boolean') invalid('`closeOnDestroy` must be a boolean');
  return Object.freeze({ ...options });
}
