/**
 * Figures for docs/scaling-out.md: awaited point-query and insert latency over loopback, throughput with 64 callers,
 * and failover time, on a three-node dqlite cluster this script starts (dqlite-demo), next to a local rapsqlite
 * database for scale. Run: `npm run bench` in packages/dqlite (Node 24). Timings on a shared machine are noisy.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, type Queryable } from '@rapsqlite/engine';
import { openDqlite } from '../src/index.ts';
import { startCluster } from '../test/helpers/dqlite-cluster.ts';

/** Writes one line of the report. */
function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number;
}

async function latency(label: string, n: number, call: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < Math.min(200, n); i++) await call(i);
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await call(i);
    times.push((performance.now() - start) * 1000);
  }
  times.sort((a, b) => a - b);
  print(`${label.padEnd(54)} p50 ${percentile(times, 0.5).toFixed(0).padStart(6)} µs   p99 ${percentile(times, 0.99).toFixed(0).padStart(6)} µs`);
}

async function throughput(label: string, callers: number, ms: number, call: (i: number) => Promise<unknown>): Promise<void> {
  let done = 0;
  let next = 0;
  const until = performance.now() + ms;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < until) {
        await call(next++);
        done++;
      }
    }),
  );
  print(`${label.padEnd(54)} ${((done / ms) * 1000).toFixed(0).padStart(7)} calls/s`);
}

async function figures(name: string, db: Queryable): Promise<void> {
  await db.exec('CREATE TABLE IF NOT EXISTS k (id INTEGER PRIMARY KEY, v TEXT NOT NULL); DELETE FROM k');
  await db.runMany('INSERT INTO k (id, v) VALUES (?, ?)', Array.from({ length: 1000 }, (_, i) => [i, `value ${i}`]));
  let id = 10_000;
  await latency(`${name}: point get, awaited`, 2000, (i) => db.get('SELECT v FROM k WHERE id = ?', [i % 1000]));
  await latency(`${name}: insert (autocommit), awaited`, 500, () => db.run('INSERT INTO k (id, v) VALUES (?, ?)', [id++, 'x']));
  await throughput(`${name}: point gets, 64 callers`, 64, 3000, (i) => db.get('SELECT v FROM k WHERE id = ?', [i % 1000]));
  await throughput(`${name}: inserts, 64 callers`, 64, 3000, () => db.run('INSERT INTO k (id, v) VALUES (?, ?)', [id++, 'x']));
}

const cluster = await startCluster(3);
const dir = await mkdtemp(join(tmpdir(), 'rapsqlite-dqlite-bench-'));
try {
  print(`Node ${process.version}; dqlite-demo three-node cluster on loopback; 2 cores shared with other work.`);
  const local = await open(join(dir, 'local.db'));
  await figures('local rapsqlite (one worker)', local);
  await local.close();
  const db = await openDqlite({ nodes: cluster.addresses, database: 'bench' });
  await figures('dqlite (writer + 2 readers)', db);

  // Failover: the leader killed under 8 writers; the time until a write is acknowledged by the new leader.
  await db.exec('CREATE TABLE f (id INTEGER PRIMARY KEY)');
  let next = 1;
  let stop = false;
  let killedAt = 0;
  let resumedAt = 0;
  let unknown = 0;
  const writers = Array.from({ length: 8 }, async () => {
    while (!stop) {
      try {
        await db.run('INSERT INTO f (id) VALUES (?)', [next++]);
        if (killedAt > 0 && resumedAt === 0) resumedAt = performance.now();
      } catch {
        unknown++;
      }
    }
  });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const leader = await cluster.leaderIndex();
  killedAt = performance.now();
  await cluster.kill(leader);
  while (resumedAt === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  stop = true;
  await Promise.all(writers);
  print(`${'dqlite: failover (leader SIGKILL, 8 writers)'.padEnd(54)} ${(resumedAt - killedAt).toFixed(0)} ms to the first acknowledged write; ${unknown} writes of unknown outcome`);
  await db.close();
} finally {
  await cluster.stop();
  await rm(dir, { recursive: true, force: true });
}
