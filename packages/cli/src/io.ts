/** A writable stream as the CLI uses it. */
export interface CliStream {
  /** Writes text; `false` means the stream's buffer is full and the writer should wait for `'drain'`. */
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
  /** Present on Node streams: the CLI waits for `'drain'` (backpressure) and hears `'error'` (a closed pipe). */
  once?(event: 'drain' | 'error', listener: (...args: unknown[]) => void): unknown;
  removeListener?(event: 'drain' | 'error', listener: (...args: unknown[]) => void): unknown;
}

/** Where the CLI writes and what it knows about the terminal. */
export interface CliIO {
  readonly stdout: CliStream;
  readonly stderr: CliStream;
  /** What `restore - <db>` reads. Default: none (`-` is then refused). The binary passes `process.stdin`. */
  readonly stdin?: AsyncIterable<string | Uint8Array>;
  /** The working folder relative paths resolve against. Default `process.cwd()`. */
  readonly cwd?: string;
  /**
   * Stops long work (backup, dump, restore, bench) cleanly when aborted: the command removes what it had started writing
   * and resolves to exit code 130. The binary aborts it on Ctrl-C (SIGINT) and SIGTERM.
   */
  readonly signal?: AbortSignal;
  /** The environment colour decisions read (`NO_COLOR`, `FORCE_COLOR`, `TERM`). Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}
