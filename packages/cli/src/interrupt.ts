import { CliError, EXIT_CODES } from './exit-codes.ts';

/** The error a command ends with when the signal stopped it (Ctrl-C); `what` says what was left on disk. */
export function interruptedError(what: string): CliError {
  return new CliError(EXIT_CODES.INTERRUPTED, `Interrupted; ${what}.`, 'ERR_RAPSQLITE_ABORTED');
}

/** Calls `onAbort` when `signal` aborts (at once if it has), until the returned function is called. */
export function onAbort(signal: AbortSignal | undefined, onAbort: () => void): () => void {
  if (signal === undefined) return () => {};
  if (signal.aborted) {
    onAbort();
    return () => {};
  }
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

/**
 * Marks the command as one that stops cleanly on the signal (the binary then leaves a Ctrl-C to it instead of
 * ending the process) until the returned function is called. The command checks `signal.aborted` itself.
 */
export function stopsCleanly(signal: AbortSignal | undefined): () => void {
  return onAbort(signal, () => {});
}

/** Waits `ms` milliseconds, or less when `signal` aborts first (it then resolves; the caller checks the signal). */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted === true) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
