/** The error codes of `@rapsqlite/express`, beside the engine's `ERR_RAPSQLITE_INVALID_ARGUMENT` for bad arguments. */
export const ExpressErrorCodes = Object.freeze({
  /** A `transactional()` handler ran on a request without `req.sqlite` (no `sqlite()` middleware before it) and no `database` option. */
  NO_DATABASE: 'ERR_RAPSQLITE_EXPRESS_NO_DATABASE',
} as const);

/** One of {@link ExpressErrorCodes}. */
export type ExpressErrorCode = (typeof ExpressErrorCodes)[keyof typeof ExpressErrorCodes];
