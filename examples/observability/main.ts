/**
 * rapsqlite observability example: a small HTTP service over a rapsqlite pool with OpenTelemetry tracing to the
 * console, a Prometheus `/metrics` endpoint, StatsD to a local UDP port, slow-query reports with their plan and
 * per-statement statistics at `/stats`. One route runs a deliberately slow query, which shows up in every channel.
 *
 *   npm run build                                    # the example imports the built packages
 *   node examples/observability/main.ts              # runs a short demo against itself, then exits
 *   node examples/observability/main.ts --serve      # keeps serving on PORT (default 3000)
 *
 * Routes: GET /users/:id · GET /users?limit=n · POST /users?name=… · GET /report (slow) · GET /metrics · GET /stats
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ConsoleSpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { formatQueryPlan, prometheus, queryStats, slowQuery, statsd, type SlowQueryReport } from '@rapsqlite/metrics';
import { otel } from '@rapsqlite/otel';
import { createPool } from '@rapsqlite/pool';

const serve = process.argv.includes('--serve');
const port = Number(process.env['PORT'] ?? 3000);

// --- OpenTelemetry: spans go to the console. A real service would use the OTLP exporter and a BatchSpanProcessor.
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: new ConsoleSpanExporter() })] });
trace.setGlobalTracerProvider(tracerProvider);
const tracer = trace.getTracer('observability-example');

// --- A stand-in for a StatsD server (statsd, Telegraf, the Datadog agent): prints the lines it receives.
const statsdServer = createSocket('udp4');
const statsdLines: string[] = [];
statsdServer.on('message', (message) => {
  for (const line of message.toString('utf8').split('\n')) {
    if (line === '') continue;
    statsdLines.push(line);
    if (serve) console.log(`[statsd] ${line}`);
  }
});
await new Promise<void>((resolve) => statsdServer.bind(0, '127.0.0.1', resolve));
const statsdPort = (statsdServer.address() as AddressInfo).port;

// --- The plugins. otel first, so its spans cover the others and the slow-query reports carry the request's trace
// id; slowQuery last, so its EXPLAIN QUERY PLAN calls reach the database without being measured as the app's own.
const tracing = otel();
const slowReports: SlowQueryReport[] = [];
const promMetrics = prometheus();
const statsdMetrics = statsd({ clientOptions: { host: '127.0.0.1', port: statsdPort }, poolIntervalMs: 1000 });
const statistics = queryStats();
const slow = slowQuery({
  thresholdMs: 100,
  explain: true,
  onSlow: (report) => {
    slowReports.push(report);
    console.warn(
      `[slow query] ${report.summary} took ${report.durationMs.toFixed(1)} ms (trace ${report.traceId ?? '-'})\n` +
        `  ${report.query}\n` +
        (report.plan === undefined ? '' : formatQueryPlan(report.plan).replace(/^/gm, '  ')),
    );
  },
});

const dir = mkdtempSync(join(tmpdir(), 'rapsqlite-observability-'));
const pool = await createPool(join(dir, 'app.db'), {
  middleware: [tracing, promMetrics, statsdMetrics, statistics, slow],
  minReaders: 1,
  maxReaders: 2,
});
promMetrics.observePool(pool, { name: 'app' });
statsdMetrics.observePool(pool, { name: 'app' });

await pool.exec('CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL)');
if ((await pool.get<{ n: number }>('SELECT count(*) AS n FROM users'))?.n === 0) {
  await pool.runMany(
    "INSERT INTO users (name, created_at) VALUES (?, datetime('now'))",
    Array.from({ length: 500 }, (_, i) => [`user ${i + 1}`]),
  );
}

/** The deliberately slow report: a recursive count that keeps a reader busy for a few hundred milliseconds. */
const SLOW_REPORT = `WITH RECURSIVE steps(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM steps WHERE x < ?)
SELECT count(*) AS steps, (SELECT count(*) FROM users) AS users FROM steps`;

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  res.writeHead(status, { 'Content-Type': type });
  res.end(typeof body === 'string' ? body : JSON.stringify(body, null, 2));
}

