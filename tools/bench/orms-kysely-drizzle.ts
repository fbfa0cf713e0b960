// Kysely and Drizzle on rapsqlite (one database, and a pool of two readers) against the same ORMs on their blocking
// better-sqlite3 drivers, in one run. Run after `npm run build`:
//   node tools/bench/orms-kysely-drizzle.ts            (a table)
//   node tools/bench/orms-kysely-drizzle.ts --json     (one JSON document, for comparing runs)
// Each driver gets its own file; workloads run round-robin over the drivers. Figures are medians over timed rounds; ratios are against the same ORM on
// better-sqlite3 in the same run (above 1 = faster for throughputs, below 1 = lower for latencies and gaps).
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { eq, sql as dsql } from 'drizzle-orm';
import { drizzle as drizzleBetter } from 'drizzle-orm/better-sqlite3';
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { Kysely, SqliteDialect, sql as ksql } from 'kysely';
import { open } from '@rapsqlite/engine';
import { createPool } from '@rapsqlite/pool';
import { drizzle as drizzleRapsqlite } from '@rapsqlite/drizzle';
import { RapsqliteDialect } from '@rapsqlite/kysely';
import { LoopProbe } from './loop-probe.ts';
import { describeMachine } from './machine.ts';
import { median, percentile } from './stats.ts';

/** What this script uses of better-sqlite3 (typed here: the project has no @types for it). */
interface BetterDb {
  pragma(source: string): unknown;
  exec(source: string): unknown;
  prepare(source: string): { run(...params: unknown[]): unknown; get(...params: unknown[]): unknown };
  transaction(fn: () => void): () => void;
  close(): void;
}
const BetterSqlite3 = createRequire(import.meta.url)('better-sqlite3') as new (file: string) => BetterDb;

const JSON_OUTPUT = process.argv.includes('--json');
const ROUND_MS = 600;
const ROUNDS = 3;
const USERS = 10_000;
const POSTS = 20_000;
const IN_FLIGHT = 1_000;

const users = sqliteTable('users', { id: integer('id').primaryKey(), name: text('name').notNull(), email: text('email').notNull() });
const posts = sqliteTable('posts', { id: integer('id').primaryKey(), userId: integer('user_id').notNull(), title: text('title').notNull(), body: text('body').notNull() });
const logs = sqliteTable('logs', { id: integer('id').primaryKey(), at: integer('at').notNull(), message: text('message').notNull() });

interface KyselySchema {
  users: { id: number; name: string; email: string };
  posts: { id: number; user_id: number; title: string; body: string };
  logs: { id?: number; at: number; message: string };
}

const SCHEMA = `
  CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL);
  CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL);
  CREATE INDEX posts_user ON posts (user_id);
  CREATE TABLE logs (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, message TEXT NOT NULL);`;

/** The operations every contender implements on its ORM. */
interface Contender {
  readonly name: string;
  readonly orm: 'kysely' | 'drizzle';
  readonly blocking: boolean;
  pointSelect(id: number): Promise<unknown>;
  hundredRows(offset: number): Promise<unknown[]>;
  insertTransaction(base: number): Promise<void>;
  heavy(n: number): Promise<unknown>;
  close(): Promise<void>;
}

function seedFile(file: string): void {
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  db.exec(SCHEMA);
  const insertUser = db.prepare('INSERT INTO users (id, name, email) VALUES (?, ?, ?)');
  const insertPost = db.prepare('INSERT INTO posts (id, user_id, title, body) VALUES (?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 1; i <= USERS; i++) insertUser.run(i, `user ${i}`, `user${i}@example.com`);
    for (let i = 1; i <= POSTS; i++) insertPost.run(i, 1 + (i % USERS), `title ${i}`, 'x'.repeat(120));
  })();
  db.close();
}

const heavySql = (n: number) => `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${n}) SELECT count(*) AS n FROM c`;

function kyselyContender(name: string, db: Kysely<KyselySchema>, blocking: boolean): Contender {
  return {
    name,
    orm: 'kysely',
    blocking,
    pointSelect: (id) => db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst(),
    hundredRows: (offset) => db.selectFrom('posts').selectAll().orderBy('id').limit(100).offset(offset).execute(),
    insertTransaction: (base) =>
      db.transaction().execute(async (trx) => {
        for (let i = 0; i < 100; i++) await trx.insertInto('logs').values({ at: base + i, message: 'hello' }).execute();
      }),
    heavy: (n) => ksql.raw(heavySql(n)).execute(db),
    close: () => db.destroy(),
  };
}

