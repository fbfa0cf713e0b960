import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { context, SpanKind, SpanStatusCode, trace, type Span, type Tracer, type TracerProvider } from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider as SdkTracerProvider,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';
import { createPool } from '@rapsqlite/pool';
import type { Database, Middleware, Operation } from '@rapsqlite/engine';
import { ATTRIBUTES, compose } from '@rapsqlite/engine/plugin';
import { describe, expect, it } from 'vitest';
import { deferredCount } from '../src/internal/deferred.ts';
import { DEFERRED_SPAN_PROCESSOR, MAX_DEFERRED, otel, type OtelOptions, type PluginErrorContext } from '../src/index.ts';
import { histogram, memoryMetrics, metric, onCleanup, openTemp } from './helpers.ts';

/** A provider whose only processor exports at once into memory: what is there has been recorded, nothing else. */
function plainTracing(): { provider: SdkTracerProvider; exporter: InMemorySpanExporter } {
  const exporter = new InMemorySpanExporter();
  const provider = new SdkTracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  onCleanup(() => provider.shutdown());
  return { provider, exporter };
}

/** An exporter that keeps what it was given, even after shutdown (the in-memory one forgets it then). */
class KeepingExporter implements SpanExporter {
  readonly spans: ReadableSpan[] = [];
  export(spans: ReadableSpan[], done: (result: { code: 0 }) => void): void {
    this.spans.push(...spans);
    done({ code: 0 });
  }
  async shutdown(): Promise<void> {}
}

const hr = (time: readonly [number, number]): number => time[0] * 1000 + time[1] / 1e6;
const durationMs = (span: ReadableSpan): number => hr(span.duration);

/** What must be the same whether a span was recorded at once or deferred: everything but ids and times. */
function shape(spans: readonly ReadableSpan[]) {
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  return spans.map((s) => ({
    name: s.name,
    kind: s.kind,
    status: s.status,
    parent: s.parentSpanContext === undefined ? undefined : (byId.get(s.parentSpanContext.spanId)?.name ?? 'outside'),
    sameTrace: s.parentSpanContext === undefined || s.parentSpanContext.traceId === s.spanContext().traceId,
    attributes: Object.fromEntries(Object.entries(s.attributes).sort(([a], [b]) => a.localeCompare(b))),
    events: s.events.map((e) => e.name),
    ended: s.ended,
  }));
}

/** Relations, a batch, a constraint error, a transaction with a savepoint rolled back, streaming, under a request span. */
async function workload(db: Database, tracer: Tracer): Promise<void> {
  await db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE)');
  await db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id), total INTEGER)');
  await db.runMany('INSERT INTO users (email) VALUES (?)', [['a@example.com'], ['b@example.com']]);
  await tracer.startActiveSpan('GET /orders', async (request) => {
    await db.run('INSERT INTO orders (user_id, total) VALUES (?, ?)', [1, 9007199254740993n]);
    await db.get('SELECT u.email, o.total FROM orders o JOIN users u ON u.id = o.user_id WHERE o.id = ?', [1], { integers: 'bigint' });
    await db.run('INSERT INTO users (email) VALUES (?)', ['a@example.com']).catch(() => undefined);
    await db
      .transaction(async (tx) => {
        await tx.run('UPDATE users SET email = ? WHERE id = ?', ['c@example.com', 1]);
        await tx
          .transaction(async (inner) => {
            await inner.run('DELETE FROM orders');
            throw new Error('undo the delete');
          })
          .catch(() => undefined);
        await tx.all('SELECT * FROM orders', [], { integers: 'auto' });
      })
      .catch(() => undefined);
    await db.get('SELECT total FROM orders').catch(() => undefined);
    for await (const row of db.iterate('SELECT id FROM users ORDER BY id')) void row;
    request.end();
  });
  await db.get('SELECT * FROM missing').catch(() => undefined);
}

