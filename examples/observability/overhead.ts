/**
 * What the observability middleware adds to an awaited point `get`.
 *
 * 1. Latency: the median latency of awaited point gets with each configuration, against no middleware. The
 *    configurations run in short interleaved batches on one connection, and each batch is compared with the
 *    baseline batch that ran just before it, so load from other processes cancels out; the figure is the median
 *    of those ratios.
 * 2. Main-thread CPU per call of the middleware alone, over a terminal that answers at once (no worker): the
 *    fastest of several rounds, the least disturbed by other processes (not for the cache, which needs a database).
 *
 * Besides otel and the metrics plugins: the SQL logger (level off, at info, at debug), the diagnostics_channel
 * publisher (with and without a subscriber) and the query cache (hits, misses). Two calibration rows spend 5 µs of
 * CPU per call before the call resolves and just after it (on the next tick, where the otel plugin records spans by
 * default): their difference shows whether the machine had a core free to hide such work behind the worker's during
 * the run, which decides what deferred recording can gain. Read the otel rows with them.
 *
 *   npm run build && node examples/observability/overhead.ts [rounds=40] [batch=400]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { DiscardExporter, IdleReader } from './sinks.ts';
import {
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import diagnostics from 'node:diagnostics_channel';
import { Writable } from 'node:stream';
import { createQueryCache } from '@rapsqlite/cache';
import { open, type Database, type Middleware, type Operation } from '@rapsqlite/engine';
import { logger } from '@rapsqlite/logger';
import { pino } from 'pino';
import { compose } from '@rapsqlite/engine/plugin';
import { prometheus, queryStats, slowQuery, statsd } from '@rapsqlite/metrics';
import { otel } from '@rapsqlite/otel';

const rounds = Number(process.argv[2] ?? 40);
const batch = Number(process.argv[3] ?? 400);

type Sdk = 'none' | 'sampled 10 %' | 'every span';

const providers = {
  'sampled 10 %': new TracerProvider({
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.1) }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new DiscardExporter() })],
  }),
  'every span': new TracerProvider({
    sampler: new AlwaysOnSampler(),
    spanProcessors: [new BatchSpanProcessor({ exporter: new DiscardExporter() })],
  }),
} as const;
const meterProvider = new MeterProvider({ readers: [new IdleReader()] });
const contextManager = new AsyncLocalStorageContextManager().enable();

/** Installs the global SDK (context manager, tracer and meter providers) a configuration runs with. */
function useSdk(sdk: Sdk): void {
  trace.disable();
  metrics.disable();
  context.disable();
  if (sdk === 'none') return;
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(providers[sdk]);
  metrics.setGlobalMeterProvider(meterProvider);
}

interface Config {
  readonly name: string;
  readonly sdk: Sdk;
  readonly middleware: () => Middleware[];
  /** Run the calls under an unsampled parent span, as inside a request whose trace is not kept. */
  readonly unsampledParent?: boolean;
  /** Set up around each batch (subscribe to a channel); returns the tear-down. */
  readonly around?: () => () => void;
  /** Measured on the CPU loop too (not for what needs a real database). */
  readonly cpu?: boolean;
}

/** pino writing to nowhere: the cost is the formatting of each line, not I/O. */
const nowhere = new Writable({ write: (_chunk, _encoding, done) => done() });
const pinoAt = (level: string) => pino({ level }, nowhere);

/** An APM-style subscriber: a timestamp at start, a few fields read at the end. */
let published = 0;
const apm = {
  start: (message: { started?: number }) => void (message.started = performance.now()),
  end: () => undefined,
  asyncStart: () => undefined,
  asyncEnd: (message: { started?: number; summary?: string }) => void (published += message.summary === undefined ? 0 : 1),
  error: () => undefined,
};
const subscribeApm = () => {
  const channel = diagnostics.tracingChannel('rapsqlite:query');
  channel.subscribe(apm as never);
  return () => channel.unsubscribe(apm as never);
};

