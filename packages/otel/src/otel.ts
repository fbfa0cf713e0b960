import { basename } from 'node:path';
import {
  context,
  INVALID_SPAN_CONTEXT,
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
import {
  ATTRIBUTES,
  changedRows,
  createPluginReporter,
  invalidArgument,
  returnedRows,
  watchIterator,
  type PluginErrorHandler,
  type PluginReporter,
} from '@rapsqlite/engine/plugin';
import { defer, flushDeferred, type Deferred } from './internal/deferred.ts';
import { errorMessage, errorType, sqliteStatusCode } from './internal/errors.ts';
import { Instruments, type OperationHistograms } from './internal/instruments.ts';
import { addParameterAttributes } from './internal/parameters.ts';
import { PendingSpan, type SpanOwner } from './internal/pending-span.ts';
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

/** The values of {@link OtelOptions.recording}. */
export const RECORDING_MODES = Object.freeze(['deferred', 'sync'] as const);

/** When the OpenTelemetry SDK's work for a statement is done: see {@link OtelOptions.recording}. */
export type RecordingMode = (typeof RECORDING_MODES)[number];

/** The default of {@link OtelOptions.maxDeferred}. */
export const MAX_DEFERRED = 1024;

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
  /**
   * When the SDK's work for a statement (its span: ids, sampling, the span object, attributes, its end; its
   * measurements) is done.
   *
   * - `'deferred'` (default): the start time and the parent are taken when the call starts, the end time and the
   *   outcome when it settles; the caller's promise settles first, and the span is made and ended with those times,
   *   and the measurements recorded, in one batch once the microtasks have run — after the caller's code resumed and
   *   sent its next query, so the SDK's work overlaps the worker's. The span is the one `'sync'` makes (same times,
   *   parent, attributes, status, events), made earlier if another middleware uses it during the call
   *   (`op.attributes['rapsqlite.otel.span']`). It is not the active span while the statement runs. An exporter sees it once the current tick has run: `await middleware.flush()`
   *   before reading an in-memory exporter or shutting the SDK down, or list {@link DEFERRED_SPAN_PROCESSOR} first
   *   among the tracer provider's span processors. A call that makes no span (under an unsampled parent, with
   *   `requireParentSpan` and no parent) records its one measurement at once: deferring it costs about as much as
   *   it saves.
   * - `'sync'`: on the caller's path, before its promise settles; the span is the active span of the middleware
   *   below while the statement runs.
   *
   * Transaction spans are made at BEGIN in both modes (they are the parents of their statements and the active span
   * of the callback); in deferred mode their end is recorded with the batch, so spans reach the processors in the
   * order they ended.
   */
  readonly recording?: RecordingMode;
  /**
   * In deferred mode, the most settled calls waiting to be recorded (across every `otel()` middleware of the
   * process); a call settling while that many wait is recorded at once, so a burst cannot grow the queue without
   * bound. Default {@link MAX_DEFERRED}; `0` records every call at once (and still keeps spans out of the context).
   */
  readonly maxDeferred?: number;
  /** Receives the plugin's own failures; default: one `process.emitWarning`. A query never fails because of them. */
  readonly onError?: PluginErrorHandler;
}

/**
 * The shape of {@link DEFERRED_SPAN_PROCESSOR}: the SDK's `SpanProcessor` interface, written out so this package
 * depends on `@opentelemetry/api` only.
 */
export interface DeferredSpanProcessor {
  /** Does nothing: the processor only reacts to flushes. */
  onStart(): void;
  /** Does nothing: the processor only reacts to flushes. */
  onEnd(): void;
  /** Records the deferred telemetry of every `otel()` middleware now, so the processors after it export it. */
  forceFlush(): Promise<void>;
  /** Records the deferred telemetry of every `otel()` middleware now, so the processors after it export it. */
  shutdown(): Promise<void>;
}

/** The middleware {@link otel} returns: a rapsqlite middleware with a way to wait for deferred telemetry. */
export interface OtelMiddleware extends Middleware {
  /**
   * Records now the spans and measurements of every call that has settled and waits to be recorded (those of every
   * `otel()` middleware of this process, not only this one): after `await middleware.flush()` they are in the SDK's
   * span processors and metric readers. Calls still running, and `iterate` loops still open, are not affected.
   */
  flush(): Promise<void>;
}

