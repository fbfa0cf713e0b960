/** Where a plugin's own failure happened: while starting, finishing or exporting an operation's telemetry. */
export interface PluginErrorContext {
  /** The middleware or collector that failed (`'otel'`, `'otel.pool'`). */
  readonly plugin: string;
  /** What it was doing: `'start'`, `'end'`, `'pool'`… */
  readonly phase: string;
}

/** Receives the failures of the plugin itself. The query that was being observed is never affected. */
export type PluginErrorHandler = (error: unknown, context: PluginErrorContext) => void;

/** Reports a plugin failure to `onError`, or as one process warning per plugin instance when there is none. */
export type Reporter = (error: unknown, phase: string) => void;

/**
 * Creates the reporter of one plugin instance. Observability must never throw into the query path, so every
 * failure ends here: in the user's `onError`, or (once, so a broken exporter cannot flood the log) in
 * `process.emitWarning`.
 */
export function createReporter(plugin: string, onError: PluginErrorHandler | undefined): Reporter {
  let warned = false;
  return (error, phase) => {
    if (onError !== undefined) {
      try {
        onError(error, { plugin, phase });
        return;
      } catch {
        // A throwing handler must not escape either; fall back to the warning.
      }
    }
    if (warned) return;
    warned = true;
    const message = error instanceof Error ? error.message : String(error);
    try {
      process.emitWarning(`${plugin} failed during ${phase}: ${message} (later failures of this plugin are not reported)`, {
        code: 'RAPSQLITE_PLUGIN_FAILURE',
      });
    } catch {
      // Nothing is left to report to.
    }
  };
}