/**
 * The OpenTelemetry SDK's own floor: a span started and ended and one histogram measurement per call, with constant
 * attributes and nothing else — what any instrumentation recording every span pays, whatever it does.
 */
const sdkFloor = (spans: boolean, measure: boolean, spanAttributes = false): Middleware => {
  const attributes = Object.freeze({ 'db.system.name': 'sqlite', 'db.namespace': 'bench.db', 'db.query.summary': 'SELECT users' });
  // The attributes the conventions ask of a database span (what the otel plugin sets on a point get).
  const conventions = Object.freeze({
    ...attributes,
    'rapsqlite.operation.kind': 'get',
    'db.query.text': 'SELECT id, name, email FROM users WHERE id = ?',
    'rapsqlite.connection.role': 'writer',
  });
  // The global providers change between configurations: the instruments are taken when a batch first needs them.
  let histogram: ReturnType<ReturnType<typeof metrics.getMeter>['createHistogram']> | undefined;
  let tracer: ReturnType<typeof trace.getTracer> | undefined;
  return {
    name: 'sdk-floor',
    wrap: (next) => (op) => {
      tracer ??= trace.getTracer('floor');
      const span = spans ? tracer.startSpan('SELECT users') : undefined;
      const start = performance.now();
      return next(op).then((result) => {
        if (spanAttributes) span?.setAttributes(conventions);
        span?.end();
        if (measure) (histogram ??= meterProvider.getMeter('floor').createHistogram('floor.duration')).record((performance.now() - start) / 1000, attributes);
        return result;
      });
    },
  };
};

/** Spins for `micros` microseconds: CPU work of a known size. */
const spin = (micros: number): void => {
  const until = performance.now() + micros / 1000;
  while (performance.now() < until);
};

/**
 * 5 µs of main-thread CPU per call, done before the call resolves or just after (on the next tick, once the caller
 * has sent its next query, as the otel plugin defers its SDK work). Their difference shows how much of such work the
 * machine hid behind the worker's during the run: all of it when a core is free, none when every core is busy.
 */
const cpuWork = (after: boolean): Middleware => ({
  name: 'cpu-work',
  wrap: (next) => (op) =>
    next(op).then((result) => {
      if (after) process.nextTick(spin, 5);
      else spin(5);
      return result;
    }),
});

const hitCache = createQueryCache({ maxEntries: 5000 });
const blindHitCache = createQueryCache({ maxEntries: 5000, crossProcess: false });
// One entry at most: every call (a new id each time) misses, fills and evicts.
const missCache = createQueryCache({ maxEntries: 1 });

/** The context of a request whose trace the sampler did not keep. */
const unsampled = () =>
  trace.setSpan(context.active(), trace.wrapSpanContext({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 0 }));

const noopStatsd = { timing() {}, increment() {}, gauge() {} };
const all = (): Middleware[] => [
  otel(),
  prometheus(),
  statsd({ client: noopStatsd }),
  slowQuery({ thresholdMs: 100, onSlow: () => undefined }),
  queryStats(),
];

