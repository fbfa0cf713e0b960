/**
 * The error codes of the toolbox's second part (value adapters and converters, array parameters, pagination, the
 * `sql` tag). They follow `ERR_RAPSQLITE_<AREA>_<WHAT>`, are documented in `docs/errors.md`, `docs/types.md` and
 * `docs/queries.md`, and are part of {@link ErrorCodes}.
 */
export const QueryToolsErrorCodes = {
  /**
   * A value adapter threw, or returned something SQLite cannot bind (a Date that is not a valid time, an adapter
   * returning undefined). The error's `parameter` names the parameter; the adapter's own error is the `cause`.
   */
  PARAMETER_ADAPTER: 'ERR_RAPSQLITE_PARAMETER_ADAPTER',
  /**
   * A value converter threw while reading a column (a DATETIME column holding text that is not a date, a JSON column
   * holding text that is not JSON). The error's `column` names the column; the converter's own error is the `cause`.
   */
  COLUMN_CONVERTER: 'ERR_RAPSQLITE_COLUMN_CONVERTER',
  /**
   * An array bound for `IN (?)` cannot be sent as a list: it holds a BLOB or a non-finite number, its tuples do not
   * match the row value on the left of `IN`, or the same named parameter is also used outside an `IN` list.
   */
  ARRAY_PARAMETER: 'ERR_RAPSQLITE_ARRAY_PARAMETER',
  /** A pagination cursor token is malformed, was altered, or belongs to another query or ordering. */
  PAGINATION_CURSOR: 'ERR_RAPSQLITE_PAGINATION_CURSOR',
  /** A row of a paginated query holds NULL (or a value that is not an SQLite value) in a key column. */
  PAGINATION_KEY: 'ERR_RAPSQLITE_PAGINATION_KEY',
  /**
   * The `sql` tag was given something that is neither a value to bind nor a fragment or identifier: `undefined`, a
   * function, a symbol, a promise (a missing `await`), or SQL text with its own placeholders.
   */
  SQL_INTERPOLATION: 'ERR_RAPSQLITE_SQL_INTERPOLATION',
} as const;

/** The union of the codes in {@link QueryToolsErrorCodes}. */
export type QueryToolsErrorCode = (typeof QueryToolsErrorCodes)[keyof typeof QueryToolsErrorCodes];
