import type { Server } from 'node:http';
import { invalid, isHandle, type SqliteHandle } from './sqlite.ts';

/** Options of {@link gracefulShutdown}. */
export interface GracefulShutdownOptions {
  /** The signals that start the shutdown. Default `['SIGTERM', 'SIGINT']`. */
  readonly signals?: readonly NodeJS.Signals[];
  /** How long in-flight requests may take to finish before their connections are cut. Default 10 000 ms. */
  readonly timeoutMs?: number;
  /**
   * What happens after a signal's shutdown: `true` (default) raises the signal again with the default behaviour, so
   * the process ends as the signal meant it to; `false` leaves the process alone (the event loop empties by itself).
   */
  readonly exit?: boolean;
  /** Called once the shutdown finished, with its error if closing failed. */
  readonly onShutdown?: (error: unknown) => void;
}

/** What {@link gracefulShutdown} returns. */
export interface GracefulShutdown {
  /** Runs the shutdown now (the signal handlers call it); every call returns the same promise. */
  shutdown(): Promise<void>;
  /** Removes the signal handlers without shutting down. */
  dispose(): void;
}

const SIGNALS = new Set<string>(['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR2']);

/**
 * Drains an HTTP server, then closes the database, once, on `SIGTERM` (and `SIGINT`): the server stops accepting
 * connections and closes idle keep-alive ones, in-flight requests finish (up to `timeoutMs`, then their connections
 * are cut), and only then the database closes (after its own queued work). Bad options throw
 * `ERR_RAPSQLITE_INVALID_ARGUMENT` at once.
 *
 * @example
 * ```ts
 * const server = app.listen(3000);
 * gracefulShutdown(server, pool);
 * ```
 */
export function gracefulShutdown(server: Server, handle: SqliteHandle, options: GracefulShutdownOptions = {}): GracefulShutdown {
  if (typeof server?.close !== 'function' || typeof server.closeIdleConnections !== 'function') throw invalid('gracefulShutdown() takes a node:http Server');
  if (!isHandle(handle)) throw invalid('gracefulShutdown() takes an open rapsqlite Database or Pool');
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  for (const signal of signals) if (!SIGNALS.has(signal)) throw invalid(`gracefulShutdown() cannot handle the signal "${String(signal)}"`);
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0) throw invalid('`timeoutMs` must be a non-negative number');
  const exit = options.exit ?? true;

  let running: Promise<void> | undefined;
  const shutdown = (): Promise<void> =>
    (running ??= (async () => {
      dispose();
      let failure: unknown;
      try {
        await new Promise<void>((resolve) => {
          const cut = setTimeout(() => server.closeAllConnections(), timeoutMs);
          cut.unref();
          server.close(() => {
            clearTimeout(cut);
            resolve();
          });
          server.closeIdleConnections();
        });
      } finally {
        try {
          await handle.close();
        } catch (err) {
          failure = err;
        }
        options.onShutdown?.(failure);
      }
      if (failure !== undefined) throw failure;
    })());

  const listeners = signals.map((signal) => {
    const listener = (): void => {
      void shutdown()
        .catch(() => undefined)
        .then(() => {
          if (exit) process.kill(process.pid, signal);
        });
    };
    process.once(signal, listener);
    return [signal, listener] as const;
  });
  function dispose(): void {
    for (const [signal, listener] of listeners) process.removeListener(signal, listener);
  }
  return { shutdown, dispose };
}