const configs: Config[] = [
  { name: 'no middleware', sdk: 'none', middleware: () => [] },
  // Calibration: a middleware that does nothing shows the noise of the measurement (it should read about 0 %).
  { name: 'a pass-through middleware (calibration)', sdk: 'none', middleware: () => [{ name: 'pass', wrap: (next) => (op) => next(op) }] },
  { name: 'calibration: 5 µs of CPU before resolving', sdk: 'none', middleware: () => [cpuWork(false)], cpu: false },
  { name: 'calibration: 5 µs of CPU after resolving (next tick)', sdk: 'none', middleware: () => [cpuWork(true)], cpu: false },
  { name: 'otel + prometheus, no OpenTelemetry SDK', sdk: 'none', middleware: () => [otel(), prometheus()] },
  { name: 'otel + prometheus, SDK: metrics, 10 % of traces', sdk: 'sampled 10 %', middleware: () => [otel(), prometheus()] },
  { name: 'otel + prometheus, SDK: metrics, every span', sdk: 'every span', middleware: () => [otel(), prometheus()] },
  {
    name: 'otel + prometheus, SDK on, in an unsampled request',
    sdk: 'sampled 10 %',
    middleware: () => [otel(), prometheus()],
    unsampledParent: true,
  },
  { name: 'all five plugins, SDK: metrics, 10 % of traces', sdk: 'sampled 10 %', middleware: all },
  { name: 'otel alone, SDK: metrics, every span', sdk: 'every span', middleware: () => [otel()] },
  { name: "otel alone, every span, recording: 'sync'", sdk: 'every span', middleware: () => [otel({ recording: 'sync' })] },
  { name: 'otel alone, every span, metrics: false', sdk: 'every span', middleware: () => [otel({ metrics: false })] },
  { name: 'otel alone, SDK: metrics only (spans unsampled)', sdk: 'every span', middleware: () => [otel()], unsampledParent: true },
  { name: 'SDK floor: a span and a measurement per call', sdk: 'every span', middleware: () => [sdkFloor(true, true)] },
  { name: 'SDK floor: a span with the conventions\' attributes and a measurement per call', sdk: 'every span', middleware: () => [sdkFloor(true, true, true)] },
  { name: 'SDK floor: a span per call', sdk: 'every span', middleware: () => [sdkFloor(true, false)] },
  { name: 'SDK floor: a measurement per call', sdk: 'every span', middleware: () => [sdkFloor(false, true)] },
  { name: 'logger, level off (pino silent)', sdk: 'none', middleware: () => [logger({ logger: pinoAt('silent') })] },
  { name: 'logger at info (slow and errors only)', sdk: 'none', middleware: () => [logger({ logger: pinoAt('info') })] },
  { name: 'logger at debug (a line per statement)', sdk: 'none', middleware: () => [logger({ logger: pinoAt('debug') })] },
  // Every handle publishes on diagnostics_channel: the baseline is the no-subscriber case.
  { name: 'diagnostics_channel, an APM-style subscriber', sdk: 'none', middleware: () => [], around: subscribeApm },
  { name: 'cache hit (data_version checked)', sdk: 'none', middleware: () => [hitCache.tracker, hitCache.cached()], cpu: false },
  { name: 'cache hit, crossProcess: false', sdk: 'none', middleware: () => [blindHitCache.tracker, blindHitCache.cached()], cpu: false },
  { name: 'cache miss (data_version, query, store)', sdk: 'none', middleware: () => [missCache.tracker, missCache.cached()], cpu: false },
];

// OVERHEAD_ONLY=text keeps the configurations whose name contains it (and the baseline), for a focused run.
const only = process.env['OVERHEAD_ONLY']?.split(',');
if (only !== undefined) configs.splice(1, configs.length, ...configs.slice(1).filter((c) => only.some((part) => c.name.includes(part))));