/** The clock of span times and durations: `performance.now`, bound once (the global is a lazy getter). */
const now = performance.now.bind(performance);

const CONTROL_KINDS: ReadonlySet<OperationKind> = new Set(['begin', 'commit', 'rollback', 'savepoint', 'release', 'rollbackTo']);

/** The API's no-op tracer provider: the delegate of a proxy with no SDK behind it. */
const NOOP_TRACER_PROVIDER = new ProxyTracerProvider().getDelegate();

/** What a span whose creation failed is replaced with for the middleware that asked for it. */
const NON_RECORDING_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** Metric attributes of operations without a connection yet (a pool fills it in while the call runs). */
const NO_CONNECTION: ConnectionInfo = Object.freeze({ role: 'writer', id: 0, path: '' });

/** The attributes one connection gives every span and measurement, computed once per connection. */
interface ConnectionFacts {
  /** `db.namespace` and `rapsqlite.connection.role`, frozen. */
  readonly span: Readonly<Attributes>;
  readonly namespace: string | undefined;
  /** Success attributes of the duration histogram, by summary: built once, reused. */
  readonly metrics: Map<string, Readonly<Attributes>>;
}

/** One observed operation, from its start to the moment its telemetry is recorded. */
class Call implements Deferred, SpanOwner {
  readonly owner: Instrumentation;
  readonly kind: OperationKind;
  /** `performance.now()` when the call started: the span's start time and the histogram's origin. */
  readonly start: number;
  readonly summary: string;
  /** The context the call was made in: the span's parent, and the context of its measurements. */
  readonly parent: Context | undefined;
  readonly instruments: OperationHistograms | undefined;
  /** Set when a span is to be made (a recording SDK, not under an unsampled parent). */
  tracer: Tracer | undefined = undefined;
  name = '';
  spanKind: SpanKind = SpanKind.CLIENT;
  /** The attributes known at the start. */
  attributes: Readonly<Attributes> | undefined = undefined;
  /** The SDK's span, once made. */
  span: Span | undefined = undefined;
  /** The context to run `next` in, when the span must be active below. */
  context: Context | undefined = undefined;
  // The outcome, set when the call settles.
  settled = false;
  recorded = false;
  end = 0;
  connection: ConnectionInfo | undefined = undefined;
  rows: number | undefined = undefined;
  changes: number | undefined = undefined;
  failed = false;
  error: unknown = undefined;

  constructor(owner: Instrumentation, kind: OperationKind, start: number, summary: string, parent: Context | undefined, instruments: OperationHistograms | undefined) {
    this.owner = owner;
    this.kind = kind;
    this.start = start;
    this.summary = summary;
    this.parent = parent;
    this.instruments = instruments;
  }

  record(): void {
    this.owner.record(this);
  }

  materialize(): Span {
    return this.owner.materialize(this);
  }
}

class Instrumentation {
  readonly #options: OtelOptions;
  readonly #report: PluginReporter;
  readonly #sql: SqlInfoCache;
  readonly #instruments: Instruments | undefined;
  readonly #allowedParameters: ReadonlySet<string> | undefined;
  readonly #captureParameters: boolean;
  readonly #captureRows: boolean;
  readonly #deferred: boolean;
  readonly #maxDeferred: number;
  readonly #connections = new WeakMap<ConnectionInfo, ConnectionFacts>();
  #tracerSource: TracerProvider | undefined;
  #tracer: Tracer | undefined;

  constructor(options: OtelOptions) {
    this.#options = options;
    this.#report = createPluginReporter('otel', options.onError);
    this.#sql = new SqlInfoCache(options.captureQueryText !== false);
    this.#instruments =
      options.metrics === false
        ? undefined
        : new Instruments(options.meterProvider, options.durationBuckets ?? DURATION_BUCKETS, RETURNED_ROWS_BUCKETS);
    const capture = options.captureParameters;
    this.#captureParameters = capture !== undefined && capture !== false;
    this.#allowedParameters = Array.isArray(capture) ? new Set(capture as readonly string[]) : undefined;
    this.#captureRows = options.captureReturnedRows === true;
    this.#deferred = options.recording !== 'sync';
    this.#maxDeferred = options.maxDeferred ?? MAX_DEFERRED;
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
          this.#settle(started, op, undefined, undefined, true, error);
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

  #connection(connection: ConnectionInfo | undefined): ConnectionFacts {
    const key = connection ?? NO_CONNECTION;
    let facts = this.#connections.get(key);
    if (facts !== undefined) return facts;
    const option = this.#options.namespace;
    const namespace =
      option === false
        ? undefined
        : typeof option === 'string'
          ? option
          : connection === undefined || connection.path === ':memory:' || connection.path === ''
            ? undefined
            : basename(connection.path);
    const span: Attributes = {};
    if (namespace !== undefined) span['db.namespace'] = namespace;
    if (connection !== undefined) span['rapsqlite.connection.role'] = connection.role;
    facts = { span: Object.freeze(span), namespace, metrics: new Map() };
    this.#connections.set(key, facts);
    return facts;
  }

