/** A value SQLite can store and rapsqlite can bind: NULL, REAL/INTEGER, INTEGER beyond 2^53, TEXT, BLOB. */
export type SqlValue = null | number | bigint | string | Uint8Array;

/**
 * Parameters of a statement: an array for positional `?`/`?NNN`, an object for named `:x`/`@x`/`$x`
 * (keys without the prefix, as in `{ x: 1 }`), or a single value for a statement with one `?`.
 */
export type Params = readonly SqlValue[] | { readonly [name: string]: SqlValue } | SqlValue;

/** A result row: column name to value. Integers follow the `integers` mode; BLOBs arrive as `Buffer`. */
export type Row = Record<string, unknown>;

/** The integer modes, as an `as const` tuple. */
export const INTEGER_MODES = ['number', 'bigint', 'auto'] as const;

/**
 * How SQLite INTEGER values reach JavaScript: `'number'` (default) returns numbers and fails with
 * `ERR_RAPSQLITE_INTEGER_OVERFLOW` rather than return a value beyond ±(2^53−1) silently rounded; `'auto'` returns a
 * bigint only for such values; `'bigint'` returns every integer as a bigint.
 */
export type IntegerMode = (typeof INTEGER_MODES)[number];

/** The outcome of a statement that changes data. */
export interface RunResult {
  /** Rows inserted, updated or deleted by the statement (not counting triggers' rows). */
  readonly changes: number;
  /**
   * The rowid of the last row inserted by this connection. A number, or a bigint when it lies beyond
   * ±(2^53−1) or when the `integers` mode is `'bigint'`.
   */
  readonly lastInsertRowid: number | bigint;
}

/** The outcome of {@link Queryable.runMany}. */
export interface RunManyResult extends RunResult {
  /** How many parameter sets were executed. */
  readonly count: number;
}

/** What SQLite knows about one result column. */
export interface ColumnInfo {
  /** The column's name in the result (its alias if it has one). */
  readonly name: string;
  /** The declared type of the originating table column (`'INTEGER'`, `'TEXT'`…), or null for an expression. */
  readonly type: string | null;
  /** The originating table, or null for an expression. */
  readonly table: string | null;
  /** The originating column's name in its table, or null for an expression. */
  readonly column: string | null;
  /** The originating schema (`'main'`, `'temp'`, an attached name), or null for an expression. */
  readonly database: string | null;
}

/** The result of {@link Queryable.values}: rows as arrays, in column order, with the columns' metadata. */
export interface ValuesResult<V extends unknown[] = unknown[]> {
  readonly columns: readonly ColumnInfo[];
  readonly rows: V[];
}

/** Options every query method accepts as its last argument. */
export interface QueryOptions {
  /** Overrides the database's `integers` mode for this call. */
  readonly integers?: IntegerMode;
  /** Cancels the call: a queued call never runs, a running one is stopped (see docs/cancellation.md). */
  readonly signal?: AbortSignal;
  /** Cancels the call when it has not finished after this many milliseconds, queue time included. */
  readonly timeoutMs?: number;
  /**
   * For a pool: a read waits until the writes issued before it have committed, so it sees them (overrides the
   * pool's `readYourWrites`). A single database always reads its own writes; there it changes nothing.
   */
  readonly readYourWrites?: boolean;
}

/** Options of {@link Queryable.iterate}. */
export interface IterateOptions extends QueryOptions {
  /** Rows moved per message between the worker and the caller (default 1 024). */
  readonly chunkSize?: number;
}

/** The transaction modes, as an `as const` tuple. */
export const TRANSACTION_MODES = ['deferred', 'immediate', 'exclusive'] as const;

/** How a transaction begins: `BEGIN DEFERRED`, `BEGIN IMMEDIATE` (the default) or `BEGIN EXCLUSIVE`. */
export type TransactionMode = (typeof TRANSACTION_MODES)[number];

/** Options of {@link Queryable.transaction}. */
export interface TransactionOptions {
  /** How the outermost transaction begins (ignored for a nested savepoint). Default `'immediate'`. */
  readonly mode?: TransactionMode;
  /** Cancels the whole transaction: it is rolled back and the callback's pending calls reject. */
  readonly signal?: AbortSignal;
  /** Rolls the transaction back when it has not committed after this many milliseconds. */
  readonly timeoutMs?: number;
  /**
   * A read-only transaction: `BEGIN DEFERRED` (no other mode), seeing one snapshot of the database. A pool runs it on
   * a reader while the writer goes on committing; a write inside fails there with `SQLITE_READONLY`.
   */
  readonly readonly?: boolean;
  /** For a read-only transaction on a pool: wait for the writes issued before it (see {@link QueryOptions.readYourWrites}). */
  readonly readYourWrites?: boolean;
}