async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<string> {
  const path = url.pathname;
  if (req.method === 'GET' && path === '/metrics') {
    send(res, 200, await promMetrics.registry.metrics(), promMetrics.registry.contentType);
    return '/metrics';
  }
  if (req.method === 'GET' && path === '/stats') {
    send(res, 200, statistics.top(10, 'totalTime'));
    return '/stats';
  }
  if (req.method === 'GET' && path === '/report') {
    send(res, 200, await pool.get(SLOW_REPORT, [1_500_000]));
    return '/report';
  }
  if (req.method === 'GET' && path === '/users') {
    const limit = Math.min(Number(url.searchParams.get('limit') ?? 10), 100);
    send(res, 200, await pool.all('SELECT id, name FROM users ORDER BY id LIMIT ?', [limit]));
    return '/users';
  }
  const match = /^\/users\/(\d+)$/.exec(path);
  if (req.method === 'GET' && match !== null) {
    const user = await pool.get('SELECT id, name, created_at FROM users WHERE id = ?', [Number(match[1])]);
    send(res, user === undefined ? 404 : 200, user ?? { error: 'not found' });
    return '/users/:id';
  }
  if (req.method === 'POST' && path === '/users') {
    const name = url.searchParams.get('name') ?? 'anonymous';
    const id = await pool.transaction(async (tx) => {
      const { lastInsertRowid } = await tx.run("INSERT INTO users (name, created_at) VALUES (?, datetime('now'))", [name]);
      return tx.get('SELECT id, name FROM users WHERE id = ?', [lastInsertRowid]);
    });
    send(res, 201, id);
    return '/users';
  }
  send(res, 404, { error: 'no such route' });
  return 'unknown';
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  // No HTTP instrumentation here: a SERVER span per request, so the database spans have a parent.
  void tracer.startActiveSpan(`${req.method ?? 'GET'}`, { kind: SpanKind.SERVER }, async (span) => {
    try {
      const name = await route(req, res, url);
      span.updateName(`${req.method ?? 'GET'} ${name}`);
      span.setAttribute('http.route', name);
      span.setAttribute('http.response.status_code', res.statusCode);
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      if (!res.headersSent) send(res, 500, { error: (err as Error).message, code: (err as { code?: string }).code });
    } finally {
      span.end();
    }
  });
});
await new Promise<void>((resolve) => server.listen(serve ? port : 0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

async function shutdown(): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await statsdMetrics.close();
  await pool.close();
  // Statement spans are recorded just after their calls settle: those of the last calls first, then the SDK.
  await tracing.flush();
  await tracerProvider.shutdown();
  statsdServer.close();
  rmSync(dir, { recursive: true, force: true });
}

if (serve) {
  console.log(`listening on ${base} (StatsD lines from 127.0.0.1:${statsdPort} are printed as [statsd])`);
  process.once('SIGINT', () => void shutdown().then(() => process.exit(0)));
} else {
  // The demo: a few requests, one of them slow, then where the slow query shows up.
  for (const path of ['/users/1', '/users/2', '/users?limit=5', '/users/9999']) await fetch(`${base}${path}`);
  await fetch(`${base}/users?name=ada`, { method: 'POST' });
  await fetch(`${base}/report`);
  const metricsText = await (await fetch(`${base}/metrics`)).text();
  const top = (await (await fetch(`${base}/stats`)).json()) as Array<{ summary: string; calls: number; maxMs: number; query: string }>;
  // Give the StatsD lines (sent at the end of each event-loop turn) and a pool gauge interval time to arrive.
  await new Promise((resolve) => setTimeout(resolve, 1200));

  const summary = slowReports[0]?.summary ?? 'SELECT SELECT steps users';
  const tagSummary = summary.replace(/\s+/g, '_');
  console.log('\n=== The slow query in every channel ===');
  console.log(`slowQuery report: ${summary}, ${slowReports[0]?.durationMs.toFixed(1)} ms, trace ${slowReports[0]?.traceId}, span ${slowReports[0]?.spanId}`);
  console.log(`trace: the console span named "${summary}" above carries traceId ${slowReports[0]?.traceId}`);
  console.log('Prometheus (/metrics):');
  for (const line of metricsText.split('\n')) {
    if (line.startsWith('db_client_operation_duration_seconds_sum') && line.includes(`summary="${summary}"`)) console.log(`  ${line}`);
    if (line.startsWith('db_client_connection_count')) console.log(`  ${line}`);
  }
  console.log('StatsD (UDP):');
  for (const line of statsdLines) {
    if (line.includes(`summary:${tagSummary}`) || line.startsWith('rapsqlite.pool.connections')) console.log(`  ${line}`);
  }
  console.log('queryStats (/stats), slowest statement first:');
  const worst = [...top].sort((a, b) => b.maxMs - a.maxMs)[0];
  if (worst !== undefined) console.log(`  ${worst.summary}: ${worst.calls} call(s), max ${worst.maxMs.toFixed(1)} ms — ${worst.query.replace(/\s+/g, ' ')}`);
  await shutdown();
}
