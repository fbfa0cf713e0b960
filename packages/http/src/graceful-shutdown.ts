import type { Database, RapsqliteError } from '@rapsqlite/engine';
import { invalidArgument } from '@rapsqlite/engine/plugin';
import { isHandle } from './is-handle.ts';

/**
 * The server {@link gracefulShutdown} drains: a `node:http` (or `node:https`) `Server`, as Express's `app.listen()` and
 * `@hono/node-server`'s `serve()` return, or any server with `close(callback)`. `closeIdleConnections` and
 * `closeAllConnections` are used when the server has them (an HTTP/2 server has neither).
 */
export interface DrainableServer {
  close(callback?: (err?: Error) => void): unknown;
  closeIdleConnections?(): void;
  closeAllConnections?(): void;
}

/** Options of {@link gracefulShutdown}. */
export interface GracefulShutdownOptions {
  /** The signals that start the shutdown. Default `['SIGTERM', 'SIGINT']`. */
  readonly signals?: readonly NodeJS.Signals[];
  /**
   * How long in-flight requests may take to finish before their connections are cut (with the server's
   * `closeAllConnections`; a server without it is waited for). Default 10 000 ms.
   */
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
const OPTION_KEYS = new Set(['signals', 'timeoutMs', 'exit', 'onShutdown']);

function invalid(message: string): RapsqliteError {
  return invalidArgument(`@rapsqlite/http: ${message}`);
}

interface ResolvedShutdownOptions {
  readonly signals: readonly NodeJS.Signals[];
  readonly timeoutMs: number;
  readonly exit: boolean;
  readonly onShutdown: ((error: unknown) => void) | undefined;
}

function resolveOptions(raw: unknown): ResolvedShutdownOptions {
  if (typeof raw !== 'object' || raw === null) throw invalid('gracefulShutdown() options must be an object');
  const options = raw as GracefulShutdownOptions & Record<string, unknown>;
  for (const key of Object.keys(options)) if (!OPTION_KEYS.has(key)) throw invalid(`gracefulShutdown() has no option "${key}"`);
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  if (!Array.isArray(signals)) throw invalid('`signals` must be an array of signal names');
  for (const signal of signals) if (!SIGNALS.has(signal)) throw invalid(`gracefulShutdown() cannot handle the signal "${String(signal)}"`);
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0) throw invalid('`timeoutMs` must be a non-negative number');
  const exit = options.exit ?? true;
  if (typeof exit !== 'boolean') throw invalid('`exit` must be a boolean');
  if (options.onShutdown !== undefined && typeof options.onShutdown !== 'function') throw invalid('`onShutdown` must be a function');
  return Object.freeze({ signals: Object.freeze([...new Set(signals)]), timeoutMs, exit, onShutdown: options.onShutdown });
}

/**
 * Drains an HTTP server, then closes the database, once, on `SIGTERM` (and `SIGINT`): the server stops accepting
 * connections and closes idle keep-alive ones, in-flight requests finish (up to `timeoutMs`, then their connections
 * are cut), and only then the database closes (after its own queued work). Bad arguments throw
 * `ERR_RAPSQLITE_INVALID_ARGUMENT` at once.
 *
 * @example
 * ```ts
 * const server = app.listen(3000); // or serve({ fetch: app.fetch, port: 3000 }) with Hono
 * gracefulShutdown(server, pool);
 * ```
 */
export function gracefulShutdown(server: DrainableServer, handle: Database, options: GracefulShutdownOptions = {}): GracefulShutdown {
  if (typeof server?.close !== 'function') throw invalid('gracefulShutdown() takes an HTTP server (with a close() method)');
  for (const method of ['closeIdleConnections', 'closeAllConnections'] as const) {
    if (server[method] !== undefined && typeof server[method] !== 'function') throw invalid(`the server's ${method} is not a function`);
  }
  if (!isHandle(handle)) throw invalid('gracefulShutdown() takes an open rapsqlite Database or Pool');
  const { signals, timeoutMs, exit, onShutdown } = resolveOptions(options);

  let running: Promise<void> | undefined;
  const shutdown = (): Promise<void> =>
    (running ??= (async () => {
      dispose();
      let failure: unknown;
      try {
        await new Promise<void>((resolve) => {
          const cut = setTimeout(() => server.closeAllConnections?.(), timeoutMs);
          cut.unref();
          // A server that was not listening calls back with ERR_SERVER_NOT_RUNNING: it is drained all the same.
          server.close(() => {
            clearTimeout(cut);
            resolve();
          });
          server.closeIdleConnections?.();
        });
      } finally {
        try {
          await handle.close();
        } catch (err) {
          failure = err;
        }
        onShutdown?.(failure);
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
