/**
 * Where the main thread's time goes with the otel plugin and a recording SDK: point gets in a loop with one
 * configuration, profiled by V8's sampling profiler (through node:inspector), the samples summed by who owns the
 * innermost frame (the plugin, the SDK's tracing, its metrics, its attribute validation, the engine, Node) and by
 * path: on the caller's path (before its promise settles) or in the deferred flush (after it).
 *
 *   npm run build && node examples/observability/profile.ts [config=otel] [terminal=db] [calls=100000]
 *
 * Configurations: `bare` (no middleware), `otel` (every span recorded, metrics on: the default, deferred),
 * `otel-sync` (the same, `recording: 'sync'`), `floor` (a span and a measurement per call, nothing else).
 * Terminals: `db` (awaited gets on a real database; most of the main thread's time is then idle, waiting for the
 * worker) or `cpu` (a terminal that answers at once: only the middleware's CPU, as the overhead script's CPU column).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { DiscardExporter, IdleReader } from './sinks.ts';
import { AlwaysOnSampler, BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { open, type Middleware, type Operation } from '@rapsqlite/engine';
import { compose } from '@rapsqlite/engine/plugin';
import { otel } from '@rapsqlite/otel';

const config = process.argv[2] ?? 'otel';
const terminal = process.argv[3] ?? 'db';
const calls = Number(process.argv[4] ?? 100_000);

const tracerProvider = new TracerProvider({ sampler: new AlwaysOnSampler(), spanProcessors: [new BatchSpanProcessor({ exporter: new DiscardExporter() })] });
const meterProvider = new MeterProvider({ readers: [new IdleReader()] });
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(tracerProvider);
metrics.setGlobalMeterProvider(meterProvider);

/** What any instrumentation recording every span pays: one span, one measurement (see overhead.ts). */
const floor = (): Middleware => {
  const tracer = trace.getTracer('floor');
  const duration = meterProvider.getMeter('floor').createHistogram('floor.duration');
  const attributes = Object.freeze({ 'db.system.name': 'sqlite', 'db.namespace': 'bench.db', 'db.query.summary': 'SELECT users' });
  return {
    name: 'sdk-floor',
    wrap: (next) => (op) => {
      const span = tracer.startSpan('SELECT users');
      const start = performance.now();
      return next(op).then((result) => {
        span.end();
        duration.record((performance.now() - start) / 1000, attributes);
        return result;
      });
    },
  };
};
const configs: Record<string, () => Middleware[]> = {
  bare: () => [],
  otel: () => [otel()],
  'otel-sync': () => [otel({ recording: 'sync' })],
  floor: () => [floor()],
};
const middleware = configs[config];
if (middleware === undefined) throw new Error(`unknown configuration ${config}; one of ${Object.keys(configs).join(', ')}`);

const SQL = 'SELECT id, name, email FROM users WHERE id = ?';

/** The frame's owner, by the package its script belongs to. */
function owner(url: string, name: string): string {
  if (url === '') return name === '(garbage collector)' ? 'V8: garbage collector' : name === '(idle)' ? 'idle (waiting for the worker)' : `V8: ${name}`;
  if (url.includes('@opentelemetry/sdk-trace')) return 'SDK: tracing (ids, sampling, span objects, processor)';
  if (url.includes('@opentelemetry/sdk-metrics')) return 'SDK: metrics (attribute hashing, aggregation)';
  if (url.includes('@opentelemetry/core')) return 'SDK: attribute validation, time conversion';
  if (url.includes('@opentelemetry/api')) return 'OpenTelemetry API (context, span lookup)';
  if (url.includes('context-async-hooks') || url.includes('async_context') || url.includes('async_local_storage')) return 'context manager';
  if (url.includes('/otel/')) return 'otel plugin';
  if (url.includes('/engine/')) return 'engine';
  if (url.includes('examples/observability')) return 'the benchmark (its loop; the floor middleware)';
  return 'Node (tick queue, timers, messaging)';
}

interface Node {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string };
  readonly children?: readonly number[];
}

function summarize(profile: { nodes: readonly Node[]; samples: readonly number[]; timeDeltas: readonly number[] }): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const time = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    const micros = profile.timeDeltas[i] ?? 0;
    const leaf = byId.get(id) as Node;
    let deferred = false;
    // Native frames and Node's own modules (a clock read, the hex encoding of span ids) belong to the package that
    // called them; what no package called (the tick queue, timers) is Node's.
    let script: Node | undefined;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at) as Node;
      const url = node.callFrame.url;
      if (script === undefined && url !== '' && !url.startsWith('node:')) script = node;
      if (node.callFrame.functionName === 'flushDeferred') deferred = true;
    }
    const special = leaf.callFrame.url === '' && /^\((garbage collector|idle|program|root)\)$/.test(leaf.callFrame.functionName);
    const who = special ? owner('', leaf.callFrame.functionName) : script === undefined ? 'Node (tick queue, timers, messaging)' : owner(script.callFrame.url, script.callFrame.functionName);
    const key = special ? who : `${deferred ? 'after the call (deferred flush)' : 'on the caller’s path'} | ${who}`;
    time.set(key, (time.get(key) ?? 0) + micros);
    total += micros;
  }
  const rows = [...time].sort((a, b) => b[1] - a[1]);
  console.log(`\n${'where'.padEnd(88)} ${'µs/call'.padStart(8)} ${'share'.padStart(6)}`);
  for (const [key, micros] of rows) {
    console.log(`${key.padEnd(88)} ${(micros / calls).toFixed(2).padStart(8)} ${`${((100 * micros) / total).toFixed(1)}%`.padStart(6)}`);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'rapsqlite-profile-'));
const session = new Session();
session.connect();
try {
  const row = { id: 1, name: 'user', email: 'user@example.com' };
  const connection = Object.freeze({ role: 'writer' as const, id: 1, path: join(dir, 'bench.db') });
  const execute = compose(middleware(), async () => row);
  const db = terminal === 'db' ? await open(join(dir, 'bench.db'), { synchronous: 'normal', middleware: middleware() }) : undefined;
  if (db !== undefined) {
    await db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL)');
    await db.runMany('INSERT INTO users (name, email) VALUES (?, ?)', Array.from({ length: 1000 }, (_, i) => [`user ${i}`, `user${i}@example.com`]));
  }
  const get = async (i: number): Promise<unknown> => {
    if (db !== undefined) return db.get(SQL, [(i % 1000) + 1]);
    const op: Operation = { kind: 'get', sql: SQL, params: [i], options: {}, transaction: undefined, connection, attributes: {} };
    const result = await execute(op);
    // A turn of the event loop every 64 calls, so deferred work runs in batches as between worker round trips.
    if ((i & 63) === 63) await new Promise((resolve) => setImmediate(resolve));
    return result;
  };
  for (let i = 0; i < 20_000; i++) await get(i);
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 50 });
  await session.post('Profiler.start');
  const start = performance.now();
  for (let i = 0; i < calls; i++) await get(i);
  await new Promise((resolve) => setImmediate(resolve));
  const elapsed = performance.now() - start;
  const { profile } = await session.post('Profiler.stop');
  console.log(`${config}, ${terminal} terminal: ${((elapsed / calls) * 1000).toFixed(2)} µs per awaited get (mean, profiler on)`);
  summarize(profile as unknown as Parameters<typeof summarize>[0]);
  await db?.close();
} finally {
  session.disconnect();
  await tracerProvider.shutdown();
  await meterProvider.shutdown();
  rmSync(dir, { recursive: true, force: true });
}
