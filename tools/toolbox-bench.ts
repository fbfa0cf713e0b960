// Toolbox figures: online backup throughput of a ~100 MB database and the caller's event loop meanwhile (the toolbox's
// backup in a worker thread, against better-sqlite3's own backup on the caller's thread in the same run), how many
// writes landed during the backup and whether the copy is a consistent snapshot; dump throughput and peak memory on a
// database of 1 M rows. Run from the repository root (Node 24, sources run by type stripping):
//   node tools/toolbox-bench.ts            # full: ~100 MB and 1 M rows
//   node tools/toolbox-bench.ts --quick    # ~20 MB and 200 k rows
import { createRequire } from 'node:module';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { Worker } from 'node:worker_threads';
import { open } from '../packages/engine/src/index.ts';
import { dump } from '../packages/engine/src/toolbox/dump.ts';
import { LoopProbe, type LoopSample } from './bench/loop-probe.ts';
import { createCollector, MemoryTracker } from './bench/memory.ts';

interface RawDb {
  pragma(source: string, options?: { simple?: boolean }): unknown;
  exec(sql: string): unknown;
  prepare(sql: string): { get(...p: unknown[]): unknown; pluck(): { get(...p: unknown[]): unknown; all(...p: unknown[]): unknown[] } };
  backup(destination: string, options?: { progress?: () => number }): Promise<{ totalPages: number }>;
  close(): void;
}
const Driver = createRequire(import.meta.url)('better-sqlite3') as new (path: string, options?: { readonly?: boolean }) => RawDb;

const quick = process.argv.includes('--quick');
const MEGABYTES = quick ? 20 : 100;
const DUMP_ROWS = quick ? 200_000 : 1_000_000;
const folder = mkdtempSync(join(tmpdir(), 'rapsqlite-toolbox-bench-'));
const mb = (bytes: number) => bytes / 1024 / 1024;

function build(path: string, megabytes: number): number {
  const db = new Driver(path);
  db.pragma('journal_mode = wal');
  db.pragma('synchronous = off');
  // ~1 370 bytes of file per row: 1 KiB of payload, its label, and the b-tree around them.
  const rows = Math.round((megabytes * 1024 * 1024) / 1370);
  db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT, payload BLOB); CREATE TABLE log (id INTEGER PRIMARY KEY, note TEXT)');
  db.exec(`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${rows}) INSERT INTO items SELECT x, 'item ' || x, randomblob(1024) FROM c`);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return statSync(path).size;
}

function loop(sample: LoopSample): string {
  const busy = sample.maxBusyGapMs === undefined ? '' : `, of which busy ${sample.maxBusyGapMs.toFixed(1)} ms`;
  return `largest event-loop gap ${sample.maxGapMs.toFixed(1)} ms${busy}, p99 delay ${sample.p99DelayMs.toFixed(1)} ms`;
}

async function toolboxBackup(source: string, destination: string, pagesPerStep: number, writeEveryMs: number) {
  const probe = new LoopProbe();
  await probe.start();
  const started = performance.now();
  const worker = new Worker(new URL('./toolbox-bench-worker.ts', import.meta.url), { workerData: { source, destination, pagesPerStep, writeEveryMs } });
  const message = await new Promise<{ result?: { bytes: number; totalPages: number }; ms: number; writes: number; steps: number; error?: string }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const ended = performance.now();
  const sample = await probe.stop(ended);
  await worker.terminate();
  if (message.error !== undefined) throw new Error(message.error);
  return { ...message, wallMs: ended - started, sample };
}

async function blockingBackup(source: string, destination: string, pagesPerStep: number) {
  const db = new Driver(source);
  const probe = new LoopProbe();
  await probe.start();
  const cpu = process.threadCpuUsage?.();
  const started = performance.now();
  await db.backup(destination, { progress: () => pagesPerStep });
  const ended = performance.now();
  const used = cpu === undefined ? undefined : process.threadCpuUsage(cpu);
  const sample = await probe.stop(ended);
  db.close();
  return { ms: ended - started, sample, mainThreadCpuMs: used === undefined ? undefined : (used.user + used.system) / 1000 };
}

function snapshotCheck(copy: string, writes: number): string {
  const db = new Driver(copy, { readonly: true });
  try {
    const integrity = db.pragma('integrity_check', { simple: true });
    const notes = db.prepare("SELECT note FROM log WHERE note LIKE 'during %' ORDER BY id").pluck().all() as string[];
    // A consistent snapshot holds a prefix of the writes, in order, with no gap.
    const prefix = notes.every((note, i) => note === `during ${i}`);
    return `integrity_check ${String(integrity)}; ${notes.length} of the ${writes} writes made during the backup are in the copy, as an unbroken prefix: ${prefix}`;
  } finally {
    db.close();
  }
}

