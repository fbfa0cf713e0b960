import type { ConnectionRole, Execute, Middleware, Operation, OperationKind, Params, StatementOperation } from '@rapsqlite/engine';
import { errorCode, errorMessage } from './internal/errors.ts';

import { tryLoad } from './internal/peer.ts';
import { ATTRIBUTES, createPluginReporter, observe, type Outcome, type PluginErrorHandler } from '@rapsqlite/engine/plugin';
import { SqlInfoCache, type SqlInfo } from './internal/sql-info.ts';
import { invalidArgument } from '@rapsqlite/engine/plugin';

/** The trace a slow operation ran in. */
export interface TraceIds {
  /** 32 hex digits. */
  readonly traceId: string;
  /** 16 hex digits: the active span (the statement's own span when the `otel` middleware runs before this one). */
  readonly spanId: string;
}

/** One node of an `EXPLAIN QUERY PLAN` tree. */
export interface QueryPlanNode {
  /** SQLite's node id. */
  readonly id: number;
  /** What SQLite does at this step (`SCAN users`, `SEARCH orders USING INDEX …`). */
  readonly detail: string;
  readonly children: readonly QueryPlanNode[];
}

/** What went wrong, without the error object (which could keep large things alive). */
export interface SlowQueryError {
  readonly code: string;
  readonly message: string;
}

/** A slow operation, as {@link SlowQueryOptions.onSlow} receives it. It never holds bound parameter values. */
export interface SlowQueryReport {
  readonly kind: OperationKind;
  /** The OpenTelemetry query summary (`SELECT users`). */
  readonly summary: string;
  /** The normalized text: constants and parameters as `?`, lists collapsed. */
  readonly query: string;
  /** 16 hex digits identifying the normalized text, as in `queryStats()`. */
  readonly fingerprint: string;
  /** How long the operation took (for `iterate`, until the iteration ended), in milliseconds. */
  readonly durationMs: number;
  /** The threshold it crossed: `thresholdMs`, or `sampleThresholdMs` when it was sampled. */
  readonly thresholdMs: number;
  /** True when it was reported by sampling (slower than `sampleThresholdMs` but not `thresholdMs`). */
  readonly sampled: boolean;
  /** Rows returned (`get`, `all`, `values`, `iterate`). */
  readonly rows: number | undefined;
  /** Rows changed (`run`, `runMany`). */
  readonly changes: number | undefined;
  /** The failure, when the operation failed (a timeout, a busy database…). */
  readonly error: SlowQueryError | undefined;
  /** The connection that ran it. */
  readonly role: ConnectionRole | undefined;
  /** The transaction it ran in. */
  readonly transactionId: number | undefined;
  /** The active trace, when OpenTelemetry is in use. */
  readonly traceId: string | undefined;
  readonly spanId: string | undefined;
  /** The `EXPLAIN QUERY PLAN` tree, when `explain` is on and the kind has a plan. */
  readonly plan: readonly QueryPlanNode[] | undefined;
  /** Why the plan is missing, when `EXPLAIN QUERY PLAN` failed. */
  readonly planError: SlowQueryError | undefined;
  /** Reports of this fingerprint dropped by the rate limit since the previous one. */
  readonly suppressed: number;
  /** When the operation ended. */
  readonly finishedAt: Date;
}

/** The rate limit of reports, per fingerprint. */
export interface SlowQueryRateLimit {
  /** The window, in milliseconds. Default 60 000. */
  readonly intervalMs?: number;
  /** Reports per fingerprint per window. Default 1. */
  readonly max?: number;
}

