/**
 * An error thrown by a worker tool. It carries a string `code`, which the worker's error encoding keeps as it is
 * (the class does not survive `postMessage`; the code does), so the caller gets a `RapsqliteError` with that code.
 */
export class ToolError extends Error {
  readonly code: string;

  constructor(code: string, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = code.startsWith('SQLITE_') ? 'SqliteError' : 'RapsqliteError';
    this.code = code;
  }
}

/** The string `code` of a thrown value, if it has one. */
export function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
