/** An error raised in the worker with one of rapsqlite's codes; it crosses to the caller's thread as data. */
export class WorkerError extends Error {
  readonly code: string;
  readonly index: number | undefined;

  constructor(code: string, message: string, index?: number) {
    super(message);
    this.code = code;
    this.index = index;
  }
}