/** Options of {@link slowQuery}, after PostgreSQL's `log_min_duration_statement`, `log_min_duration_sample` and `auto_explain`. */
export interface SlowQueryOptions {
  /** Report every operation at least this slow, in milliseconds. `0` reports all; `-1` turns this threshold off. */
  readonly thresholdMs: number;
  /** Operations at least this slow, but under `thresholdMs`, are reported with probability `sampleRate`. */
  readonly sampleThresholdMs?: number;
  /** The probability of reporting an operation over `sampleThresholdMs`, from 0 to 1. Default 1. */
  readonly sampleRate?: number;
  /**
   * Attach the `EXPLAIN QUERY PLAN` tree. The plan is asked for with the same text and parameters through the rest
   * of the middleware chain, that is through the handle the middleware is attached to. Outside a transaction the
   * report is sent when the plan arrives, without delaying the query's result; inside one the plan is read in the
   * transaction before the result is handed back (only for reported operations). Default false.
   */
  readonly explain?: boolean;
  /** At most `max` reports per fingerprint per `intervalMs`; the others are counted in `suppressed`. `false`: no limit. */
  readonly rateLimit?: SlowQueryRateLimit | false;
  /** The operation kinds watched. Default: all but `transaction` (whose statements are watched one by one). */
  readonly kinds?: readonly OperationKind[];
  /** Reads the active trace. Default: `@opentelemetry/api`'s active span, when that package is installed. */
  readonly traceContext?: () => TraceIds | undefined;
  /** A random number in [0, 1), for sampling. Default `Math.random`. */
  readonly random?: () => number;
  /** Receives each report. */
  readonly onSlow: (report: SlowQueryReport) => void;
  /** Receives the plugin's own failures (a throwing `onSlow` included); default: one `process.emitWarning`. */
  readonly onError?: PluginErrorHandler;
}

/**
 * The key, in `op.attributes`, that marks the `EXPLAIN QUERY PLAN` operations this middleware sends down the chain,
 * so that statistics do not count them as the application's statements.
 */
export const EXPLAIN_ATTRIBUTE = 'slowQuery.explain';

const WATCHED_KINDS: readonly OperationKind[] = [
  'exec', 'run', 'runMany', 'get', 'all', 'values', 'iterate', 'prepare', 'begin', 'commit', 'rollback', 'savepoint', 'release', 'rollbackTo',
];

/** Kinds whose SQL is one statement with the operation's parameters, so `EXPLAIN QUERY PLAN` applies. */
const EXPLAINABLE: ReadonlySet<OperationKind> = new Set(['run', 'runMany', 'get', 'all', 'values', 'iterate']);

/** Fingerprints remembered by the rate limit; the oldest are forgotten first. */
const RATE_TABLE_SIZE = 1000;

interface Window {
  start: number;
  count: number;
  suppressed: number;
}

interface OtelApi {
  readonly trace: { getActiveSpan(): { spanContext(): { traceId: string; spanId: string } } | undefined };
  readonly isSpanContextValid: (context: { traceId: string; spanId: string }) => boolean;
}

/** Reads the active span through `@opentelemetry/api` when it is installed; an optional dependency. */
function otelTraceContext(): (() => TraceIds | undefined) | undefined {
  const api = tryLoad<OtelApi>('@opentelemetry/api');
  if (api === undefined) return undefined;
  return () => {
    const span = api.trace.getActiveSpan();
    if (span === undefined) return undefined;
    const { traceId, spanId } = span.spanContext();
    return api.isSpanContextValid({ traceId, spanId }) ? { traceId, spanId } : undefined;
  };
}

/** The trace and span ids of an OpenTelemetry span (anything with a valid `spanContext()`), else undefined. */
function spanIds(span: unknown): TraceIds | undefined {
  if (typeof span !== 'object' || span === null || typeof (span as { spanContext?: unknown }).spanContext !== 'function') return undefined;
  const { traceId, spanId } = (span as { spanContext(): { traceId: string; spanId: string } }).spanContext();
  // The API's invalid ids are all zeros; a valid id has a non-zero hex digit.
  return /[1-9a-f]/.test(traceId) && /[1-9a-f]/.test(spanId) ? { traceId, spanId } : undefined;
}

/** Builds the plan tree from `EXPLAIN QUERY PLAN` rows (`id`, `parent`, `detail`), parents before children. */
export function buildQueryPlan(rows: ReadonlyArray<{ readonly id: unknown; readonly parent: unknown; readonly detail: unknown }>): QueryPlanNode[] {
  interface Mutable {
    id: number;
    detail: string;
    children: Mutable[];
  }
  const roots: Mutable[] = [];
  const byId = new Map<number, Mutable>();
  for (const row of rows) {
    const node: Mutable = { id: Number(row.id), detail: String(row.detail), children: [] };
    byId.set(node.id, node);
    const parent = byId.get(Number(row.parent));
    (parent === undefined ? roots : parent.children).push(node);
  }
  return roots;
}

