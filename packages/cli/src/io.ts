/** A writable stream as the CLI uses it. */
export interface CliStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** Where the CLI writes and what it knows about the terminal. */
export interface CliIO {
  readonly stdout: CliStream;
  readonly stderr: CliStream;
  /** The working folder relative paths resolve against. Default `process.cwd()`. */
  readonly cwd?: string;
}