function median(values: ArrayLike<number>): number {
  const sorted = Array.from(values).sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const SQL = 'SELECT id, name, email FROM users WHERE id = ?';

async function latencyBatch(db: Database, offset: number): Promise<number> {
  const latencies = new Float64Array(batch);
  for (let i = 0; i < batch; i++) {
    const start = performance.now();
    await db.get(SQL, [((offset + i) % 1000) + 1]);
    latencies[i] = performance.now() - start;
  }
  return median(latencies) * 1000;
}

async function cpuPerCall(middleware: Middleware[], calls: number): Promise<number> {
  const connection = Object.freeze({ role: 'writer' as const, id: 1, path: '/srv/app.db' });
  const row = { id: 1, name: 'user', email: 'user@example.com' };
  const execute = compose(middleware, async () => row);
  const start = performance.now();
  for (let i = 0; i < calls; i++) {
    const op: Operation = { kind: 'get', sql: SQL, params: [i], options: {}, transaction: undefined, connection, attributes: {} };
    await execute(op);
  }
  // Work a plugin defers to the next tick belongs to the calls it follows.
  await new Promise((resolve) => setImmediate(resolve));
  return ((performance.now() - start) / calls) * 1000;
}

const dir = mkdtempSync(join(tmpdir(), 'rapsqlite-overhead-'));
try {
  const base = await open(join(dir, 'bench.db'), { synchronous: 'normal' });
  await base.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL)');
  await base.runMany(
    'INSERT INTO users (name, email) VALUES (?, ?)',
    Array.from({ length: 1000 }, (_, i) => [`user ${i}`, `user${i}@example.com`]),
  );
  // One handle per configuration on the same connection: the difference between them is the middleware alone.
  const handles = configs.map((config) => base.with(...config.middleware()));
  const medians = configs.map(() => [] as number[]);
  const ratios = configs.map(() => [] as number[]);
  for (let r = -2; r < rounds; r++) {
    let baseline = 0;
    for (let c = 0; c < configs.length; c++) {
      useSdk(configs[c]!.sdk);
      const config = configs[c]!;
      const teardown = config.around?.();
      const micros = config.unsampledParent
        ? await context.with(unsampled(), () => latencyBatch(handles[c]!, r * batch))
        : await latencyBatch(handles[c]!, r * batch);
      teardown?.();
      // Rounds -2 and -1 warm up the JIT, the statement cache and the plugins' caches; they are not counted.
      if (r < 0) continue;
      if (c === 0) baseline = micros;
      medians[c]!.push(micros);
      ratios[c]!.push(micros / baseline);
    }
  }

  const cpu = configs.map(() => Infinity);
  for (let r = 0; r < 8; r++) {
    for (let c = 0; c < configs.length; c++) {
      useSdk(configs[c]!.sdk);
      const config = configs[c]!;
      if (config.cpu === false) continue;
      const teardown = config.around?.();
      const micros = config.unsampledParent
        ? await context.with(unsampled(), () => cpuPerCall(config.middleware(), 20_000))
        : await cpuPerCall(config.middleware(), 20_000);
      teardown?.();
      if (r > 0) cpu[c] = Math.min(cpu[c]!, micros);
    }
  }
  useSdk('none');

  const [load1] = loadavg();
  console.log(`Node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), load ${load1?.toFixed(1)}`);
  console.log(`latency: ${rounds} rounds × ${batch} awaited point gets per configuration; CPU: fastest of 7 rounds × 20 000 calls\n`);
  console.log(`${'configuration'.padEnd(58)} ${'median get'.padStart(10)} ${'added'.padStart(8)} ${'CPU/call'.padStart(9)}`);
  for (let c = 0; c < configs.length; c++) {
    const added = (median(ratios[c]!) - 1) * 100;
    const extraCpu = cpu[c]! - cpu[0]!;
    const cpuText = cpu[c] === Infinity ? '—' : `${c === 0 ? '' : '+'}${(c === 0 ? cpu[c]! : extraCpu).toFixed(2)} µs`;
    console.log(
      `${configs[c]!.name.padEnd(58)} ${`${median(medians[c]!).toFixed(1)} µs`.padStart(10)} ${`${added >= 0 ? '+' : ''}${added.toFixed(1)} %`.padStart(8)} ${cpuText.padStart(9)}`,
    );
  }
  const stats = hitCache.stats();
  console.log(`\ncache (hit configuration): ${stats.hits} hits, ${stats.misses} misses; miss configuration: ${missCache.stats().hits} hits; channel messages seen: ${published}`);
  await base.close();
} finally {
  await providers['sampled 10 %'].shutdown();
  await providers['every span'].shutdown();
  await meterProvider.shutdown();
  rmSync(dir, { recursive: true, force: true });
}
