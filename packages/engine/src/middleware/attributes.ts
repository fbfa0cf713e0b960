/**
 * The registered keys of `op.attributes`, the bag plugins share facts about an operation through. One namespace
 * style: `rapsqlite.<area>.<fact>`. A plugin of its own uses its package name as the area.
 */
export const ATTRIBUTES = Object.freeze({
  /** Nanoseconds the statement spent inside SQLite (`statementTiming: true`). Set by the engine. */
  sqliteTimeNs: 'rapsqlite.sqliteTimeNs',
  /** How many times `@rapsqlite/retry` ran the operation (1 without a retry). */
  retryAttempts: 'rapsqlite.retry.attempts',
  /** The OpenTelemetry span `@rapsqlite/otel` opened for the operation, for other plugins to annotate. */
  otelSpan: 'rapsqlite.otel.span',
  /** A result a mock of `@rapsqlite/testing` answered with (the operation never reached a connection). */
  mocked: 'rapsqlite.testing.mocked',
} as const);

/** One of the registered attribute keys. */
export type AttributeKey = (typeof ATTRIBUTES)[keyof typeof ATTRIBUTES];
