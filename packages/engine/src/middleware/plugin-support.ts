import type { OperationKind } from './operation.ts';

/* Helpers for the authors of middleware plugins (observability, mocks): shared by @rapsqlite/otel and @rapsqlite/metrics. */

/**
 * Wraps the row iterator of an `iterate` operation so that `onEnd` runs once, with the number of rows delivered,
 * when the iteration finishes, is left early (`return`) or fails, and `onRow` once per row as it is delivered. Rows
 * stream through untouched: the wrapper never reads ahead, so the engine's backpressure is kept.
 */
export function watchIterator<T>(
  inner: AsyncIterator<T>,
  onEnd: (rows: number, error: unknown) => void,
  onRow?: () => void,
): AsyncIterableIterator<T> & AsyncDisposable {
  let rows = 0;
  let ended = false;
  const end = (error: unknown): void => {
    if (ended) return;
    ended = true;
    onEnd(rows, error);
  };
  const iterator: AsyncIterableIterator<T> & AsyncDisposable = {
    async next(): Promise<IteratorResult<T>> {
      let result: IteratorResult<T>;
      try {
        result = await inner.next();
      } catch (err) {
        end(err);
        throw err;
      }
      if (result.done === true) end(undefined);
      else {
        rows++;
        onRow?.();
      }
      return result;
    },
    async return(value?: unknown): Promise<IteratorResult<T>> {
      try {
        const result = inner.return === undefined ? { done: true as const, value: undefined } : await inner.return(value);
        end(undefined);
        return result as IteratorResult<T>;
      } catch (err) {
        end(err);
        throw err;
      }
    },
    async throw(error?: unknown): Promise<IteratorResult<T>> {
      end(error);
      if (inner.throw === undefined) throw error;
      return inner.throw(error);
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
    async [Symbol.asyncDispose]() {
      await iterator.return?.();
    },
  };
  return iterator;
}

/** Where a plugin's own failure happened: while starting, finishing or exporting an operation's telemetry. */
export interface PluginErrorContext {
  /** The middleware or collector that failed (`'otel'`, `'prometheus'`, `'slowQuery'`…). */
  readonly plugin: string;
  /** What it was doing: `'start'`, `'end'`, `'pool'`… */
  readonly phase: string;
}

/** Receives the failures of the plugin itself. The query that was being observed is never affected. */
export type PluginErrorHandler = (error: unknown, context: PluginErrorContext) => void;

/** Reports a plugin failure to `onError`, or as one process warning per plugin instance when there is none. */
export type PluginReporter = (error: unknown, phase: string) => void;

/**
 * Creates the reporter of one plugin instance. Observability must never throw into the query path, so every
 * failure ends here: in the user's `onError`, or (once, so a broken exporter cannot flood the log) in
 * `process.emitWarning`.
 */
export function createPluginReporter(plugin: string, onError: PluginErrorHandler | undefined): PluginReporter {
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

/** Rows returned by a `get`, `all` or `values` operation, read from its result; undefined for other kinds. */
export function returnedRows(kind: OperationKind, result: unknown): number | undefined {
  switch (kind) {
    case 'get':
      return result === undefined ? 0 : 1;
    case 'all':
      return Array.isArray(result) ? result.length : undefined;
    case 'values': {
      const rows = (result as { rows?: unknown } | undefined)?.rows;
      return Array.isArray(rows) ? rows.length : undefined;
    }
    default:
      return undefined;
  }
}

/** Rows changed by a `run` or `runMany` operation, read from its result; undefined for other kinds. */
export function changedRows(kind: OperationKind, result: unknown): number | undefined {
  if (kind !== 'run' && kind !== 'runMany') return undefined;
  const changes = (result as { changes?: unknown } | undefined)?.changes;
  return typeof changes === 'number' ? changes : undefined;
}

/**
 * A bounded memo of facts derived from SQL text (a summary, a fingerprint), so a plugin computes them once per
 * distinct statement. Applications run a small set of distinct statements, so nearly every lookup hits; code that
 * builds SQL with inline values cannot grow it past `capacity` entries nor past `maxChars` characters of keys in all
 * (the oldest entries go), and texts longer than `maxLength` are computed on every call rather than kept as keys.
 */
export class SqlMemo<V> {
  readonly #compute: (sql: string) => V;
  readonly #capacity: number;
  readonly #maxLength: number;
  readonly #maxChars: number;
  readonly #entries = new Map<string, V>();
  #chars = 0;

  constructor(compute: (sql: string) => V, capacity = 2000, maxLength = 8192, maxChars = 512 * 1024) {
    this.#compute = compute;
    this.#capacity = capacity;
    this.#maxLength = maxLength;
    this.#maxChars = maxChars;
  }

  /** The value for `sql`, computed on first use. */
  get(sql: string): V {
    let value = this.#entries.get(sql);
    if (value !== undefined) return value;
    value = this.#compute(sql);
    if (sql.length > this.#maxLength) return value;
    while (this.#entries.size > 0 && (this.#entries.size >= this.#capacity || this.#chars + sql.length > this.#maxChars)) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
      this.#chars -= oldest.length;
    }
    this.#entries.set(sql, value);
    this.#chars += sql.length;
    return value;
  }
}