  #start(op: Operation): Call | undefined {
    const start = now();
    const isTransaction = op.kind === 'transaction';
    const info = isTransaction ? undefined : this.#sql.get(op.sql);
    let summary = info?.summary ?? '';
    let batchSize: number | undefined;
    if (op.kind === 'runMany' && op.paramsList.length !== 1) {
      // A batch of one is modelled as a single operation; zero or several sets make a batch.
      batchSize = op.paramsList.length;
      summary = summary === '' ? 'BATCH' : `BATCH ${summary}`;
    }
    // A transaction's time is already in its statements' durations; it is seen in traces, not in this histogram.
    const instruments = isTransaction ? undefined : this.#instruments?.resolve();
    let tracer: Tracer | undefined;
    let parent: Context | undefined;
    if (this.#options.controlSpans !== false || !CONTROL_KINDS.has(op.kind)) {
      parent = context.active();
      const parentSpan = trace.getSpan(parent);
      // Under an unsampled parent (a request whose trace is not kept) a database span would be dropped as well by
      // any parent-based sampler; not making it saves the SDK's ids and sampling on most calls of a sampled service.
      if (parentSpan === undefined ? this.#options.requireParentSpan !== true : parentSpan.isRecording()) tracer = this.#getTracer();
    }
    if (tracer === undefined && instruments === undefined) return undefined;
    // Measurements are recorded in the caller's context, as the SDK would take it (its attribute processors read it).
    if (instruments !== undefined) parent ??= context.active();
    const call = new Call(this, op.kind, start, summary, parent, instruments);
    if (tracer === undefined) return call;

    let attributes: Readonly<Attributes>;
    if (op.kind === 'transaction') {
      attributes = {
        'db.system.name': 'sqlite',
        'rapsqlite.operation.kind': 'transaction',
        'db.operation.name': 'transaction',
        'rapsqlite.transaction.depth': op.depth,
        'rapsqlite.transaction.mode': op.mode,
      };
      call.name = 'transaction';
      // A transaction groups client calls (BEGIN, statements, COMMIT) without being one itself, hence INTERNAL.
      call.spanKind = SpanKind.INTERNAL;
    } else {
      const known = (info as NonNullable<typeof info>).attributes(op.kind);
      const params = this.#captureParameters && batchSize === undefined && 'params' in op;
      if (batchSize === undefined && !params) attributes = known;
      else {
        const own: Attributes = { ...known };
        if (batchSize !== undefined) {
          own['db.query.summary'] = summary;
          own['db.operation.batch.size'] = batchSize;
        }
        // Parameters are read now: the caller may reuse its array once the call has returned.
        if (params) addParameterAttributes(op.params, this.#allowedParameters, own);
        attributes = own;
      }
      call.name = batchSize === undefined ? (info as NonNullable<typeof info>).name : summary;
    }
    call.attributes = attributes;
    call.tracer = tracer;

    if (this.#deferred && !isTransaction) {
      // The span is made after the call, unless another middleware uses it during the call: it finds a stand-in.
      // Not made the active span while the statement runs (context.with costs as much as the rest of the
      // caller's path): a statement span is a leaf, and what would read it from the context finds its parent.
      op.attributes[ATTRIBUTES.otelSpan] = new PendingSpan(call);
      return call;
    }
    const span = tracer.startSpan(call.name, { kind: call.spanKind, startTime: start }, parent);
    if (!span.isRecording()) {
      call.tracer = undefined;
      // An unsampled transaction span still becomes the parent, so its statements share its sampling decision.
      if (isTransaction) call.context = trace.setSpan(parent as Context, span);
      return call;
    }
    call.span = span;
    call.context = trace.setSpan(parent as Context, span);
    // Other middleware (a retry counting attempts, a mock) may annotate the span.
    op.attributes[ATTRIBUTES.otelSpan] = span;
    return call;
  }

  #succeeded(call: Call, op: Operation, result: unknown): unknown {
    try {
      if (op.kind === 'iterate' && result !== null && typeof result === 'object') {
        return watchIterator(result as AsyncIterator<unknown>, (rows, error) =>
          this.#settle(call, op, rows, undefined, error !== undefined, error),
        );
      }
      // A get's row count goes on its span only (a histogram of "0 or 1" says nothing): not read unless asked for.
      const rows = op.kind === 'get' && !this.#captureRows ? undefined : returnedRows(op.kind, result);
      this.#settle(call, op, rows, changedRows(op.kind, result), false, undefined);
    } catch (err) {
      this.#report(err, 'end');
    }
    return result;
  }

