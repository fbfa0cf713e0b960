/** The error codes of `@rapsqlite/fastify`, beside the engine's `ERR_RAPSQLITE_INVALID_ARGUMENT` for bad options. */
export const FastifyErrorCodes = Object.freeze({
  /** A second registration with the same `name` (or a second unnamed one) in the same Fastify context. */
  DUPLICATE_NAME: 'ERR_RAPSQLITE_FASTIFY_DUPLICATE_NAME',
  /** `request.sqlite` was read outside a route transaction while only named databases are registered. */
  NO_DEFAULT_DATABASE: 'ERR_RAPSQLITE_FASTIFY_NO_DEFAULT_DATABASE',
} as const);

/** One of {@link FastifyErrorCodes}. */
export type FastifyErrorCode = (typeof FastifyErrorCodes)[keyof typeof FastifyErrorCodes];