function drizzleAsyncContender(name: string, db: ReturnType<typeof drizzleRapsqlite>): Contender {
  return {
    name,
    orm: 'drizzle',
    blocking: false,
    pointSelect: (id) => db.select().from(users).where(eq(users.id, id)).get(),
    hundredRows: (offset) => db.select().from(posts).orderBy(posts.id).limit(100).offset(offset),
    insertTransaction: (base) =>
      db.transaction(async (tx) => {
        for (let i = 0; i < 100; i++) await tx.insert(logs).values({ at: base + i, message: 'hello' });
      }),
    heavy: (n) => db.get(dsql.raw(heavySql(n))),
    close: () => db.$client.close(),
  };
}

function drizzleBlockingContender(file: string): Contender {
  const client = new BetterSqlite3(file);
  client.pragma('synchronous = NORMAL');
  const db = drizzleBetter(client as never);
  return {
    name: 'drizzle / better-sqlite3',
    orm: 'drizzle',
    blocking: true,
    pointSelect: async (id) => db.select().from(users).where(eq(users.id, id)).get(),
    hundredRows: async (offset) => db.select().from(posts).orderBy(posts.id).limit(100).offset(offset).all(),
    // better-sqlite3's transactions are synchronous: Drizzle's driver takes a synchronous callback.
    insertTransaction: async (base) =>
      db.transaction((tx) => {
        for (let i = 0; i < 100; i++) tx.insert(logs).values({ at: base + i, message: 'hello' }).run();
      }),
    heavy: async (n) => db.get(dsql.raw(heavySql(n))),
    close: async () => client.close(),
  };
}

async function contenders(dir: string): Promise<Contender[]> {
  const file = (name: string) => {
    const path = join(dir, `${name}.db`);
    seedFile(path);
    return path;
  };
  const options = { synchronous: 'normal' as const };
  const betterKysely = new BetterSqlite3(file('kysely-better'));
  betterKysely.pragma('synchronous = NORMAL');
  return [
    kyselyContender('kysely / better-sqlite3 (SqliteDialect)', new Kysely<KyselySchema>({ dialect: new SqliteDialect({ database: betterKysely as never }) }), true),
    kyselyContender('kysely / rapsqlite database', new Kysely<KyselySchema>({ dialect: new RapsqliteDialect({ database: await open(file('kysely-db'), options) }) }), false),
    kyselyContender(
      'kysely / rapsqlite pool (2 readers)',
      new Kysely<KyselySchema>({ dialect: new RapsqliteDialect({ database: await createPool(file('kysely-pool'), { ...options, minReaders: 2, maxReaders: 2 }) }) }),
      false,
    ),
    drizzleBlockingContender(file('drizzle-better')),
    drizzleAsyncContender('drizzle / rapsqlite database', drizzleRapsqlite(await open(file('drizzle-db'), options))),
    drizzleAsyncContender('drizzle / rapsqlite pool (2 readers)', drizzleRapsqlite(await createPool(file('drizzle-pool'), { ...options, minReaders: 2, maxReaders: 2 }))),
  ];
}

/** One timed round: `step` runs for ROUND_MS; returns the throughput (units per second) and each step's latency (µs). */
async function round(step: (i: number) => Promise<unknown>, unitsPerStep: number, counter: { i: number }, latencies: number[]): Promise<number> {
  const start = performance.now();
  let steps = 0;
  while (performance.now() - start < ROUND_MS) {
    const t = performance.now();
    await step(counter.i++);
    latencies.push((performance.now() - t) * 1000);
    steps++;
  }
  return (steps * unitsPerStep * 1000) / (performance.now() - start);
}

/**
 * Runs one workload on every contender, ROUNDS times, round-robin (contender A, B, C…, then again), so that a change
 * in the machine's load during the run weighs on every contender alike. Returns per contender the median throughput
 * and the median latency.
 */
async function workload(list: readonly Contender[], make: (c: Contender) => (i: number) => Promise<unknown>, unitsPerStep = 1): Promise<{ perSecond: number; p50Us: number }[]> {
  const steps = list.map(make);
  const counters = list.map(() => ({ i: 0 }));
  const throughputs = list.map((): number[] => []);
  const latencies = list.map((): number[] => []);
  // Warm-up: statement caches, the pool's routing, the JIT.
  for (let k = 0; k < list.length; k++) for (let w = 0; w < 20; w++) await steps[k]!(counters[k]!.i++);
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < list.length; k++) throughputs[k]!.push(await round(steps[k]!, unitsPerStep, counters[k]!, latencies[k]!));
  }
  return list.map((_, k) => ({ perSecond: median(throughputs[k]!), p50Us: percentile(latencies[k]!, 50) }));
}

/** Calibrates the heavy query to take about a second on better-sqlite3 here (median of three probes). */
function calibrate(file: string): number {
  const db = new BetterSqlite3(file);
  const probe = 1_000_000;
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    db.prepare(heavySql(probe)).get();
    times.push(performance.now() - start);
  }
  db.close();
  return Math.max(100_000, Math.round((probe * 1000) / median(times)));
}

