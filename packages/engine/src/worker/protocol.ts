import type { FunctionRegistration } from '../connection/connection.ts';
import type { ColumnInfo } from '../types.ts';
import type { AttachSpec } from './tools/attach.ts';
import type { KeySpec } from './tools/encryption.ts';
import type { ExtensionSpec } from './tools/extensions.ts';

/**
 * The wire format between a connection (main thread) and its worker. Requests and replies travel in batches:
 * one `postMessage` carries many, flattened into one array, because the thread hop's wake-up, not the payload,
 * dominates the cost of a small query.
 */

/** Integer modes on the wire. */
export const IntMode = { number: 0, auto: 1, bigint: 2 } as const;
export type IntModeCode = (typeof IntMode)[keyof typeof IntMode];

/** A request occupies this many slots of the flat batch: id, handler code, sql, params, integer mode, extra. */
export const REQUEST_SLOTS = 6;

/** Reply statuses. A reply occupies four slots of the flat batch: id, status, payload, nanoseconds spent in SQLite. */
export const Status = { ok: 0, error: 1, partial: 2 } as const;

/**
 * Rows on the wire: a shape id, the column names the first time a shape is sent (else 0), the number of columns, every
 * row's values one after another in one flat array (each nested array costs the structured clone on both threads),
 * and a blob flag.
 */
export type RowsPayload = [shape: number, names: string[] | 0, width: number, values: unknown[], hasBlobs: 0 | 1];

/** An error on the wire: errors do not survive `postMessage` with their class and properties, so they travel as data. */
export interface WireError {
  readonly code: string;
  readonly message: string;
  readonly name: string;
  /** For `runMany`: the index of the parameter set that failed. */
  readonly index?: number;
}

/** What `prepare` reports about a statement. */
export interface StatementInfo {
  /** True when the statement returns rows (SELECT, PRAGMA that returns, … RETURNING). */
  readonly reader: boolean;
  /** True when the statement cannot change the database (better-sqlite3's `readonly`). */
  readonly readonly: boolean;
  /** Result columns, for a reader. */
  readonly columns: readonly ColumnInfo[];
}

/** What a worker needs to open its connection; replayed unchanged when a worker is replaced. */
export interface WorkerConfig {
  readonly path: string;
  readonly readonly: boolean;
  readonly busyTimeoutMs: number;
  readonly synchronous: string;
  readonly journalMode: string | undefined;
  readonly foreignKeys: boolean;
  readonly pragmas: readonly string[];
  /** Statements run on every new connection after the pragmas (the `init` option). */
  readonly init: readonly string[];
  /** A module export called with the new connection after the pragmas (the `init` option). */
  readonly initModule: { readonly module: string; readonly export: string } | undefined;
  readonly statementCacheSize: number;
  readonly functions: readonly FunctionRegistration[];
  /** The shared cancellation table of this worker (see `internal/cancel-table.ts`); each worker gets its own. */
  readonly cancelBuffer: SharedArrayBuffer;
  /** Load the native companion into the connection (interrupts, authorizer, statement timing). */
  readonly companion: boolean;
  /** Authorizer rules to install at open (needs the companion). */
  readonly authorizer: unknown;
  /** Report each request's time inside SQLite with its reply. */
  readonly statementTiming: boolean;
  /** How long the worker polls for the next request after answering, before it sleeps. */
  readonly spinMicros: number;
  /**
   * Whether the worker serves the companion's fast path while idle (see `connection/fast-path.ts`). Cleared for
   * replacement workers once JavaScript user functions are registered.
   */
  readonly fastPath: boolean;
  /** Databases attached on every connection (replayed on replacement; `db.attach()` extends it). */
  readonly attach: readonly AttachSpec[];
  /** Extensions loaded on every connection. */
  readonly extensions: readonly ExtensionSpec[];
  /** The encryption key: the worker then runs on the encrypting driver. */
  readonly key: KeySpec | undefined;
  /** A database image to open instead of `path` (an in-memory database from `open(bytes)`). */
  readonly image: Uint8Array | undefined;
  /** SQLite limits set by `db.limit()`, as [id, value], replayed in order (needs the companion). */
  readonly limits?: readonly (readonly [number, number])[];
}


/** The first message a worker sends. */
export type WorkerHello =
  | { readonly type: 'ready'; readonly slot: number | undefined }
  | { readonly type: 'init-error'; readonly error: WireError };
