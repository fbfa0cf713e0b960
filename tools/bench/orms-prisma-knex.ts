// Prisma and Knex on rapsqlite against the same ORMs on their default SQLite drivers, in one run:
//   Prisma: @rapsqlite/prisma (Database, Pool) vs @prisma/adapter-better-sqlite3
//   Knex:   @rapsqlite/knex (Database, Pool) vs knex's better-sqlite3 client
// Workloads: a point findUnique/first awaited, a 100-row list, a create in a transaction, 8 callers of a CPU-heavy read,
// and the event loop's largest gap while a ~1 s query runs. Three runs; the table shows medians of the runs.
// Run after `npm run build`:   node tools/bench/orms-prisma-knex.ts [--runs 3] [--quick]
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { open } from '@rapsqlite/engine';
import { RapsqliteClient, rapsqliteConnection } from '@rapsqlite/knex';
import { createPool } from '@rapsqlite/pool';
import { PrismaRapsqlite } from '@rapsqlite/prisma';
import knex, { type Knex } from 'knex';
import { LoopProbe } from './loop-probe.ts';
import { describeMachine } from './machine.ts';
import { median, percentile } from './stats.ts';
import { generateClient } from '../../packages/prisma/test/generate-client.ts';

const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1] ?? 3) || 3;
const QUICK = args.includes('--quick');
const POINT = QUICK ? 300 : 2000;
const LIST = QUICK ? 50 : 300;
const CREATE = QUICK ? 50 : 300;
const HEAVY_CALLERS = 8;
const HEAVY_EACH = QUICK ? 2 : 4;
const USERS = 1000;

const MIGRATION = new URL('../../packages/prisma/test/prisma/migrations/20260101000000_init/migration.sql', import.meta.url);
const SEED = `INSERT INTO "User" (email, name, balance, karma, score, role, createdAt)
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${USERS})
  SELECT 'user' || i || '@example.com', 'User ' || i, i, i * 1000, i / 7.0, 'USER', '2025-01-01T00:00:00.000+00:00' FROM n`;
// better-sqlite3 reopens a WAL file at synchronous=NORMAL; rapsqlite sets FULL unless told: compare like with like.
const SYNC = { synchronous: 'normal' } as const;
const count = (n: number) => `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${n}) SELECT count(*) AS n FROM c`;

/** What one driver must do for each workload. */
interface Driver {
  readonly name: string;
  readonly family: 'prisma' | 'knex';
  readonly reference: boolean;
  point(id: number): Promise<unknown>;
  list(): Promise<unknown>;
  create(i: number): Promise<unknown>;
  raw(sql: string): Promise<unknown>;
  close(): Promise<void>;
}

async function preparedFile(dir: string, name: string): Promise<string> {
  const file = join(dir, `${name}.db`);
  const db = await open(file, { journalMode: 'wal' });
  await db.exec(await readFile(MIGRATION, 'utf8'));
  await db.exec(SEED);
  await db.close();
  return file;
}

type PrismaClientLike = {
  user: {
    findUnique(args: unknown): Promise<unknown>;
    findMany(args: unknown): Promise<unknown>;
  };
  $transaction<T>(fn: (tx: { user: { create(args: unknown): Promise<T> } }) => Promise<T>): Promise<T>;
  $queryRawUnsafe(sql: string): Promise<unknown>;
  $disconnect(): Promise<void>;
};

async function prismaDriver(name: string, reference: boolean, adapter: unknown, after: () => Promise<void>): Promise<Driver> {
  const { PrismaClient } = (await import('../../packages/prisma/test/.generated/client/client.ts')) as unknown as {
    PrismaClient: new (options: { adapter: unknown }) => PrismaClientLike;
  };
  const prisma = new PrismaClient({ adapter });
  let n = 0;
  return {
    name,
    family: 'prisma',
    reference,
    point: (id) => prisma.user.findUnique({ where: { id } }),
    list: () => prisma.user.findMany({ take: 100, orderBy: { id: 'asc' } }),
    create: (i) => prisma.$transaction((tx) => tx.user.create({ data: { email: `${name}-${i}-${n++}@example.com` } })),
    raw: (sql) => prisma.$queryRawUnsafe(sql),
    close: async () => {
      await prisma.$disconnect();
      await after();
    },
  };
}

