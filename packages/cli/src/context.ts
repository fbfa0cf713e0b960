import type { CliIO } from './io.ts';

/** What every command gets: where to write, the working folder, and how to report its exit code. */
export interface Context {
  readonly io: CliIO;
  readonly cwd: string;
  /** Sets the process's exit code when the command ends without an error (checks that found problems). */
  exit(code: number): void;
}
