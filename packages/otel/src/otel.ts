import { basename } from 'node:path';
import {
  context,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type MeterProvider,
  type Span,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import type { ConnectionInfo, Execute, Middleware, Operation, OperationKind } from '@rapsqlite/engine';
import { errorMessage, errorType, sqliteStatusCode } from './internal/errors.ts';
import { Instruments } from './internal/instruments.ts';
import { addParameterAttributes } from './internal/parameters.ts';
import { createReporter, type PluginErrorHandler, type Reporter } from './internal/report.ts';
import { SqlInfoCache } from './internal/sql-info.ts';
import { watchIterator } from './internal/watch-iterator.ts';
import { INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION } from './version.ts';

/**
 * The bucket boundaries of `db.client.operation.duration`, in seconds: OpenTelemetry's advice
 * (`0.001` … `10`) preceded by sub-millisecond buckets, since a point query on SQLite takes tens of microseconds.
 */
export const DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10,
]);

/** The bucket boundaries of `db.client.response.returned_rows`. */
export const RETURNED_ROWS_BUCKETS: readonly number[] = Object.freeze([
  0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000,
]);

/** Options of {@link otel}. */
export interface OtelOptions {
  /** The tracer provider to use. Default: the global one, looked up again whenever it changes. */
  readonly tracerProvider?: TracerProvider;
  /**
   * The meter provider to use. Default: the global one, looked up again whenever it changes, so an SDK registered
   * after the database was opened still receives the measurements.
   */
  readonly meterProvider?: MeterProvider;
  /**
   * `db.namespace`. Default: the file name of the database (`app.db` for `/var/data/app.db`), omitted for
   * `:memory:`. A string sets it; `false` omits it.
   */
  readonly namespace?: string | false;
  /** Record `db.query.text` (parameterized text as is, text with inline literals after replacing them with `?`). Default true. */
  readonly captureQueryText?: boolean;
  /**
   * Record bound parameters as `db.query.parameter.<key>` (index for positional parameters, name for named ones).
   * Off by default, since values may hold personal data. `true` records every parameter; an array records only
   * those keys. Never recorded for `runMany` batches.
   */
  readonly captureParameters?: boolean | readonly string[];
  /** Record `db.response.returned_rows` on spans of `get`, `all`, `values` and `iterate`. Default false. */
  readonly captureReturnedRows?: boolean;
  /** Make spans for the BEGIN, COMMIT, ROLLBACK and savepoint statements of transactions. Default true. */
  readonly controlSpans?: boolean;
  /** Only make spans when a span is already active (for example an HTTP request's). Default false. */
  readonly requireParentSpan?: boolean;
  /** Record `db.client.operation.duration` and `db.client.response.returned_rows`. Default true. */
  readonly metrics?: boolean;
  /** Bucket boundaries of the duration histogram, in seconds. Default {@link DURATION_BUCKETS}. */
  readonly durationBuckets?: readonly number[];
  /** Receives the plugin's own failures; default: one `process.emitWarning`. A query never fails because of them. */
  readonly onError?: PluginErrorHandler;
}

const CONTROL_KINDS: ReadonlySet<OperationKind> = new Set(['begin', 'commit', 'rollback', 'savepoint', 'release', 'rollbackTo']);

/** The state of one observed operation between its start and its end. */
interface Call {
  readonly start: number;
  readonly summary: string;
  readonly span: Span | undefined;
  readonly recording: boolean;
  /** The context to run `next` in: the span made active, so nested calls and inner middleware see it. */
  readonly context: Context | undefined;
  /** The connection was known when the span started (a pool fills it in while the operation runs). */
  readonly routed: boolean;
}

class Instrumentation {
  readonly #options: OtelOptions;
  readonly #report: Reporter;
  readonly #sql = new SqlInfoCache();
  readonly #instruments: Instruments | undefined;
  readonly #allowedParameters: ReadonlySet<string> | undefined;
  readonly #captureParameters: boolean;
  readonly #spanAttributes = new WeakMap<ConnectionInfo, Attributes>();
  readonly #metricAttributes = new Map<string, Attributes>();
  #tracerSource: TracerProvider | undefined;
  #tracer: Tracer | undefined;

  constructor(options: OtelOptions) {
    this.#options = options;
    this.#report = createReporter('otel', options.onError);
    this.#instruments =
      options.metrics === false
        ? undefined
        : new Instruments(options.meterProvider, options.durationBuckets ?? DURATION_BUCKETS, RETURNED_ROWS_BUCKETS);
    const capture = options.captureParameters;
    this.#captureParameters = capture !== undefined && capture !== false;
    this.#allowedParameters = Array.isArray(capture) ? new Set(capture as readonly string[]) : undefined;
  }