  /** Takes the outcome of a call when it settles, and records it now or hands it to the next flush. */
  #settle(call: Call, op: Operation, rows: number | undefined, changes: number | undefined, failed: boolean, error: unknown): void {
    try {
      call.end = now();
      // The connection is known only now when a pool routed the operation while it ran.
      call.connection = op.connection;
      call.rows = rows;
      call.changes = changes;
      call.failed = failed;
      call.error = error;
      call.settled = true;
      // A call without a span (under an unsampled parent, say) has one measurement to record: deferring it costs
      // about as much as it saves, and more when no core is free (measured), so it is recorded at once.
      if (!this.#deferred || call.tracer === undefined || !defer(call, this.#maxDeferred)) this.record(call);
    } catch (err) {
      this.#report(err, 'end');
    }
  }

  /** The SDK span of a deferred statement, made now because another middleware uses it. Never throws. */
  materialize(call: Call): Span {
    if (call.span !== undefined) return call.span;
    const tracer = call.tracer;
    if (tracer === undefined) return NON_RECORDING_SPAN;
    if (call.settled) {
      // It waits in the queue: made and ended now, the queued record finds it done.
      this.record(call);
      return call.span ?? NON_RECORDING_SPAN;
    }
    try {
      call.span = tracer.startSpan(call.name, { kind: call.spanKind, startTime: call.start }, call.parent);
      return call.span;
    } catch (err) {
      call.tracer = undefined;
      this.#report(err, 'start');
      return NON_RECORDING_SPAN;
    }
  }

  /** Hands a settled call's span and measurements to the SDK. Runs once per call; never throws. */
  record(call: Call): void {
    if (call.recorded) return;
    call.recorded = true;
    const facts = this.#connection(call.connection);
    const tracer = call.tracer;
    if (tracer !== undefined) {
      let span = call.span;
      if (span === undefined) {
        try {
          span = tracer.startSpan(call.name, { kind: call.spanKind, startTime: call.start }, call.parent);
          call.span = span;
        } catch (err) {
          this.#report(err, 'start');
        }
      }
      if (span !== undefined) {
        try {
          // Set, not passed to startSpan: the SDK validates attributes given at the start twice (for the sampler,
          // then for the span), which costs several times one setAttributes. Samplers see the name (the summary).
          if (span.isRecording()) {
            span.setAttributes(call.attributes as Attributes);
            span.setAttributes(this.#endAttributes(call, facts));
            if (call.failed) span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(call.error) });
          }
          span.end(call.end);
        } catch (err) {
          this.#report(err, 'end');
        }
      }
    }
    const instruments = call.instruments;
    if (instruments === undefined) return;
    try {
      const attributes = call.failed ? this.#failureAttributes(facts, call.summary, call.error) : this.#successAttributes(facts, call.summary);
      instruments.duration.record((call.end - call.start) / 1000, attributes, call.parent);
      // A get returns at most one row by construction: its row count says nothing a histogram needs to record.
      if (call.rows !== undefined && call.kind !== 'get') instruments.rows.record(call.rows, attributes, call.parent);
    } catch (err) {
      this.#report(err, 'end');
    }
  }

  /** The span attributes known only at the end: connection, rows, changes, failure. */
  #endAttributes(call: Call, facts: ConnectionFacts): Readonly<Attributes> {
    const rows = this.#captureRows ? call.rows : undefined;
    if (rows === undefined && call.changes === undefined && !call.failed) return facts.span;
    const attributes: Attributes = { ...facts.span };
    if (rows !== undefined) attributes['db.response.returned_rows'] = rows;
    if (call.changes !== undefined) attributes['rapsqlite.response.changes'] = call.changes;
    if (call.failed) {
      attributes['error.type'] = errorType(call.error);
      const status = sqliteStatusCode(call.error);
      if (status !== undefined) attributes['db.response.status_code'] = status;
    }
    return attributes;
  }

  #successAttributes(facts: ConnectionFacts, summary: string): Readonly<Attributes> {
    let attributes = facts.metrics.get(summary);
    if (attributes === undefined) {
      attributes = Object.freeze(this.#metricBase(facts, summary));
      // Summaries are few; the bound only guards against an application that builds endless distinct statements.
      if (facts.metrics.size >= 2000) facts.metrics.clear();
      facts.metrics.set(summary, attributes);
    }
    return attributes;
  }

  #failureAttributes(facts: ConnectionFacts, summary: string, error: unknown): Attributes {
    const attributes = this.#metricBase(facts, summary);
    attributes['error.type'] = errorType(error);
    const status = sqliteStatusCode(error);
    if (status !== undefined) attributes['db.response.status_code'] = status;
    return attributes;
  }

  #metricBase(facts: ConnectionFacts, summary: string): Attributes {
    const attributes: Attributes = { 'db.system.name': 'sqlite' };
    if (facts.namespace !== undefined) attributes['db.namespace'] = facts.namespace;
    if (summary !== '') attributes['db.query.summary'] = summary;
    return attributes;
  }
}