function knexDriver(name: string, reference: boolean, db: Knex, after: () => Promise<void> = async () => undefined): Driver {
  let n = 0;
  return {
    name,
    family: 'knex',
    reference,
    point: (id) => db('User').where({ id }).first(),
    list: () => db('User').orderBy('id').limit(100).select(),
    create: (i) => db.transaction((trx) => trx('User').insert({ email: `${name}-${i}-${n++}@example.com`, balance: 0, karma: 0, score: 0, role: 'USER', createdAt: 0 })),
    raw: (sql) => db.raw(sql),
    close: async () => {
      await db.destroy();
      await after();
    },
  };
}

async function makeDrivers(dir: string): Promise<Driver[]> {
  const drivers: Driver[] = [];
  {
    const file = await preparedFile(dir, 'prisma-db');
    const db = await open(file, SYNC);
    drivers.push(await prismaDriver('prisma + rapsqlite Database', false, new PrismaRapsqlite(db), () => db.close()));
  }
  {
    const file = await preparedFile(dir, 'prisma-pool');
    const pool = await createPool(file, { ...SYNC, minReaders: 2, maxReaders: 2 });
    drivers.push(await prismaDriver('prisma + rapsqlite Pool (2 readers)', false, new PrismaRapsqlite(pool), () => pool.close()));
  }
  {
    const file = await preparedFile(dir, 'prisma-bs3');
    drivers.push(await prismaDriver('prisma + adapter-better-sqlite3', true, new PrismaBetterSqlite3({ url: `file:${file}` }), async () => undefined));
  }
  {
    const file = await preparedFile(dir, 'knex-db');
    const db = await open(file, SYNC);
    drivers.push(knexDriver('knex + rapsqlite Database', false, knex({ client: RapsqliteClient, connection: rapsqliteConnection({ handle: db }), useNullAsDefault: true }), () => db.close()));
  }
  {
    const file = await preparedFile(dir, 'knex-pool');
    const pool = await createPool(file, { ...SYNC, minReaders: 2, maxReaders: 2 });
    drivers.push(knexDriver('knex + rapsqlite Pool (2 readers)', false, knex({ client: RapsqliteClient, connection: rapsqliteConnection({ handle: pool }), useNullAsDefault: true }), () => pool.close()));
  }
  {
    const file = await preparedFile(dir, 'knex-bs3');
    drivers.push(knexDriver('knex + better-sqlite3 client', true, knex({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true })));
  }
  return drivers;
}

interface Figures {
  pointUs: number;
  listUs: number;
  createUs: number;
  heavyPerSec: number;
  longMs: number;
  maxGapMs: number;
}

async function awaitedP50(times: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(50, times); i++) await fn(i); // warm-up: statement caches, JIT
  const samples = new Float64Array(times);
  for (let i = 0; i < times; i++) {
    const start = performance.now();
    await fn(i);
    samples[i] = (performance.now() - start) * 1000;
  }
  return percentile(samples, 50);
}

/** Finds the recursive-count size that takes about `targetMs` on this machine (better-sqlite3, on this thread). */
function calibrate(targetMs: number): number {
  const require = createRequire(import.meta.url);
  const Database = require('better-sqlite3') as new (path: string) => { prepare(sql: string): { get(): unknown }; close(): void };
  const db = new Database(':memory:');
  let n = 200_000;
  for (;;) {
    const start = performance.now();
    db.prepare(count(n)).get();
    const ms = performance.now() - start;
    if (ms > targetMs / 3) {
      db.close();
      return Math.round((n * targetMs) / ms);
    }
    n *= 3;
  }
}

async function measure(driver: Driver, longSql: string, heavySql: string): Promise<Figures> {
  const pointUs = await awaitedP50(POINT, (i) => driver.point((i % USERS) + 1));
  const listUs = await awaitedP50(LIST, () => driver.list());
  const createUs = await awaitedP50(CREATE, (i) => driver.create(i));

  await driver.raw(heavySql);
  const heavyStart = performance.now();
  await Promise.all(
    Array.from({ length: HEAVY_CALLERS }, async () => {
      for (let i = 0; i < HEAVY_EACH; i++) await driver.raw(heavySql);
    }),
  );
  const heavyPerSec = (HEAVY_CALLERS * HEAVY_EACH) / ((performance.now() - heavyStart) / 1000);

  const probe = new LoopProbe();
  await probe.start();
  const longStart = performance.now();
  await driver.raw(longSql);
  const ended = performance.now();
  const loop = await probe.stop(ended);
  return { pointUs, listUs, createUs, heavyPerSec, longMs: ended - longStart, maxGapMs: loop.maxGapMs };
}