interface Row {
  readonly contender: string;
  readonly orm: string;
  readonly pointP50Us: number;
  readonly pointPerSec: number;
  readonly pointInFlightPerSec: number;
  readonly hundredRowsPerSec: number;
  readonly txInsertsPerSec: number;
  readonly heavyMs: number;
  readonly heavyMaxGapMs: number;
}

async function measureAll(list: readonly Contender[], heavyN: number): Promise<Row[]> {
  const point = await workload(list, (c) => (i) => c.pointSelect(1 + ((i * 7919) % USERS)));
  const inFlight = await workload(
    list,
    (c) => (i) => Promise.all(Array.from({ length: IN_FLIGHT }, (_, k) => c.pointSelect(1 + ((i * IN_FLIGHT + k) % USERS)))),
    IN_FLIGHT,
  );
  const hundred = await workload(list, (c) => (i) => c.hundredRows((i * 100) % (POSTS - 100)));
  const tx = await workload(list, (c) => (i) => c.insertTransaction(i * 100), 100);
  const heavy: { ms: number; gap: number }[] = [];
  for (const c of list) {
    const probe = new LoopProbe();
    await probe.start();
    const start = performance.now();
    await c.heavy(heavyN);
    const ended = performance.now();
    heavy.push({ ms: ended - start, gap: (await probe.stop(ended)).maxGapMs });
  }
  return list.map((c, k) => ({
    contender: c.name,
    orm: c.orm,
    pointP50Us: point[k]!.p50Us,
    pointPerSec: point[k]!.perSecond,
    pointInFlightPerSec: inFlight[k]!.perSecond,
    hundredRowsPerSec: hundred[k]!.perSecond,
    txInsertsPerSec: tx[k]!.perSecond,
    heavyMs: heavy[k]!.ms,
    heavyMaxGapMs: heavy[k]!.gap,
  }));
}

function versions(): Record<string, string> {
  const require = createRequire(import.meta.url);
  // Some packages keep package.json out of their exports map: find it beside the resolved entry point.
  const version = (name: string): string => {
    try {
      let dir = dirname(require.resolve(name));
      while (dir !== dirname(dir)) {
        const file = join(dir, 'package.json');
        if (existsSync(file)) {
          const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
          if (pkg.name === name) return pkg.version ?? 'unknown';
        }
        dir = dirname(dir);
      }
    } catch {
      // not installed
    }
    return 'unknown';
  };
  return { node: process.version, kysely: version('kysely'), 'drizzle-orm': version('drizzle-orm'), 'better-sqlite3': version('better-sqlite3'), '@rapsqlite/engine': version('@rapsqlite/engine') };
}

const startMachine = describeMachine();
const dir = await mkdtemp(join(tmpdir(), 'rapsqlite-orm-bench-'));
try {
  const heavyN = calibrate(join(dir, 'calibrate.db'));
  const list = await contenders(dir);
  const rows = await measureAll(list, heavyN);
  for (const c of list) await c.close();
  const machine = { ...startMachine, loadAverageEnd: loadavg() };
  if (JSON_OUTPUT) {
    console.log(JSON.stringify({ machine, versions: versions(), heavyN, rows }, null, 2));
  } else {
    console.log(`${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB.toFixed(0)} GiB, ${machine.os}; load ${machine.loadAverageStart.map((l) => l.toFixed(2)).join(' ')} → ${machine.loadAverageEnd.map((l) => l.toFixed(2)).join(' ')}`);
    console.log(Object.entries(versions()).map(([k, v]) => `${k} ${v}`).join(', '));
    console.log(`heavy query: recursive count to ${heavyN} (about 1 s on better-sqlite3 here)\n`);
    const baseline = (orm: string) => rows.find((r) => r.orm === orm && r.contender.includes('better-sqlite3'))!;
    const cols: [keyof Row, string, 'higher' | 'lower'][] = [
      ['pointP50Us', 'point select awaited, p50 µs', 'lower'],
      ['pointPerSec', 'point selects awaited /s', 'higher'],
      ['pointInFlightPerSec', `point selects, ${IN_FLIGHT} in flight /s`, 'higher'],
      ['hundredRowsPerSec', '100-row selects /s', 'higher'],
      ['txInsertsPerSec', 'inserts in transactions of 100 /s', 'higher'],
      ['heavyMs', 'heavy query ms', 'lower'],
      ['heavyMaxGapMs', 'largest event-loop gap during it, ms', 'lower'],
    ];
    for (const [key, label] of cols) {
      console.log(label);
      for (const r of rows) {
        const value = r[key] as number;
        const base = baseline(r.orm)[key] as number;
        const ratio = base === 0 ? '' : ` (${(value / base).toFixed(2)}×)`;
        console.log(`  ${r.contender.padEnd(42)} ${value.toFixed(value < 100 ? 1 : 0).padStart(10)}${r.contender.includes('better-sqlite3') ? '' : ratio}`);
      }
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