/** The flush of every deferred call, as a promise (the shape `flush()` and span processors have). */
function flushAll(): Promise<void> {
  flushDeferred();
  return Promise.resolve();
}

/**
 * A span processor that records the deferred telemetry of every `otel()` middleware when the tracer provider is
 * flushed or shut down. List it **first** among the provider's span processors: the provider calls them in order,
 * so the spans it records reach the others before they flush or shut down.
 *
 * @example
 * ```ts
 * import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
 * import { DEFERRED_SPAN_PROCESSOR } from '@rapsqlite/otel';
 *
 * const provider = new TracerProvider({ spanProcessors: [DEFERRED_SPAN_PROCESSOR, new BatchSpanProcessor({ exporter })] });
 * // provider.forceFlush() and provider.shutdown() now include the spans of calls that settled just before.
 * ```
 */
export const DEFERRED_SPAN_PROCESSOR: DeferredSpanProcessor = Object.freeze({
  onStart: () => undefined,
  onEnd: () => undefined,
  forceFlush: flushAll,
  shutdown: flushAll,
});

/**
 * Creates the OpenTelemetry middleware: a CLIENT span per operation named after its `db.query.summary`, with the
 * attributes of the database semantic conventions, a parent span per transaction, and the
 * `db.client.operation.duration` and `db.client.response.returned_rows` histograms. It depends on
 * `@opentelemetry/api` only: with no SDK registered it does next to nothing.
 *
 * Register it first (outermost), so that its spans cover retries and its context reaches the other plugins. By
 * default a statement's span is made and ended after its call settled, off the caller's path (see
 * {@link OtelOptions.recording}): `await middleware.flush()` before reading an in-memory exporter.
 *
 * @example
 * ```ts
 * import { open } from '@rapsqlite/engine';
 * import { otel } from '@rapsqlite/otel';
 *
 * const tracing = otel();
 * const db = await open('app.db', { middleware: [tracing] });
 * // On shutdown: the spans of the last calls first, then the SDK.
 * await tracing.flush();
 * ```
 */
export function otel(options: OtelOptions = {}): OtelMiddleware {
  const frozen = Object.freeze({ ...options });
  if (frozen.recording !== undefined && !RECORDING_MODES.includes(frozen.recording)) {
    throw invalidArgument(`otel: recording must be one of ${RECORDING_MODES.join(', ')}`);
  }
  const max = frozen.maxDeferred;
  if (max !== undefined && (!Number.isSafeInteger(max) || max < 0)) throw invalidArgument('otel: maxDeferred must be an integer >= 0');
  const instrumentation = new Instrumentation(frozen);
  return Object.freeze({
    name: 'otel',
    wrap: (next: Execute) => instrumentation.wrap(next),
    flush: flushAll,
  });
}