function versionOf(name: string): string {
  const require = createRequire(new URL('../../packages/prisma/package.json', import.meta.url));
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    // Packages whose exports map hides package.json: read it from the resolved entry's folder.
  }
  try {
    const entry = require.resolve(name);
    const root = entry.slice(0, entry.lastIndexOf(`/node_modules/${name}/`) + `/node_modules/${name}/`.length);
    return (require(`${root}package.json`) as { version: string }).version;
  } catch {
    return '?';
  }
}

const machine = describeMachine();
console.log('Prisma and Knex on rapsqlite vs their better-sqlite3 drivers');
console.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB.toFixed(1)} GiB, ${machine.os}; Node ${machine.node}`);
console.log(
  `versions: prisma ${versionOf('prisma')}, @prisma/client ${versionOf('@prisma/client')}, @prisma/adapter-better-sqlite3 ${versionOf('@prisma/adapter-better-sqlite3')}, ` +
    `knex ${versionOf('knex')}, better-sqlite3 ${versionOf('better-sqlite3')}`,
);
console.log(`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (a shared machine: other work runs beside this)`);
const generated = await generateClient();
if (generated > 0) console.log(`prisma generate: ${Math.round(generated)} ms`);
const longN = calibrate(1000);
const heavyN = Math.round(longN / 40);
console.log('all files in WAL mode at synchronous=NORMAL (better-sqlite3 reopens WAL files at NORMAL; rapsqlite is told to)');
console.log(`runs: ${RUNS}; point ${POINT}, list ${LIST}, create ${CREATE} awaited calls; ${HEAVY_CALLERS} callers × ${HEAVY_EACH} heavy reads (~25 ms each); one ~1 s query`);

const all = new Map<string, Figures[]>();
for (let run = 0; run < RUNS; run++) {
  const dir = await mkdtemp(join(tmpdir(), 'rapsqlite-bench-orms-'));
  try {
    const drivers = await makeDrivers(dir);
    for (const driver of drivers) {
      const figures = await measure(driver, count(longN), count(heavyN));
      const list = all.get(driver.name) ?? [];
      list.push(figures);
      all.set(driver.name, list);
      await driver.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  console.log(`run ${run + 1}/${RUNS} done`);
}

const med = (name: string, key: keyof Figures) => median((all.get(name) ?? []).map((f) => f[key]));
const names = [...all.keys()];
const refOf = (name: string) => (name.startsWith('prisma') ? 'prisma + adapter-better-sqlite3' : 'knex + better-sqlite3 client');
const ratio = (value: number, ref: number, lowerIsBetter: boolean) => `${(lowerIsBetter ? ref / value : value / ref).toFixed(2)}×`;
const rows = names.map((name) => {
  const ref = refOf(name);
  const self = name === ref;
  const cell = (key: keyof Figures, digits: number, lower: boolean) => {
    const v = med(name, key);
    return self ? v.toFixed(digits) : `${v.toFixed(digits)} (${ratio(v, med(ref, key), lower)})`;
  };
  return [name, cell('pointUs', 0, true), cell('listUs', 0, true), cell('createUs', 0, true), cell('heavyPerSec', 1, false), `${med(name, 'maxGapMs').toFixed(1)} of ${med(name, 'longMs').toFixed(0)}`];
});
const header = ['driver', 'point µs p50', '100 rows µs p50', 'create in tx µs p50', 'heavy reads/s (8 callers)', 'max loop gap ms during the long query'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
console.log('');
console.log(`| ${header.map((h, i) => h.padEnd(widths[i]!)).join(' | ')} |`);
console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
for (const r of rows) console.log(`| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`);
console.log('');
console.log('Ratios are against the same ORM on better-sqlite3 in the same run (>1× is better: faster or more reads per second).');
console.log(`load average at end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
