/**
 * The stable codes of the errors that `@rapsqlite/testing` itself raises. Like the engine's, they are never reused;
 * `docs/testing.md` explains each one. Errors a mock is told to produce keep the code it was given.
 */
export const TestingErrorCodes = {
  /** A query reached a mock that has no rule for it, and the mock's `unmatched` policy is `'error'`. */
  MOCK_UNMATCHED: 'ERR_RAPSQLITE_MOCK_UNMATCHED',
  /** A mock rule's reply does not fit the operation it matched (rows for `run`, a run result for `all`…). */
  MOCK_REPLY: 'ERR_RAPSQLITE_MOCK_REPLY',
  /** A mock assertion helper (`assertCalled`, `assertNoUnmatched`…) found the calls differ from what was expected. */
  MOCK_ASSERTION: 'ERR_RAPSQLITE_MOCK_ASSERTION',
  /** A replayed query differs from the recording at its position (or comes after the recording's end). */
  REPLAY_DRIFT: 'ERR_RAPSQLITE_REPLAY_DRIFT',
  /** `assertComplete()` found recorded queries that were never replayed. */
  REPLAY_INCOMPLETE: 'ERR_RAPSQLITE_REPLAY_INCOMPLETE',
  /** A recording file is missing, unreadable or not a rapsqlite recording. */
  REPLAY_FILE: 'ERR_RAPSQLITE_REPLAY_FILE',
} as const;

/** The union of `@rapsqlite/testing`'s own error codes. */
export type TestingErrorCode = (typeof TestingErrorCodes)[keyof typeof TestingErrorCodes];