describe('deferred recording (the default)', () => {
  it('makes the same spans as recording: sync — names, kinds, parents, attributes, statuses, events', async () => {
    const options: OtelOptions = { captureParameters: true, captureReturnedRows: true };
    const sync = plainTracing();
    const deferred = plainTracing();
    const syncMw = otel({ ...options, tracerProvider: sync.provider, recording: 'sync' });
    const deferredMw = otel({ ...options, tracerProvider: deferred.provider });
    expect(otel().flush).toBe(deferredMw.flush);
    await workload(await openTemp({ middleware: [syncMw] }), sync.provider.getTracer('app'));
    await workload(await openTemp({ middleware: [deferredMw] }), deferred.provider.getTracer('app'));
    await deferredMw.flush();

    const fromSync = shape(sync.exporter.getFinishedSpans());
    const fromDeferred = shape(deferred.exporter.getFinishedSpans());
    expect(fromSync.length).toBeGreaterThan(15);
    // The same spans; the plugin's own in the same order (they reach the processors in the order their calls
    // ended), while the application's request span, ended at once, comes before the deferred ones it contains.
    const sorted = (spans: typeof fromSync) => [...spans].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(sorted(fromDeferred)).toEqual(sorted(fromSync));
    const own = (spans: typeof fromSync) => spans.filter((s) => s.name !== 'GET /orders');
    expect(own(fromDeferred)).toEqual(own(fromSync));
    // The workload covers what the comparison is about.
    const names = fromSync.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['BATCH INSERT users', 'SELECT orders users', 'transaction', 'SAVEPOINT rapsqlite_1', 'ROLLBACK TO rapsqlite_1', 'SELECT users']));
    const failed = fromDeferred.filter((s) => s.status.code === SpanStatusCode.ERROR);
    expect(failed.map((s) => s.attributes['error.type'])).toEqual(
      expect.arrayContaining(['SQLITE_CONSTRAINT_UNIQUE', 'ERR_RAPSQLITE_INTEGER_OVERFLOW', 'SQLITE_ERROR', '_OTHER']),
    );
    const unique = failed.find((s) => s.attributes['error.type'] === 'SQLITE_CONSTRAINT_UNIQUE');
    expect(unique?.attributes['db.response.status_code']).toBe('SQLITE_CONSTRAINT_UNIQUE');
    expect(unique?.parent).toBe('GET /orders');
    expect(fromDeferred.find((s) => s.name === 'INSERT orders')?.attributes['db.query.parameter.1']).toBe('9007199254740993');
  });

  it('gives a span the times of its call, not of the flush, and the duration the histogram records', async () => {
    const { provider, exporter } = plainTracing();
    const meters = memoryMetrics();
    const tracing = otel({ tracerProvider: provider, meterProvider: meters.provider });
    const db = await openTemp({ middleware: [tracing] });
    const before = performance.timeOrigin + performance.now();
    await db.get('SELECT 1 AS x');
    const after = performance.timeOrigin + performance.now();
    expect(exporter.getFinishedSpans()).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 60));
    const flushedAt = performance.timeOrigin + performance.now();
    await tracing.flush();

    const [span] = exporter.getFinishedSpans();
    expect(span?.ended).toBe(true);
    // The SDK anchors span times to Date.now() (millisecond resolution): allow one millisecond either way.
    expect(hr(span!.startTime)).toBeGreaterThanOrEqual(before - 1);
    expect(hr(span!.endTime)).toBeLessThanOrEqual(after + 1);
    expect(hr(span!.endTime)).toBeLessThan(flushedAt - 40);
    expect(durationMs(span!)).toBeLessThanOrEqual(after - before);
    const [point] = histogram(metric(await meters.collect(), 'db.client.operation.duration'));
    expect(point?.value.count).toBe(1);
    // One pair of clock reads gives both: the span's duration and the measurement.
    expect(Math.abs((point?.value.sum ?? 0) * 1000 - durationMs(span!))).toBeLessThan(0.001);
  });

  it('parents deferred statement spans on the transaction, a real span from BEGIN on and active in the callback', async () => {
    const { provider, exporter } = plainTracing();
    const tracing = otel({ tracerProvider: provider });
    const db = await openTemp({ middleware: [tracing] });
    await db.exec('CREATE TABLE n (x)');
    let active: Span | undefined;
    let liveInside = false;
    await db.transaction(async (tx) => {
      active = trace.getActiveSpan();
      // The transaction span exists, recording and not ended, while its callback runs.
      liveInside = active?.isRecording() === true && !exporter.getFinishedSpans().some((s) => s.spanContext().spanId === active?.spanContext().spanId);
      await tx.run('INSERT INTO n VALUES (?)', [1]);
      await tx.transaction(async (inner) => {
        await inner.get('SELECT count(*) AS c FROM n');
      });
    });
    await tracing.flush();
    const spans = exporter.getFinishedSpans();
    const outer = spans.find((s) => s.name === 'transaction' && s.attributes['rapsqlite.transaction.depth'] === 0);
    const inner = spans.find((s) => s.name === 'transaction' && s.attributes['rapsqlite.transaction.depth'] === 1);
    expect(liveInside).toBe(true);
    expect(active?.spanContext().spanId).toBe(outer?.spanContext().spanId);
    expect(outer?.kind).toBe(SpanKind.INTERNAL);
    const childrenOf = (parent: ReadableSpan | undefined) =>
      spans.filter((s) => s.parentSpanContext?.spanId === parent?.spanContext().spanId).map((s) => s.name);
    expect(childrenOf(outer)).toEqual(['BEGIN IMMEDIATE', 'INSERT n', 'transaction', 'COMMIT']);
    expect(childrenOf(inner)).toEqual(['SAVEPOINT rapsqlite_1', 'SELECT n', 'RELEASE rapsqlite_1']);
    // The transaction ends after its COMMIT, and is exported after it too.
    expect(spans.map((s) => s.name).slice(-2)).toEqual(['COMMIT', 'transaction']);
    const statements = spans.filter((s) => s.kind === SpanKind.CLIENT && s.spanContext().traceId === outer?.spanContext().traceId);
    expect(statements).toHaveLength(6);
    for (const span of statements) {
      expect(hr(span.startTime)).toBeGreaterThanOrEqual(hr(outer!.startTime) - 1);
      expect(hr(span.endTime)).toBeLessThanOrEqual(hr(outer!.endTime) + 1);
    }
  });

  it('makes the span at once, with the call start time, when another middleware uses it during the call', async () => {
    const { provider, exporter } = plainTracing();
    let seenId: string | undefined;
    let activeInside: string | undefined;
    const annotate: Middleware = {
      name: 'annotate',
      wrap: (next) => async (op) => {
        activeInside = trace.getActiveSpan()?.spanContext().spanId;
        const span = op.attributes[ATTRIBUTES.otelSpan] as Span;
        seenId = span.spanContext().spanId;
        span.addEvent('retry.attempt', { attempt: 1 });
        const result = await next(op);
        span.setAttribute('app.note', 'inner');
        return result;
      },
    };
    const tracing = otel({ tracerProvider: provider });
    const db = await openTemp({ middleware: [tracing, annotate] });
    await provider.getTracer('app').startActiveSpan('job', async (job) => {
      await db.get('SELECT 1 AS x');
      job.end();
    });
    // Made during the call, it is still ended after it, with the others.
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['job']);
    await tracing.flush();
    const job = exporter.getFinishedSpans().find((s) => s.name === 'job');
    const span = exporter.getFinishedSpans().find((s) => s.name === 'SELECT');
    expect(span?.spanContext().spanId).toBe(seenId);
    expect(span?.events.map((e) => [e.name, e.attributes])).toEqual([['retry.attempt', { attempt: 1 }]]);
    expect(span?.attributes).toMatchObject({ 'app.note': 'inner', 'db.query.text': 'SELECT ? AS x', 'rapsqlite.operation.kind': 'get' });
    expect(hr(span!.events[0]!.time)).toBeGreaterThanOrEqual(hr(span!.startTime));
    expect(span?.parentSpanContext?.spanId).toBe(job?.spanContext().spanId);
    // The statement span is not the active span while it runs: the caller's is.
    expect(activeInside).toBe(job?.spanContext().spanId);
  });

  it('records the span at once when it is used after its call settled, and once only', async () => {
    const { provider, exporter } = plainTracing();
    let kept: Span | undefined;
    const keep: Middleware = {
      name: 'keep',
      wrap: (next) => (op) => {
        kept = op.attributes[ATTRIBUTES.otelSpan] as Span;
        return next(op);
      },
    };
    const tracing = otel({ tracerProvider: provider });
    const db = await openTemp({ middleware: [tracing, keep] });
    await db.get('SELECT 1 AS x');
    expect(kept?.isRecording()).toBe(false);
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['SELECT']);
    await tracing.flush();
    expect(exporter.getFinishedSpans()).toHaveLength(1);
    expect(exporter.getFinishedSpans()[0]?.spanContext().spanId).toBe(kept?.spanContext().spanId);
  });

  it('is visible after flush(), or once the current tick has run', async () => {
    const { provider, exporter } = plainTracing();
    const tracing = otel({ tracerProvider: provider });
    const db = await openTemp({ middleware: [tracing] });
    await db.get('SELECT 1 AS first');
    expect(exporter.getFinishedSpans()).toEqual([]);
    await tracing.flush();
    expect(exporter.getFinishedSpans().map((s) => s.attributes['db.query.text'])).toEqual(['SELECT ? AS first']);
    await db.get('SELECT 2 AS second');
    await new Promise((resolve) => setImmediate(resolve));
    expect(exporter.getFinishedSpans()).toHaveLength(2);
    await tracing.flush();
    expect(exporter.getFinishedSpans()).toHaveLength(2);
  });

  it('reports an SDK failure while recording with its phase, and the query still answers', async () => {
    const errors: PluginErrorContext[] = [];
    const real = plainTracing().provider.getTracer('real');
    const tracer: Tracer = {
      startSpan: () => {
        throw new Error('startSpan exploded');
      },
      startActiveSpan: real.startActiveSpan.bind(real) as Tracer['startActiveSpan'],
    };
    const failing: TracerProvider = { getTracer: () => tracer };
    const tracing = otel({ tracerProvider: failing, onError: (_e, ctx) => errors.push(ctx) });
    const db = await openTemp({ middleware: [tracing] });
    expect(await db.get('SELECT 1 AS x')).toEqual({ x: 1 });
    expect(errors).toEqual([]);
    await tracing.flush();
    expect(errors).toEqual([{ plugin: 'otel', phase: 'start' }]);
  });

  it('records measurements but no span when the sampler drops the span', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new SdkTracerProvider({ sampler: new AlwaysOffSampler(), spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    onCleanup(() => provider.shutdown());
    const meters = memoryMetrics();
    const tracing = otel({ tracerProvider: provider, meterProvider: meters.provider });
    const db = await openTemp({ middleware: [tracing] });
    await db.get('SELECT 1 AS x');
    await db.get('SELECT 1 AS x');
    await tracing.flush();
    expect(exporter.getFinishedSpans()).toEqual([]);
    const [point] = histogram(metric(await meters.collect(), 'db.client.operation.duration'));
    expect(point?.value.count).toBe(2);
  });
});

