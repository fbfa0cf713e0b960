import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { Middleware } from '@rapsqlite/engine';
import { ATTRIBUTES } from '@rapsqlite/engine/plugin';
import { describe, expect, it, vi } from 'vitest';
import { formatQueryPlan, slowQuery, type SlowQueryReport } from '../src/index.ts';
import { onCleanup, openTemp } from './helpers.ts';

function collector(): { reports: SlowQueryReport[]; onSlow: (r: SlowQueryReport) => void } {
  const reports: SlowQueryReport[] = [];
  return { reports, onSlow: (r) => reports.push(r) };
}

/** A global tracer provider and context manager for one test, as an application with OpenTelemetry has. */
function useTracing(): void {
  context.disable();
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: new InMemorySpanExporter() })] }));
  onCleanup(() => {
    trace.disable();
    context.disable();
  });
}

describe('slowQuery()', () => {
  it('reports operations over the threshold with summary, normalized text, rows and role, never parameters', async () => {
    const { reports, onSlow } = collector();
    const db = await openTemp({ middleware: [slowQuery({ thresholdMs: 0, onSlow, rateLimit: false })] });
    await db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)');
    await db.run('INSERT INTO users (name) VALUES (?)', ['secret-name']);
    await db.all("SELECT id FROM users WHERE name = 'secret-name' OR id IN (1, 2, 3)");

    const select = reports.find((r) => r.kind === 'all');
    expect(select).toMatchObject({
      summary: 'SELECT users',
      query: 'SELECT id FROM users WHERE name = ? OR id IN (...)',
      thresholdMs: 0,
      sampled: false,
      rows: 1,
      role: 'writer',
      error: undefined,
      plan: undefined,
      suppressed: 0,
    });
    expect(select?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(select?.durationMs).toBeGreaterThan(0);
    expect(select?.finishedAt).toBeInstanceOf(Date);
    expect(reports.find((r) => r.kind === 'run')?.changes).toBe(1);
    expect(JSON.stringify(reports)).not.toContain('secret');
  });

  it('reports nothing under the threshold, and nothing with the threshold off', async () => {
    const { reports, onSlow } = collector();
    const db = await openTemp({
      middleware: [slowQuery({ thresholdMs: 3_600_000, onSlow }), slowQuery({ thresholdMs: -1, onSlow })],
    });
    await db.get('SELECT 1 AS x');
    expect(reports).toEqual([]);
    expect(() => slowQuery({ thresholdMs: -2, onSlow })).toThrow(expect.objectContaining({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' }));
  });

  it('reports failures with their code', async () => {
    const { reports, onSlow } = collector();
    const db = await openTemp({ middleware: [slowQuery({ thresholdMs: 0, onSlow })] });
    await expect(db.get('SELECT * FROM missing')).rejects.toMatchObject({ code: 'SQLITE_ERROR' });
    expect(reports[0]?.error).toEqual({ code: 'SQLITE_ERROR', message: expect.stringContaining('missing') as string });
  });

  it('samples operations between the sample threshold and the threshold at the sample rate', async () => {
    const { reports, onSlow } = collector();
    const draws = [0.1, 0.9, 0.2, 0.7];
    const db = await openTemp({
      middleware: [
        slowQuery({ thresholdMs: 3_600_000, sampleThresholdMs: 0, sampleRate: 0.5, random: () => draws.shift() ?? 1, rateLimit: false, onSlow }),
      ],
    });
    for (let i = 0; i < 4; i++) await db.get('SELECT ? AS i', [i]);
    expect(reports.map((r) => [r.sampled, r.thresholdMs])).toEqual([
      [true, 0],
      [true, 0],
    ]);
    expect(draws).toEqual([]);
  });

  it('rate-limits reports per fingerprint and counts the suppressed ones', async () => {
    // Only Date is faked: the rate limit's clock, not the timers the database relies on.
    vi.useFakeTimers({ toFake: ['Date'] });
    onCleanup(() => {
      vi.useRealTimers();
    });
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
    const { reports, onSlow } = collector();
    const db = await openTemp({ middleware: [slowQuery({ thresholdMs: 0, rateLimit: { intervalMs: 60_000, max: 2 }, onSlow })] });
    // Five calls of one statement (literals differ, the fingerprint does not) and one of another.
    for (let i = 0; i < 5; i++) await db.get(`SELECT ${i} AS x`);
    await db.get('SELECT 1 AS y, 2 AS z');
    expect(reports.map((r) => r.query)).toEqual(['SELECT ? AS x', 'SELECT ? AS x', 'SELECT ? AS y, ? AS z']);
    vi.setSystemTime(new Date('2026-01-01T00:00:59Z'));
    await db.get('SELECT 8 AS x');
    expect(reports).toHaveLength(3);
    vi.setSystemTime(new Date('2026-01-01T00:01:00Z'));
    await db.get('SELECT 9 AS x');
    expect(reports.at(-1)).toMatchObject({ query: 'SELECT ? AS x', suppressed: 4 });
  });

  it('attaches the EXPLAIN QUERY PLAN tree, asked with the same parameters through the same chain', async () => {
    const { reports, onSlow } = collector();
    const seen: string[] = [];
    const spy: Middleware = {
      name: 'spy',
      wrap: (next) => (op) => {
        seen.push(op.sql);
        return next(op);
      },
    };
    const db = await openTemp({ middleware: [slowQuery({ thresholdMs: 0, explain: true, onSlow }), spy] });
    await db.exec('CREATE TABLE t (a INTEGER, b TEXT); CREATE INDEX t_a ON t (a)');
    reports.length = 0;
    await db.all('SELECT b FROM t WHERE a = :a ORDER BY b', { a: 1 });
    await vi.waitFor(() => expect(reports).toHaveLength(1));
    const [report] = reports;
    expect(report?.plan?.map((n) => n.detail)).toEqual([expect.stringMatching(/^SEARCH t USING INDEX t_a \(a=\?\)$/), 'USE TEMP B-TREE FOR ORDER BY']);
    expect(formatQueryPlan(report?.plan ?? [])).toBe(`QUERY PLAN\n|--${report?.plan?.[0]?.detail}\n\`--USE TEMP B-TREE FOR ORDER BY`);
    expect(seen).toContain('EXPLAIN QUERY PLAN SELECT b FROM t WHERE a = :a ORDER BY b');
  });

  it('reads the plan inside the transaction, before the statement returns', async () => {
    const { reports, onSlow } = collector();
    const db = await openTemp({ middleware: [slowQuery({ thresholdMs: 0, explain: true, rateLimit: false, kinds: ['get'], onSlow })] });
    await db.exec('CREATE TABLE t (a INTEGER PRIMARY KEY)');
    await db.transaction(async (tx) => {
      await tx.get('SELECT a FROM t WHERE a = ?', [1]);
      expect(reports).toHaveLength(1);
      expect(reports[0]?.planError).toBeUndefined();
      expect(reports[0]?.plan?.[0]?.detail).toMatch(/^SEARCH t USING INTEGER PRIMARY KEY/);
      expect(reports[0]?.transactionId).toBe(tx.info.id);
    });
  });

  it('reports a plan error instead of failing when the plan cannot be read', async () => {
    const { reports, onSlow } = collector();
    const db = await openTemp({ middleware: [slowQuery({ thresholdMs: 0, explain: true, onSlow })] });
    await expect(db.all('SELECT * FROM nowhere')).rejects.toMatchObject({ code: 'SQLITE_ERROR' });
    await vi.waitFor(() => expect(reports).toHaveLength(1));
    expect(reports[0]?.plan).toBeUndefined();
    expect(reports[0]?.planError?.code).toBe('SQLITE_ERROR');
  });

  it('carries the trace and span ids of the active span', async () => {
    useTracing();
    const { reports, onSlow } = collector();
    const db = await openTemp({ middleware: [slowQuery({ thresholdMs: 0, onSlow })] });
    await db.get('SELECT 1 AS untraced');
    const ids = await trace.getTracer('test').startActiveSpan('request', async (span) => {
      await db.get('SELECT 1 AS traced');
      span.end();
      return span.spanContext();
    });
    expect(reports[0]?.traceId).toBeUndefined();
    expect(reports[1]).toMatchObject({ traceId: ids.traceId, spanId: ids.spanId });

    const injected = collector();
    const custom = db.with(slowQuery({ thresholdMs: 0, traceContext: () => ({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) }), onSlow: injected.onSlow }));
    await custom.get('SELECT 1 AS x');
    expect(injected.reports[0]?.traceId).toBe('a'.repeat(32));
  });

  it('carries the statement span that @rapsqlite/otel put in the operation, before the active span', async () => {
    useTracing();
    const tracer = trace.getTracer('test');
    const statementSpans: Array<{ traceId: string; spanId: string }> = [];
    // What the otel middleware does for a statement: a span of its own in op.attributes, not made active.
    const spanOfItsOwn: Middleware = {
      name: 'span-of-its-own',
      wrap: (next) => (op) => {
        const span = tracer.startSpan(op.sql);
        statementSpans.push(span.spanContext());
        op.attributes[ATTRIBUTES.otelSpan] = span;
        return next(op).finally(() => span.end());
      },
    };
    const { reports, onSlow } = collector();
    const db = await openTemp({ middleware: [spanOfItsOwn, slowQuery({ thresholdMs: 0, onSlow })] });
    const request = await tracer.startActiveSpan('request', async (span) => {
      await db.get('SELECT 1 AS traced');
      span.end();
      return span.spanContext();
    });
    expect(reports[0]).toMatchObject({ traceId: statementSpans[0]?.traceId, spanId: statementSpans[0]?.spanId });
    expect(reports[0]?.spanId).not.toBe(request.spanId);
  });

  it('never fails a query when onSlow throws', async () => {
    const errors: unknown[] = [];
    const db = await openTemp({
      middleware: [
        slowQuery({
          thresholdMs: 0,
          onSlow: () => {
            throw new Error('logger exploded');
          },
          onError: (e) => errors.push(e),
        }),
      ],
    });
    expect(await db.get('SELECT 1 AS x')).toEqual({ x: 1 });
    await db.transaction(async (tx) => {
      await tx.run('CREATE TABLE t (x)');
    });
    expect(errors.length).toBeGreaterThan(1);
    expect((errors[0] as Error).message).toBe('logger exploded');
  });
});