/**
 * Formats a plan tree as SQLite's shell prints it:
 * ```
 * QUERY PLAN
 * |--SCAN orders
 * `--SEARCH users USING INTEGER PRIMARY KEY (rowid=?)
 * ```
 */
export function formatQueryPlan(plan: readonly QueryPlanNode[]): string {
  const lines = ['QUERY PLAN'];
  const walk = (nodes: readonly QueryPlanNode[], indent: string): void => {
    nodes.forEach((node, i) => {
      const last = i === nodes.length - 1;
      lines.push(`${indent}${last ? '`--' : '|--'}${node.detail}`);
      walk(node.children, `${indent}${last ? '   ' : '|  '}`);
    });
  };
  walk(plan, '');
  return lines.join('\n');
}

function asError(error: unknown): SlowQueryError {
  return Object.freeze({ code: errorCode(error), message: errorMessage(error) });
}

/** What is known of an operation when it starts. */
interface Started {
  readonly info: SqlInfo;
  /** Captured at the start for `iterate`, whose end runs in the consumer's context. */
  readonly trace: TraceIds | undefined;
}

/**
 * Creates the slow-query middleware: operations slower than `thresholdMs` (and a sample of those slower than
 * `sampleThresholdMs`) are reported to `onSlow` with their summary, normalized text, duration, rows, error, role,
 * trace ids and, on request, their `EXPLAIN QUERY PLAN` tree; reports are rate-limited per fingerprint. Register it
 * after `otel` so its reports carry the statement's span id.
 *
 * @example
 * ```ts
 * const slow = slowQuery({
 *   thresholdMs: 100,
 *   explain: true,
 *   onSlow: (r) => logger.warn({ ...r, plan: r.plan && formatQueryPlan(r.plan) }, 'slow query'),
 * });
 * const db = await open('app.db', { middleware: [otel(), slow] });
 * ```
 */
export function slowQuery(options: SlowQueryOptions): Middleware {
  const settings = Object.freeze({ ...options });
  if (typeof settings.onSlow !== 'function') throw invalidArgument('slowQuery: onSlow must be a function');
  const threshold = settings.thresholdMs;
  if (typeof threshold !== 'number' || Number.isNaN(threshold) || (threshold < 0 && threshold !== -1)) {
    throw invalidArgument('slowQuery: thresholdMs must be 0 or more, or -1 to turn it off');
  }
  const sampleThreshold = settings.sampleThresholdMs;
  const sampleRate = settings.sampleRate ?? 1;
  if (sampleRate < 0 || sampleRate > 1) throw invalidArgument('slowQuery: sampleRate must be between 0 and 1');
  const random = settings.random ?? Math.random;
  const limit = settings.rateLimit === false ? undefined : { intervalMs: settings.rateLimit?.intervalMs ?? 60_000, max: settings.rateLimit?.max ?? 1 };
  const kinds: ReadonlySet<OperationKind> = new Set(settings.kinds ?? WATCHED_KINDS);
  const traceContext = settings.traceContext ?? otelTraceContext();
  const report = createPluginReporter('slowQuery', settings.onError);
  const sql = new SqlInfoCache();
  const windows = new Map<string, Window>();

  const readTrace = (op?: Operation): TraceIds | undefined => {
    try {
      // The statement's own span when @rapsqlite/otel made one: it records spans after the call settles, so the
      // span active around this middleware is the caller's (the default trace context reads only that one).
      if (settings.traceContext === undefined && op !== undefined) {
        const own = spanIds(op.attributes[ATTRIBUTES.otelSpan]);
        if (own !== undefined) return own;
      }
      return traceContext?.();
    } catch (err) {
      report(err, 'trace context');
      return undefined;
    }
  };

  /** Whether the operation is to be reported, and as sampled or not. */
  const select = (ms: number): { thresholdMs: number; sampled: boolean } | undefined => {
    if (threshold >= 0 && ms >= threshold) return { thresholdMs: threshold, sampled: false };
    if (sampleThreshold !== undefined && ms >= sampleThreshold && sampleRate > 0 && random() < sampleRate) {
      return { thresholdMs: sampleThreshold, sampled: true };
    }
    return undefined;
  };

  /** Applies the rate limit: the number of reports suppressed before this one, or undefined to drop it. */
  const admit = (fingerprint: string, now: number): number | undefined => {
    if (limit === undefined) return 0;
    let window = windows.get(fingerprint);
    if (window === undefined) {
      if (windows.size >= RATE_TABLE_SIZE) {
        const oldest = windows.keys().next();
        if (oldest.done !== true) windows.delete(oldest.value);
      }
      window = { start: now, count: 0, suppressed: 0 };
      windows.set(fingerprint, window);
    } else if (now - window.start >= limit.intervalMs) {
      window.start = now;
      window.count = 0;
    }
    if (window.count >= limit.max) {
      window.suppressed++;
      return undefined;
    }
    window.count++;
    const suppressed = window.suppressed;
    window.suppressed = 0;
    return suppressed;
  };

  const deliver = (value: SlowQueryReport): void => {
    try {
      settings.onSlow(Object.freeze(value));
    } catch (err) {
      report(err, 'onSlow');
    }
  };

  const explainPlan = async (next: Execute, op: Operation): Promise<{ plan?: QueryPlanNode[]; planError?: SlowQueryError }> => {
    let params: Params | undefined;
    if (op.kind === 'runMany') params = op.paramsList[0];
    else if ('params' in op) params = op.params;
    const explain: StatementOperation<'all'> = {
      kind: 'all',
      sql: `EXPLAIN QUERY PLAN ${op.sql}`,
      params,
      options: {},
      // Inside a transaction only the transaction's hold on the connection may run it.
      transaction: op.transaction,
      connection: op.connection,
      attributes: { [EXPLAIN_ATTRIBUTE]: true },
    };
    try {
      const rows = (await next(explain)) as Array<{ id: unknown; parent: unknown; detail: unknown }>;
      return { plan: buildQueryPlan(rows) };
    } catch (err) {
      return { planError: asError(err) };
    }
  };

  return Object.freeze(
    observe<Started>(
      'slowQuery',
      {
        filter: (op) => kinds.has(op.kind),
        start: (op) => ({ info: sql.get(op.sql), trace: op.kind === 'iterate' ? readTrace() : undefined }),
        end: (op, started, outcome: Outcome, next: Execute) => {
          const chosen = select(outcome.durationMs);
          if (chosen === undefined) return undefined;
          const now = Date.now();
          const info = started.info;
          const suppressed = admit(info.fingerprint, now);
          if (suppressed === undefined) return undefined;
          const trace = (op.kind === 'iterate' ? undefined : readTrace(op)) ?? started.trace;
          const base: SlowQueryReport = {
            kind: op.kind,
            summary: info.summary,
            query: info.normalized,
            fingerprint: info.fingerprint,
            durationMs: outcome.durationMs,
            thresholdMs: chosen.thresholdMs,
            sampled: chosen.sampled,
            rows: outcome.rows,
            changes: outcome.changes,
            error: outcome.ok ? undefined : asError(outcome.error),
            role: op.connection?.role,
            transactionId: op.transaction?.id,
            traceId: trace?.traceId,
            spanId: trace?.spanId,
            plan: undefined,
            planError: undefined,
            suppressed,
            finishedAt: new Date(now),
          };
          if (settings.explain !== true || !EXPLAINABLE.has(op.kind)) {
            deliver(base);
            return undefined;
          }
          const withPlan = explainPlan(next, op).then((plan) => deliver({ ...base, plan: plan.plan, planError: plan.planError }));
          // Outside a transaction the report may follow the result; inside, the plan must be read while it is open.
          if (op.transaction === undefined || op.kind === 'iterate') {
            withPlan.catch((err: unknown) => report(err, 'explain'));
            return undefined;
          }
          return withPlan;
        },
      },
      { report },
    ),
  );
}