describe('the bound on deferred calls', () => {
  it('records a call at once when maxDeferred calls already wait', async () => {
    const { provider, exporter } = plainTracing();
    const tracing = otel({ tracerProvider: provider, maxDeferred: 2, metrics: false });
    // A terminal that answers at once: the awaits below never let a tick run, as in a burst of replies.
    const execute = compose([tracing], async () => ({ x: 1 }));
    const visible: number[] = [];
    for (let i = 0; i < 5; i++) {
      const op: Operation = { kind: 'get', sql: `SELECT ${i} AS x`, params: undefined, options: {}, transaction: undefined, connection: undefined, attributes: {} };
      await execute(op);
      visible.push(exporter.getFinishedSpans().length);
    }
    expect(visible).toEqual([0, 0, 1, 2, 3]);
    await tracing.flush();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['SELECT', 'SELECT', 'SELECT', 'SELECT', 'SELECT']);
    expect(new Set(exporter.getFinishedSpans().map((s) => s.attributes['db.query.text']))).toEqual(new Set(['SELECT ? AS x']));
  });

  it('never lets a burst of concurrent calls past the bound, and loses none of them', async () => {
    const { provider, exporter } = plainTracing();
    const tracing = otel({ tracerProvider: provider, maxDeferred: 16 });
    const db = await openTemp({ middleware: [tracing] });
    await db.exec('CREATE TABLE n (x INTEGER)');
    await db.runMany('INSERT INTO n VALUES (?)', Array.from({ length: 100 }, (_, i) => [i]));
    await tracing.flush();
    exporter.reset();
    let most = 0;
    const calls = Array.from({ length: 300 }, (_, i) =>
      db.get<{ x: number }>('SELECT x FROM n WHERE x = ?', [i % 100]).then((row) => {
        most = Math.max(most, deferredCount());
        return row?.x;
      }),
    );
    expect(await Promise.all(calls)).toEqual(Array.from({ length: 300 }, (_, i) => i % 100));
    await tracing.flush();
    expect(most).toBeLessThanOrEqual(16);
    expect(most).toBeGreaterThan(0);
    const ids = new Set(exporter.getFinishedSpans().map((s) => s.spanContext().spanId));
    expect(ids.size).toBe(300);
    expect(MAX_DEFERRED).toBe(1024);
  });

  it('rejects a bad recording mode or bound with ERR_RAPSQLITE_INVALID_ARGUMENT', () => {
    expect(() => otel({ recording: 'later' as never })).toThrow(expect.objectContaining({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' }));
    expect(() => otel({ maxDeferred: -1 })).toThrow(expect.objectContaining({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' }));
    expect(() => otel({ maxDeferred: 1.5 })).toThrow(expect.objectContaining({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' }));
  });
});

describe('shutting down', () => {
  it('loses nothing when the SDK shuts down right after a call, with DEFERRED_SPAN_PROCESSOR listed first', async () => {
    const exporter = new KeepingExporter();
    const provider = new SdkTracerProvider({ spanProcessors: [DEFERRED_SPAN_PROCESSOR, new SimpleSpanProcessor({ exporter })] });
    const db = await openTemp({ middleware: [otel({ tracerProvider: provider })] });
    await db.get('SELECT 1 AS last_call');
    await provider.shutdown();
    expect(exporter.spans.map((s) => s.attributes['db.query.text'])).toEqual(['SELECT ? AS last_call']);
  });

  it('loses nothing when flush() is awaited before the SDK shuts down, and forceFlush works the same way', async () => {
    const exporter = new KeepingExporter();
    const provider = new SdkTracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const tracing = otel({ tracerProvider: provider });
    const pooled = await (async () => {
      const dir = mkdtempSync(join(tmpdir(), 'rapsqlite-otel-shutdown-'));
      onCleanup(() => rmSync(dir, { recursive: true, force: true }));
      const pool = await createPool(join(dir, 'db.sqlite'), { middleware: [tracing], minReaders: 1, maxReaders: 1 });
      onCleanup(() => pool.close());
      return pool;
    })();
    await pooled.exec('CREATE TABLE n (x)');
    await Promise.all([pooled.run('INSERT INTO n VALUES (1)'), pooled.get('SELECT x FROM n')]);
    await tracing.flush();
    await provider.shutdown();
    const roles = new Map(exporter.spans.map((s) => [s.name, s.attributes['rapsqlite.connection.role']]));
    expect(roles).toEqual(new Map([['CREATE TABLE n', 'writer'], ['INSERT n', 'writer'], ['SELECT n', 'reader']]));

    const forced = new KeepingExporter();
    const second = new SdkTracerProvider({ spanProcessors: [DEFERRED_SPAN_PROCESSOR, new SimpleSpanProcessor({ exporter: forced })] });
    onCleanup(() => second.shutdown());
    await pooled.with(otel({ tracerProvider: second })).get('SELECT 2 AS y');
    await second.forceFlush();
    expect(forced.spans.map((s) => s.name)).toEqual(['SELECT']);
  });

  const packageDir = fileURLToPath(new URL('..', import.meta.url));
  /** A process that makes one call and ends, the way a script or a worker does, printing what its exporter got. */
  const script = (ending: string) => `
    import { writeSync } from 'node:fs';
    import { open } from '@rapsqlite/engine';
    import { otel } from '@rapsqlite/otel';
    import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
    const exporter = { export(spans, done) { for (const s of spans) writeSync(1, s.name + ' ' + s.attributes['db.query.text'] + '\\n'); done({ code: 0 }); }, async shutdown() {} };
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const db = await open(process.env.DB_FILE, { middleware: [otel({ tracerProvider: provider })] });
    await db.get('SELECT 1 AS only_call');
    ${ending}
  `;

  it.each([
    ['ends on its own', 'await db.close();'],
    ['calls process.exit() right after the call', 'process.exit(0);'],
  ])('records the last span of a process that %s', (_name, ending) => {
    const dir = mkdtempSync(join(tmpdir(), 'rapsqlite-otel-exit-'));
    onCleanup(() => rmSync(dir, { recursive: true, force: true }));
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script(ending)], {
      cwd: packageDir,
      encoding: 'utf8',
      env: { ...process.env, DB_FILE: join(dir, 'db.sqlite') },
    });
    expect(out.trim().split('\n')).toEqual(['SELECT SELECT ? AS only_call']);
  });
});

describe('the active context', () => {
  it('leaves the caller context active for a deferred statement and runs no context switch for it', async () => {
    const { provider } = plainTracing();
    const key = Symbol('request');
    let seen: unknown;
    const probe: Middleware = {
      name: 'probe',
      wrap: (next) => (op) => {
        seen = context.active().getValue(key);
        return next(op);
      },
    };
    const tracing = otel({ tracerProvider: provider });
    const db = await openTemp({ middleware: [tracing, probe] });
    await context.with(context.active().setValue(key, 'request 7'), () => db.get('SELECT 1 AS x'));
    expect(seen).toBe('request 7');
    await tracing.flush();
  });
});
