/** The error codes of `@rapsqlite/nestjs`, beside the engine's `ERR_RAPSQLITE_INVALID_ARGUMENT` for bad options. */
export const NestErrorCodes = Object.freeze({
  /** Two `RapsqliteModule.forRoot` (or `forRootAsync`) registrations with the same connection name in one application. */
  DUPLICATE_NAME: 'ERR_RAPSQLITE_NESTJS_DUPLICATE_NAME',
} as const);

/** One of {@link NestErrorCodes}. */
export type NestErrorCode = (typeof NestErrorCodes)[keyof typeof NestErrorCodes];