  wrap(next: Execute): Execute {
    return (op) => {
      let call: Call | undefined;
      try {
        call = this.#start(op);
      } catch (err) {
        this.#report(err, 'start');
      }
      if (call === undefined) return next(op);
      const started = call;
      let pending: Promise<unknown>;
      try {
        pending = started.context === undefined ? next(op) : context.with(started.context, next, undefined, op);
      } catch (err) {
        pending = Promise.reject(err);
      }
      return pending.then(
        (result) => this.#succeeded(started, op, result),
        (error: unknown) => {
          this.#end(started, op, undefined, undefined, error);
          throw error;
        },
      );
    };
  }

  #getTracer(): Tracer {
    const source = this.#options.tracerProvider ?? trace.getTracerProvider();
    // The global provider is a proxy that follows late registration; it is replaced only by trace.disable().
    if (source !== this.#tracerSource || this.#tracer === undefined) {
      this.#tracerSource = source;
      this.#tracer = source.getTracer(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION);
    }
    return this.#tracer;
  }

  #namespace(connection: ConnectionInfo | undefined): string | undefined {
    const option = this.#options.namespace;
    if (option === false) return undefined;
    if (typeof option === 'string') return option;
    if (connection === undefined || connection.path === ':memory:' || connection.path === '') return undefined;
    return basename(connection.path);
  }

  #baseAttributes(connection: ConnectionInfo | undefined): Attributes {
    if (connection === undefined) return this.#makeBase(undefined);
    let attributes = this.#spanAttributes.get(connection);
    if (attributes === undefined) {
      attributes = this.#makeBase(connection);
      this.#spanAttributes.set(connection, attributes);
    }
    return attributes;
  }

  #makeBase(connection: ConnectionInfo | undefined): Attributes {
    const namespace = this.#namespace(connection);
    const attributes: Attributes = { 'db.system.name': 'sqlite' };
    if (namespace !== undefined) attributes['db.namespace'] = namespace;
    return Object.freeze(attributes);
  }

  #start(op: Operation): Call {
    const start = performance.now();
    const isTransaction = op.kind === 'transaction';
    const info = isTransaction ? undefined : this.#sql.get(op.sql);
    let summary = info?.summary ?? '';
    let batchSize: number | undefined;
    if (op.kind === 'runMany' && op.paramsList.length !== 1) {
      // A batch of one is modelled as a single operation; zero or several sets make a batch.
      batchSize = op.paramsList.length;
      summary = summary === '' ? 'BATCH' : `BATCH ${summary}`;
    }
    const routed = op.connection !== undefined;
    if (!this.#traces(op)) return { start, summary, span: undefined, recording: false, context: undefined, routed };
    const parent = context.active();
    if (this.#options.requireParentSpan === true && trace.getSpan(parent) === undefined) {
      return { start, summary, span: undefined, recording: false, context: undefined, routed };
    }
    const name = isTransaction ? 'transaction' : summary === '' ? 'sqlite' : summary;
    // A transaction groups client calls (BEGIN, statements, COMMIT) without being one itself, hence INTERNAL.
    const kind = isTransaction ? SpanKind.INTERNAL : SpanKind.CLIENT;
    const span = this.#getTracer().startSpan(name, { kind, attributes: this.#baseAttributes(op.connection) }, parent);
    const recording = span.isRecording();
    if (!recording) {
      // An unsampled transaction span still becomes the parent, so its statements share its sampling decision.
      return { start, summary, span, recording, context: isTransaction ? trace.setSpan(parent, span) : undefined, routed };
    }
    const attributes: Attributes = { 'rapsqlite.operation.kind': op.kind };
    if (summary !== '') attributes['db.query.summary'] = summary;
    if (info !== undefined && this.#options.captureQueryText !== false && info.sql !== '') attributes['db.query.text'] = info.text;
    if (batchSize !== undefined) attributes['db.operation.batch.size'] = batchSize;
    if (op.connection !== undefined) {
      attributes['rapsqlite.connection.role'] = op.connection.role;
    }
    if (op.kind === 'transaction') {
      attributes['db.operation.name'] = 'transaction';
      attributes['rapsqlite.transaction.depth'] = op.depth;
      attributes['rapsqlite.transaction.mode'] = op.mode;
    }
    if (this.#captureParameters && 'params' in op) addParameterAttributes(op.params, this.#allowedParameters, attributes);
    span.setAttributes(attributes);
    return { start, summary, span, recording, context: trace.setSpan(parent, span), routed };
  }

  #traces(op: Operation): boolean {
    return this.#options.controlSpans !== false || !CONTROL_KINDS.has(op.kind);
  }

  #succeeded(call: Call, op: Operation, result: unknown): unknown {
    try {
      if (op.kind === 'iterate' && result !== null && typeof result === 'object') {
        return watchIterator(result as AsyncIterator<unknown>, (rows, error) => this.#end(call, op, rows, undefined, error));
      }
      this.#end(call, op, returnedRows(op.kind, result), changedRows(op.kind, result), undefined);
    } catch (err) {
      this.#report(err, 'end');
    }
    return result;
  }

  #end(call: Call, op: Operation, rows: number | undefined, changes: number | undefined, error: unknown): void {
    try {
      const seconds = (performance.now() - call.start) / 1000;
      const failed = error !== undefined;
      const span = call.span;
      if (span !== undefined) {
        if (call.recording) {
          if (!call.routed && op.connection !== undefined) {
            // A pool routes an operation while it runs: the connection is known only now.
            const namespace = this.#namespace(op.connection);
            if (namespace !== undefined) span.setAttribute('db.namespace', namespace);
            span.setAttribute('rapsqlite.connection.role', op.connection.role);
          }
          if (rows !== undefined && this.#options.captureReturnedRows === true) span.setAttribute('db.response.returned_rows', rows);
          if (changes !== undefined) span.setAttribute('rapsqlite.response.changes', changes);
          if (failed) {
            span.setAttribute('error.type', errorType(error));
            const status = sqliteStatusCode(error);
            if (status !== undefined) span.setAttribute('db.response.status_code', status);
            span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
          }
        }
        span.end();
      }
      const instruments = this.#instruments?.resolve();
      // A transaction's time is already in its statements' durations; it is seen in traces, not in this histogram.
      if (instruments === undefined || instruments.noop || op.kind === 'transaction') return;
      const attributes = failed ? this.#failureAttributes(op, call.summary, error) : this.#successAttributes(op, call.summary);
      instruments.duration.record(seconds, attributes);
      if (rows !== undefined) instruments.rows.record(rows, attributes);
    } catch (err) {
      this.#report(err, 'end');
    }
  }

  #successAttributes(op: Operation, summary: string): Attributes {
    const namespace = this.#namespace(op.connection);
    const key = `${namespace ?? ''}\u0000${summary}`;
    let attributes = this.#metricAttributes.get(key);
    if (attributes === undefined) {
      attributes = this.#metricBase(namespace, summary);
      // Summaries are few; the bound only guards against an application that builds endless distinct statements.
      if (this.#metricAttributes.size >= 2000) this.#metricAttributes.clear();
      this.#metricAttributes.set(key, Object.freeze(attributes));
    }
    return attributes;
  }

  #failureAttributes(op: Operation, summary: string, error: unknown): Attributes {
    const attributes = this.#metricBase(this.#namespace(op.connection), summary);
    attributes['error.type'] = errorType(error);
    const status = sqliteStatusCode(error);
    if (status !== undefined) attributes['db.response.status_code'] = status;
    return attributes;
  }

  #metricBase(namespace: string | undefined, summary: string): Attributes {
    const attributes: Attributes = { 'db.system.name': 'sqlite' };
    if (namespace !== undefined) attributes['db.namespace'] = namespace;
    if (summary !== '') attributes['db.query.summary'] = summary;
    return attributes;
  }
}

