import { AsyncLocalStorage } from 'node:async_hooks';
import diagnostics from 'node:diagnostics_channel';
import { basename } from 'node:path';
import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { hasLiterals, sanitizeSql } from '@rapsqlite/engine/sql';
import { describe, expect, it } from 'vitest';
// The channels module is wired into every handle by the engine; until then it is added as the innermost middleware.
import { CHANNELS, type QueryMessage, type TransactionMessage } from '../../engine/src/diagnostics/channels.ts';
import { otel } from '../src/index.ts';
import { memoryTracing, onCleanup, openTemp } from './helpers.ts';

/**
 * An APM-style subscriber: it knows nothing of rapsqlite's middleware, only the channels' messages, and builds
 * OpenTelemetry spans from them, as an agent's instrumentation of undici or pg does.
 */
function apmSubscriber(provider: ReturnType<typeof memoryTracing>['provider']): void {
  const tracer = provider.getTracer('apm');
  const spans = new WeakMap<object, Span>();
  // The agent's own store of the active span, entered by the transaction channel's start for the whole callback.
  const active = new AsyncLocalStorage<Span>();
  const parent = () => {
    const span = active.getStore();
    return span === undefined ? context.active() : trace.setSpan(context.active(), span);
  };
  const text = (sql: string) => (hasLiterals(sql) ? sanitizeSql(sql) : sql);
  const end = (message: QueryMessage | TransactionMessage, attributes: Attributes) => {
    const span = spans.get(message);
    if (span === undefined) return;
    const connection = message.connection;
    if (connection !== undefined && connection.path !== ':memory:') attributes['db.namespace'] = basename(connection.path);
    if (connection !== undefined) attributes['rapsqlite.connection.role'] = connection.role;
    if (message.error !== undefined) {
      const code = (message.error as { code?: string }).code;
      if (code !== undefined) attributes['error.type'] = code;
      if (code?.startsWith('SQLITE_') === true) attributes['db.response.status_code'] = code;
      span.setStatus({ code: SpanStatusCode.ERROR, message: (message.error as Error).message });
    }
    span.setAttributes(attributes);
    span.end();
  };
  const queries = diagnostics.tracingChannel<unknown, QueryMessage>(CHANNELS.query);
  const transactions = diagnostics.tracingChannel<unknown, TransactionMessage>(CHANNELS.transaction);
  const unused = { end() {}, asyncStart() {}, error() {} };
  const queryHandlers = {
    ...unused,
    start(message: QueryMessage) {
      spans.set(message, tracer.startSpan(message.summary === '' ? 'sqlite' : message.summary, { kind: SpanKind.CLIENT }, parent()));
    },
    asyncEnd(message: QueryMessage) {
      const attributes: Attributes = { 'db.system.name': 'sqlite', 'rapsqlite.operation.kind': message.kind, 'db.query.text': text(message.sql) };
      if (message.summary !== '') attributes['db.query.summary'] = message.summary;
      if (message.batchSize !== undefined) attributes['db.operation.batch.size'] = message.batchSize;
      if (message.changes !== undefined) attributes['rapsqlite.response.changes'] = message.changes;
      end(message, attributes);
    },
  };
  const transactionHandlers = {
    ...unused,
    start() {},
    asyncEnd(message: TransactionMessage) {
      end(message, {
        'db.system.name': 'sqlite',
        'rapsqlite.operation.kind': 'transaction',
        'db.operation.name': 'transaction',
        'rapsqlite.transaction.depth': message.depth,
        'rapsqlite.transaction.mode': message.mode,
      });
    },
  };
  queries.subscribe(queryHandlers);
  transactions.subscribe(transactionHandlers);
  // The transaction's span is the active span of everything its callback does, as it is for the otel middleware:
  // the store's transform runs before the start event, so it makes the span.
  const start = transactions.start as unknown as diagnostics.Channel<Span, TransactionMessage>;
  start.bindStore(active, (message) => {
    const span = tracer.startSpan('transaction', { kind: SpanKind.INTERNAL }, parent());
    spans.set(message, span);
    return span;
  });
  onCleanup(() => {
    queries.unsubscribe(queryHandlers);
    transactions.unsubscribe(transactionHandlers);
    start.unbindStore(active);
  });
}

/** A span as both sides can be compared: its name, kind, status, attributes, and its parent's name. */
function shape(spans: readonly ReadableSpan[]) {
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  return spans
    .map((s) => ({
      name: s.name,
      kind: s.kind,
      status: s.status.code,
      parent: s.parentSpanContext === undefined ? undefined : byId.get(s.parentSpanContext.spanId)?.name,
      attributes: Object.fromEntries(Object.entries(s.attributes).sort(([a], [b]) => a.localeCompare(b))),
    }))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

async function workload(db: Awaited<ReturnType<typeof openTemp>>): Promise<void> {
  await db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE)');
  await db.runMany('INSERT INTO users (email) VALUES (?)', [['a@example.com'], ['b@example.com']]);
  await db.get("SELECT id FROM users WHERE email = 'a@example.com'");
  await db.transaction(async (tx) => {
    await tx.run('UPDATE users SET email = ? WHERE id = ?', ['c@example.com', 1]);
    await tx.all('SELECT * FROM users');
  });
  await db.run('INSERT INTO users (email) VALUES (?)', ['b@example.com']).catch(() => undefined);
}

describe('an APM-style diagnostics_channel subscriber', () => {
  it('gets everything the otel middleware puts on its spans', async () => {
    const viaMiddleware = memoryTracing();
    const viaChannels = memoryTracing();
    // Only the subscriber's provider is global, so the middleware run below cannot reach it.
    trace.setGlobalTracerProvider(viaChannels.provider);
    onCleanup(() => trace.disable());

    const traced = await openTemp({ middleware: [otel({ tracerProvider: viaMiddleware.provider, metrics: false, controlSpans: true })] });
    await workload(traced);

    apmSubscriber(viaChannels.provider);
    const published = await openTemp();
    await workload(published);

    const fromMiddleware = shape(await viaMiddleware.spans());
    const fromChannels = shape(await viaChannels.spans());
    expect(fromChannels.length).toBeGreaterThan(8);
    expect(fromChannels).toEqual(fromMiddleware);
  });
});