try {
  console.log(`node ${process.version}, ${quick ? 'quick' : 'full'} run`);
  const source = join(folder, 'source.db');
  const size = build(source, MEGABYTES);
  console.log(`\n## Backup of a ${mb(size).toFixed(0)} MB database`);
  const rounds = [
    { label: 'toolbox backup in a worker (100 pages/step)', pagesPerStep: 100, writeEveryMs: 0 },
    { label: 'toolbox backup in a worker (100 pages/step), writes every 2 ms through the same connection', pagesPerStep: 100, writeEveryMs: 2 },
    { label: 'toolbox backup in a worker (one step)', pagesPerStep: -1, writeEveryMs: 0 },
  ];
  let n = 0;
  for (const round of rounds) {
    const destination = join(folder, `copy-${n++}.db`);
    const r = await toolboxBackup(source, destination, round.pagesPerStep, round.writeEveryMs);
    console.log(`- ${round.label}: ${(mb(r.result!.bytes) / (r.ms / 1000)).toFixed(0)} MB/s (${r.ms.toFixed(0)} ms, ${r.steps} steps); caller's ${loop(r.sample)}`);
    if (round.writeEveryMs > 0) console.log(`  ${r.writes} writes landed during the backup; ${snapshotCheck(destination, r.writes)}`);
    rmSync(destination, { force: true });
  }
  for (const pagesPerStep of [100, -1]) {
    const destination = join(folder, `blocking-${pagesPerStep}.db`);
    const r = await blockingBackup(source, destination, pagesPerStep === -1 ? 0x7fffffff : pagesPerStep);
    const cpu = r.mainThreadCpuMs === undefined ? '' : `, ${r.mainThreadCpuMs.toFixed(0)} ms of the caller's CPU`;
    console.log(`- better-sqlite3 db.backup() on the caller's thread (${pagesPerStep === -1 ? 'one step' : '100 pages/step'}): ${(mb(size) / (r.ms / 1000)).toFixed(0)} MB/s (${r.ms.toFixed(0)} ms${cpu}); ${loop(r.sample)}`);
    rmSync(destination, { force: true });
  }

  console.log(`\n## Dump of ${DUMP_ROWS.toLocaleString('en')} rows`);
  const dumpSource = join(folder, 'dump.db');
  const raw = new Driver(dumpSource);
  raw.pragma('journal_mode = wal');
  raw.exec(`CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, amount REAL, big INTEGER, note TEXT);
    WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${DUMP_ROWS})
    INSERT INTO events SELECT x, 'kind ' || (x % 17), x * 0.37, 9007199254740993 + x, 'note ''' || x || ''' with text' FROM c`);
  raw.pragma('wal_checkpoint(TRUNCATE)');
  raw.close();
  const db = await open(dumpSource, { synchronous: 'normal' });
  const out = join(folder, 'dump.sql');
  const collect = createCollector();
  const memory = new MemoryTracker(collect);
  const probe = new LoopProbe();
  await probe.start();
  memory.start(20);
  const growth0 = process.memoryUsage().heapUsed;
  const started = performance.now();
  const file = createWriteStream(out);
  let chars = 0;
  let chunks = 0;
  let liveHeap = 0;
  for await (const chunk of dump(db)) {
    chars += chunk.length;
    // Peak heap counts garbage V8 has not collected yet; a collection now and then shows what the dump keeps alive.
    if (++chunks % 500 === 0) {
      collect();
      liveHeap = Math.max(liveHeap, process.memoryUsage().heapUsed - growth0);
    }
    if (!file.write(chunk)) await new Promise<void>((resolve) => file.once('drain', () => resolve()));
  }
  file.end();
  await finished(file);
  const ended = performance.now();
  const growth = memory.stop();
  const sample = await probe.stop(ended);
  await db.close();
  const seconds = (ended - started) / 1000;
  console.log(
    `- dump() to a file: ${(DUMP_ROWS / seconds / 1000).toFixed(0)} k rows/s, ${(mb(chars) / seconds).toFixed(1)} MB/s of SQL (${mb(statSync(out).size).toFixed(0)} MB in ${seconds.toFixed(1)} s); ` +
      `peak memory growth: RSS ${mb(growth.rssPeakGrowth).toFixed(1)} MB (worker and SQLite included), heap ${mb(growth.heapPeakGrowth).toFixed(1)} MB ` +
      `(live after a collection, every 500 chunks: at most ${mb(liveHeap).toFixed(1)} MB); caller's ${loop(sample)}`,
  );
} finally {
  rmSync(folder, { recursive: true, force: true });
}
