/**
 * The HTTP benchmark: drives the orders service of `examples/http-service` with autocannon, once per
 * configuration in the same run — rapsqlite's pool at its default settings, the pool with `pipelining: 1`, and
 * blocking better-sqlite3 (same schema, same SQL, same Fastify) — while the slow report is requested now and then.
 * Prints requests per second and the fast endpoint's p50/p99/max latency for each, the machine and the versions,
 * and writes a small SVG chart to a temporary path.
 *
 *   npm run build
 *   node tools/bench/http.ts [--runs 3] [--duration 10] [--connections 50] [--report-gap 200] [--orders 300000]
 *                            [--configs rapsqlite,rapsqlite-p1,better-sqlite3] [--chart out.svg] [--json out.json]
 *
 * Each service runs in its own process (the load generator must not share the server's event loop) on its own copy
 * of one seeded file. A new report starts `--report-gap` ms after the previous one answered, so one report is
 * running most of the time. Numbers from a shared, loaded machine are noisy: compare configurations of one run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FULL_SIZE, SCHEMA, seedSql } from '../../examples/http-service/src/schema.ts';
import { describeMachine } from './machine.ts';
import { median } from './stats.ts';

interface AutocannonResult {
  readonly requests: { readonly average: number; readonly total: number };
  readonly latency: { readonly p50: number; readonly p99: number; readonly max: number; readonly average: number };
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
}
interface AutocannonRequest {
  method?: string;
  path?: string;
  setupRequest?: (request: AutocannonRequest) => AutocannonRequest;
}
// Neither package ships types: load them through require and type the little used here.
const require = createRequire(import.meta.url);
const autocannon = require('autocannon') as (options: {
  url: string;
  connections: number;
  duration: number;
  requests: AutocannonRequest[];
}) => Promise<AutocannonResult>;

interface BlockingDb {
  exec(sql: string): void;
  pragma(sql: string): unknown;
  prepare(sql: string): { get(): unknown };
  close(): void;
}
const Database = require('better-sqlite3') as new (path: string) => BlockingDb;

const CONFIGS = {
  rapsqlite: { label: 'rapsqlite pool (defaults)', args: ['--driver', 'rapsqlite'] },
  'rapsqlite-p1': { label: 'rapsqlite pool, pipelining 1', args: ['--driver', 'rapsqlite', '--pipelining', '1'] },
  'better-sqlite3': { label: 'better-sqlite3 (blocking)', args: ['--driver', 'better-sqlite3'] },
} as const;
type ConfigId = keyof typeof CONFIGS;

interface Measurement {
  readonly config: ConfigId;
  readonly run: number;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly reports: number;
  readonly reportMs: number;
}

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50' },
    'report-gap': { type: 'string', default: '200' },
    orders: { type: 'string', default: String(FULL_SIZE.orders) },
    configs: { type: 'string', default: 'rapsqlite,rapsqlite-p1,better-sqlite3' },
    chart: { type: 'string' },
    json: { type: 'string' },
  },
});
const runs = Number(values.runs);
const duration = Number(values.duration);
const warmup = Number(values.warmup);
const connections = Number(values.connections);
const reportGap = Number(values['report-gap']);
const orders = Number(values.orders);
const configs = values.configs.split(',').map((id) => {
  if (!(id in CONFIGS)) throw new Error(`unknown config ${id}; known: ${Object.keys(CONFIGS).join(', ')}`);
  return id as ConfigId;
});

const here = dirname(fileURLToPath(import.meta.url));
const exampleDir = join(here, '..', '..', 'examples', 'http-service');
const main = join(exampleDir, 'src', 'main.ts');
const requireFromExample = createRequire(join(exampleDir, 'package.json'));
const versionOf = (name: string): string => {
  try {
    return (JSON.parse(readFileSync(requireFromExample.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
};
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Seeds one template file (the service would do it too, slower) that every configuration gets a copy of. */
function seedTemplate(dir: string): { path: string; sqlite: string } {
  const path = join(dir, 'template.db');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(SCHEMA);
  db.exec(seedSql({ customers: Math.round(orders / 15), products: Math.round(orders / 150), orders }));
  db.pragma('wal_checkpoint(TRUNCATE)');
  const sqlite = (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  db.close();
  return { path, sqlite };
}

async function startService(config: ConfigId, path: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [main, '--port', '0', '--db', path, '--orders', String(orders), ...CONFIGS[config].args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  for await (const line of createInterface({ input: child.stdout! })) {
    const message = JSON.parse(line) as { listening?: string };
    if (message.listening !== undefined) return { child, url: message.listening };
  }
  throw new Error(`the ${config} service exited before listening`);
}

async function stopService(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

/** Requests the slow report again `gap` ms after each answer, until `signal` aborts. */
async function reportLoop(url: string, gap: number, signal: AbortSignal): Promise<number[]> {
  const durations: number[] = [];
  while (!signal.aborted) {
    const started = performance.now();
    try {
      const response = await fetch(`${url}/reports/revenue`, { signal });
      await response.arrayBuffer();
      if (response.ok) durations.push(performance.now() - started);
    } catch {
      // aborted at the end of the run
    }
    await sleep(gap);
  }
  return durations;
}

function fastRequests(): AutocannonRequest[] {
  return [{ method: 'GET', setupRequest: (request) => ({ ...request, path: `/orders/${1 + Math.floor(Math.random() * orders)}` }) }];
}

async function measure(config: ConfigId, run: number, path: string): Promise<Measurement> {
  const { child, url } = await startService(config, path);
  try {
    await autocannon({ url, connections, duration: warmup, requests: fastRequests() }); // JIT, page cache, readers
    const stop = new AbortController();
    const reports = reportLoop(url, reportGap, stop.signal);
    const result = await autocannon({ url, connections, duration, requests: fastRequests() });
    stop.abort();
    const durations = await reports;
    return {
      config,
      run,
      rps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      max: result.latency.max,
      requests: result.requests.total,
      non2xx: result.non2xx,
      errors: result.errors + result.timeouts,
      reports: durations.length,
      reportMs: durations.length === 0 ? Number.NaN : durations.reduce((a, b) => a + b, 0) / durations.length,
    };
  } finally {
    await stopService(child);
  }
}

const fmt = (value: number, digits = 0): string => (Number.isFinite(value) ? value.toFixed(digits) : '–');

function summarize(all: readonly Measurement[]): Measurement[] {
  return configs.map((config) => {
    const mine = all.filter((m) => m.config === config);
    const med = (key: keyof Measurement) => median(mine.map((m) => m[key] as number));
    return {
      config,
      run: 0,
      rps: med('rps'),
      p50: med('p50'),
      p99: med('p99'),
      max: med('max'),
      requests: med('requests'),
      non2xx: med('non2xx'),
      errors: med('errors'),
      reports: med('reports'),
      reportMs: med('reportMs'),
    };
  });
}

function table(rows: readonly Measurement[]): string {
  const lines = [
    '| configuration | requests/s | p50 ms | p99 ms | max ms | reports run | report ms (mean) | non-2xx / errors |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const m of rows) {
    lines.push(
      `| ${CONFIGS[m.config].label}${m.run > 0 ? ` (run ${m.run})` : ''} | ${fmt(m.rps)} | ${fmt(m.p50)} | ${fmt(m.p99)} | ${fmt(m.max)} | ${fmt(m.reports)} | ${fmt(m.reportMs)} | ${fmt(m.non2xx)} / ${fmt(m.errors)} |`,
    );
  }
  return lines.join('\n');
}

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** Two panels: the fast endpoint's p50/p99/max latency (log scale) and requests per second, per configuration. */
function chart(rows: readonly Measurement[], subtitle: string): string {
  const width = 960;
  const rowHeight = 54;
  const top = 64;
  const height = top + rows.length * rowHeight + 50;
  const left = 210;
  const panel = 300;
  const gap = 60;
  const colors = { p50: '#9ec5f4', p99: '#1f6fd1', max: '#0b3a75', rps: '#2f9e44' };
  const positive = rows.flatMap((m) => [m.p50, m.p99, m.max]).filter((v) => v > 0 && Number.isFinite(v));
  const lo = 10 ** Math.floor(Math.log10(Math.min(1, ...positive)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(10, ...positive)));
  const x = (ms: number) => left + (panel * (Math.log10(Math.max(ms, lo)) - Math.log10(lo))) / (Math.log10(hi) - Math.log10(lo));
  const maxRps = Math.max(1, ...rows.map((m) => m.rps));
  const rpsLeft = left + panel + gap;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="16" y="24" font-size="16" font-weight="bold">GET /orders/:id while a one-second report runs</text>`,
    `<text x="16" y="44" fill="#555">${escapeXml(subtitle)}</text>`,
    `<text x="${left}" y="${top - 6}" fill="#333">latency, ms (log scale): p50 · p99 · max</text>`,
    `<text x="${rpsLeft}" y="${top - 6}" fill="#333">requests/s</text>`,
  ];
  for (let tick = lo; tick <= hi * 1.0001; tick *= 10) {
    const tx = x(tick);
    out.push(`<line x1="${tx}" y1="${top}" x2="${tx}" y2="${height - 40}" stroke="#ddd"/>`, `<text x="${tx}" y="${height - 26}" text-anchor="middle" fill="#666">${tick}</text>`);
  }
  rows.forEach((m, i) => {
    const y = top + i * rowHeight + 6;
    out.push(`<text x="${left - 8}" y="${y + 22}" text-anchor="end">${escapeXml(CONFIGS[m.config].label)}</text>`);
    (['p50', 'p99', 'max'] as const).forEach((key, k) => {
      const by = y + k * 14;
      out.push(
        `<rect x="${left}" y="${by}" width="${Math.max(1, x(m[key]) - left)}" height="12" fill="${colors[key]}"/>`,
        `<text x="${x(m[key]) + 4}" y="${by + 10}" fill="#333">${key} ${fmt(m[key])}</text>`,
      );
    });
    const w = (panel * m.rps) / maxRps;
    out.push(`<rect x="${rpsLeft}" y="${y + 8}" width="${Math.max(1, w)}" height="24" fill="${colors.rps}"/>`, `<text x="${rpsLeft + w + 4}" y="${y + 25}">${fmt(m.rps)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

// ---- the run ----

const machine = describeMachine();
const versions = {
  node: process.version,
  fastify: versionOf('fastify'),
  'better-sqlite3': versionOf('better-sqlite3'),
  autocannon: versionOf('autocannon'),
  '@rapsqlite/engine': versionOf('@rapsqlite/engine'),
  '@rapsqlite/pool': versionOf('@rapsqlite/pool'),
};
const dir = mkdtempSync(join(tmpdir(), 'rapsqlite-http-bench-'));
try {
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB.toFixed(0)} GiB, ${machine.os}; load average ${machine.loadAverageStart.map((l) => l.toFixed(2)).join(' ')}`);
  const seedStart = performance.now();
  const template = seedTemplate(dir);
  console.log(`versions: ${Object.entries({ ...versions, sqlite: template.sqlite }).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log(`seeded ${orders} orders in ${fmt(performance.now() - seedStart)} ms; ${runs} run(s) × ${configs.length} configurations, ${duration} s each after ${warmup} s of warm-up, ${connections} connections, a report ${reportGap} ms after each answer`);
  const all: Measurement[] = [];
  for (let run = 1; run <= runs; run++) {
    // Rotate the order so that drift in the machine's load does not always favour the same configuration.
    const order = configs.map((_, i) => configs[(i + run - 1) % configs.length]!);
    for (const config of order) {
      const path = join(dir, `${config}-${run}.db`);
      copyFileSync(template.path, path);
      const m = await measure(config, run, path);
      all.push(m);
      console.log(`run ${run} ${CONFIGS[config].label}: ${fmt(m.rps)} req/s, p50 ${fmt(m.p50)} ms, p99 ${fmt(m.p99)} ms, max ${fmt(m.max)} ms, ${m.reports} reports (${fmt(m.reportMs)} ms mean)`);
      for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
    }
  }
  const medians = summarize(all);
  console.log(`\nper run:\n${table(all.toSorted((a, b) => configs.indexOf(a.config) - configs.indexOf(b.config) || a.run - b.run))}`);
  console.log(`\n${runs > 1 ? `medians of ${runs} runs` : 'results'}:\n${table(medians)}`);
  const blocking = medians.find((m) => m.config === 'better-sqlite3');
  for (const m of medians) {
    if (blocking === undefined || m === blocking) continue;
    console.log(
      `${CONFIGS[m.config].label} vs better-sqlite3: ${fmt(m.rps / blocking.rps, 2)}× the throughput, p99 ${fmt(blocking.p99 / m.p99, 1)}× lower, max ${fmt(blocking.max / m.max, 1)}× lower`,
    );
  }
  const loadEnd = loadavg();
  console.log(`load average at the end: ${loadEnd.map((l) => l.toFixed(2)).join(' ')}`);
  const chartPath = values.chart ?? join(tmpdir(), 'rapsqlite-http-bench.svg');
  writeFileSync(
    chartPath,
    chart(medians, `${runs > 1 ? `medians of ${runs} runs` : 'one run'}, ${machine.cores} cores, Node ${process.version}, ${connections} connections, ${orders} orders`),
  );
  console.log(`chart: ${chartPath}`);
  if (values.json !== undefined) {
    writeFileSync(values.json, JSON.stringify({ machine: { ...machine, loadAverageEnd: loadEnd }, versions: { ...versions, sqlite: template.sqlite }, runs: all, medians }, null, 2));
    console.log(`json: ${values.json}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
