import { basename } from 'node:path';
import {
  context,
  ProxyTracerProvider,
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
import type { ConnectionInfo, Execute, Step, Middleware, Operation, OperationKind } from '@rapsqlite/engine';
import { ATTRIBUTES, changedRows, createPluginReporter, returnedRows, watchIterator, type PluginErrorHandler, type PluginReporter } from '@rapsqlite/engine/plugin';
import { errorMessage, errorType, sqliteStatusCode } from './internal/errors.ts';
import { Instruments } from './internal/instruments.ts';
import { addParameterAttributes } from './internal/parameters.ts';
import { SqlInfoCache } from './internal/sql-info.ts';
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
  /**
   * Record `db.client.operation.duration` and `db.client.response.returned_rows` (the latter for `all`, `values`
   * and `iterate`: a `get` returns at most one row). Default true.
   */
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
  /** The span's attributes known at the start, set with the others when it ends; undefined when not recording. */
  readonly attributes: Attributes | undefined;
  /** The context to run `next` in: the span made active, so nested calls and inner middleware see it. */
  readonly context: Context | undefined;
}

/** The API's no-op tracer provider: the delegate of a proxy with no SDK behind it. */
const NOOP_TRACER_PROVIDER = new ProxyTracerProvider().getDelegate();

/** Metric attributes of operations without a connection yet (a pool fills it in while the call runs). */
const NO_CONNECTION: ConnectionInfo = Object.freeze({ role: 'writer', id: 0, path: '' });

class Instrumentation {
  readonly #options: OtelOptions;
  readonly #report: PluginReporter;
  readonly #sql = new SqlInfoCache();
  readonly #instruments: Instruments | undefined;
  readonly #allowedParameters: ReadonlySet<string> | undefined;
  readonly #captureParameters: boolean;
  /** Success attributes of the duration histogram, by connection then summary: built once, reused. */
  readonly #metricAttributes = new WeakMap<ConnectionInfo, Map<string, Attributes>>();
  readonly #namespaces = new WeakMap<ConnectionInfo, string | undefined>();
  #tracerSource: TracerProvider | undefined;
  #tracer: Tracer | undefined;

  constructor(options: OtelOptions) {
    this.#options = options;
    this.#report = createPluginReporter('otel', options.onError);
    this.#instruments =
      options.metrics === false
        ? undefined
        : new Instruments(options.meterProvider, options.durationBuckets ?? DURATION_BUCKETS, RETURNED_ROWS_BUCKETS);
    const capture = options.captureParameters;
    this.#captureParameters = capture !== undefined && capture !== false;
    this.#allowedParameters = Array.isArray(capture) ? new Set(capture as readonly string[]) : undefined;
  }