function returnedRows(kind: OperationKind, result: unknown): number | undefined {
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

function changedRows(kind: OperationKind, result: unknown): number | undefined {
  if (kind !== 'run' && kind !== 'runMany') return undefined;
  const changes = (result as { changes?: unknown } | undefined)?.changes;
  return typeof changes === 'number' ? changes : undefined;
}

/**
 * Creates the OpenTelemetry middleware: a CLIENT span per operation named after its `db.query.summary`, with the
 * attributes of the database semantic conventions, a parent span per transaction, and the
 * `db.client.operation.duration` and `db.client.response.returned_rows` histograms. It depends on
 * `@opentelemetry/api` only: with no SDK registered it does next to nothing.
 *
 * Register it first (outermost), so that its spans cover retries and its context reaches the other plugins.
 *
 * @example
 * ```ts
 * import { open } from '@rapsqlite/engine';
 * import { otel } from '@rapsqlite/otel';
 *
 * const db = await open('app.db', { middleware: [otel()] });
 * ```
 */
export function otel(options: OtelOptions = {}): Middleware {
  const frozen = Object.freeze({ ...options });
  const instrumentation = new Instrumentation(frozen);
  return Object.freeze({ name: 'otel', wrap: (next: Execute) => instrumentation.wrap(next) });
}