  wrap(next: Execute): Step {
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
        // Promise.resolve returns a native promise as it is, and tolerates a middleware below that breaks the contract.
        pending = Promise.resolve(started.context === undefined ? next(op) : context.with(started.context, next, undefined, op));
      } catch (err) {
        pending = Promise.reject(err);
      }
      return pending.then(
        (result) => this.#succeeded(started, op, result),
        (error: unknown) => {
          this.#end(started, op, undefined, undefined, true, error);
          throw error;
        },
      );
    };
  }

  /** The tracer of the SDK registered now, or undefined when there is none (the API's no-op provider). */
  #getTracer(): Tracer | undefined {
    const source = this.#options.tracerProvider ?? trace.getTracerProvider();
    // The global provider is a proxy that follows late registration: its delegate is the SDK registered now. With
    // none, no span object is made at all.
    const provider = source instanceof ProxyTracerProvider ? source.getDelegate() : source;
    if (provider === NOOP_TRACER_PROVIDER) return undefined;
    if (provider !== this.#tracerSource || this.#tracer === undefined) {
      this.#tracerSource = provider;
      this.#tracer = provider.getTracer(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION);
    }
    return this.#tracer;
  }

  #namespace(connection: ConnectionInfo | undefined): string | undefined {
    const option = this.#options.namespace;
    if (option === false) return undefined;
    if (typeof option === 'string') return option;
    if (connection === undefined) return undefined;
    if (this.#namespaces.has(connection)) return this.#namespaces.get(connection);
    const namespace = connection.path === ':memory:' || connection.path === '' ? undefined : basename(connection.path);
    this.#namespaces.set(connection, namespace);
    return namespace;
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
    if (!this.#traces(op)) return { start, summary, span: undefined, attributes: undefined, context: undefined };
    const parent = context.active();
    const parentSpan = trace.getSpan(parent);
    // Under an unsampled parent (a request whose trace is not kept) a database span would be dropped as well by
    // any parent-based sampler; not making it saves the SDK's ids and sampling on most calls of a sampled service.
    if (parentSpan === undefined ? this.#options.requireParentSpan === true : !parentSpan.isRecording()) {
      return { start, summary, span: undefined, attributes: undefined, context: undefined };
    }
    const name = isTransaction ? 'transaction' : summary === '' ? 'sqlite' : summary;
    // A transaction groups client calls (BEGIN, statements, COMMIT) without being one itself, hence INTERNAL.
    const kind = isTransaction ? SpanKind.INTERNAL : SpanKind.CLIENT;
    // No attributes at the start: the SDK would validate them for the sampler on every call, sampled or not, and
    // that costs more than the span itself. Samplers see the name, which is the summary.
    const tracer = this.#getTracer();
    if (tracer === undefined) return { start, summary, span: undefined, attributes: undefined, context: undefined };
    const span = tracer.startSpan(name, { kind }, parent);
    if (!span.isRecording()) {
      // An unsampled transaction span still becomes the parent, so its statements share its sampling decision.
      return { start, summary, span: undefined, attributes: undefined, context: isTransaction ? trace.setSpan(parent, span) : undefined };
    }
    const attributes: Attributes = { 'db.system.name': 'sqlite', 'rapsqlite.operation.kind': op.kind };
    if (summary !== '') attributes['db.query.summary'] = summary;
    if (info !== undefined && this.#options.captureQueryText !== false && info.sql !== '') attributes['db.query.text'] = info.text;
    if (batchSize !== undefined) attributes['db.operation.batch.size'] = batchSize;
    if (op.kind === 'transaction') {
      attributes['db.operation.name'] = 'transaction';
      attributes['rapsqlite.transaction.depth'] = op.depth;
      attributes['rapsqlite.transaction.mode'] = op.mode;
    }
    // Parameters are read now: the caller may reuse its array once the call has returned.
    if (this.#captureParameters && 'params' in op) addParameterAttributes(op.params, this.#allowedParameters, attributes);
    // Other middleware (a retry counting attempts, a mock) may annotate the span.
    op.attributes[ATTRIBUTES.otelSpan] = span;
    return { start, summary, span, attributes, context: trace.setSpan(parent, span) };
  }

  #traces(op: Operation): boolean {
    return this.#options.controlSpans !== false || !CONTROL_KINDS.has(op.kind);
  }

  #succeeded(call: Call, op: Operation, result: unknown): unknown {
    try {
      if (op.kind === 'iterate' && result !== null && typeof result === 'object') {
        return watchIterator(result as AsyncIterator<unknown>, (rows, error) =>
          this.#end(call, op, rows, undefined, error !== undefined, error),
        );
      }
      this.#end(call, op, returnedRows(op.kind, result), changedRows(op.kind, result), false, undefined);
    } catch (err) {
      this.#report(err, 'end');
    }
    return result;
  }

  #end(call: Call, op: Operation, rows: number | undefined, changes: number | undefined, failed: boolean, error: unknown): void {
    try {
      const end = performance.now();
      const connection = op.connection;
      const span = call.span;
      if (span !== undefined && call.attributes !== undefined) {
        const attributes = call.attributes;
        // The connection is known only now when a pool routed the operation while it ran.
        const namespace = this.#namespace(connection);
        if (namespace !== undefined) attributes['db.namespace'] = namespace;
        if (connection !== undefined) attributes['rapsqlite.connection.role'] = connection.role;
        if (rows !== undefined && this.#options.captureReturnedRows === true) attributes['db.response.returned_rows'] = rows;
        if (changes !== undefined) attributes['rapsqlite.response.changes'] = changes;
        if (failed) {
          attributes['error.type'] = errorType(error);
          const status = sqliteStatusCode(error);
          if (status !== undefined) attributes['db.response.status_code'] = status;
          span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
        }
        span.setAttributes(attributes);
        span.end(end);
      }
      const instruments = this.#instruments?.resolve();
      // A transaction's time is already in its statements' durations; it is seen in traces, not in this histogram.
      if (instruments === undefined || instruments.noop || op.kind === 'transaction') return;
      const attributes = failed ? this.#failureAttributes(connection, call.summary, error) : this.#successAttributes(connection, call.summary);
      instruments.duration.record((end - call.start) / 1000, attributes);
      // A get returns at most one row by construction: its row count says nothing a histogram needs to record.
      if (rows !== undefined && op.kind !== 'get') instruments.rows.record(rows, attributes);
    } catch (err) {
      this.#report(err, 'end');
    }
  }

  #successAttributes(connection: ConnectionInfo | undefined, summary: string): Attributes {
    const key = connection ?? NO_CONNECTION;
    let bySummary = this.#metricAttributes.get(key);
    if (bySummary === undefined) this.#metricAttributes.set(key, (bySummary = new Map()));
    let attributes = bySummary.get(summary);
    if (attributes === undefined) {
      attributes = Object.freeze(this.#metricBase(connection, summary));
      // Summaries are few; the bound only guards against an application that builds endless distinct statements.
      if (bySummary.size >= 2000) bySummary.clear();
      bySummary.set(summary, attributes);
    }
    return attributes;
  }

  #failureAttributes(connection: ConnectionInfo | undefined, summary: string, error: unknown): Attributes {
    const attributes = this.#metricBase(connection, summary);
    attributes['error.type'] = errorType(error);
    const status = sqliteStatusCode(error);
    if (status !== undefined) attributes['db.response.status_code'] = status;
    return attributes;
  }

  #metricBase(connection: ConnectionInfo | undefined, summary: string): Attributes {
    const attributes: Attributes = { 'db.system.name': 'sqlite' };
    const namespace = this.#namespace(connection);
    if (namespace !== undefined) attributes['db.namespace'] = namespace;
    if (summary !== '') attributes['db.query.summary'] = summary;
    return attributes;
  }
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
