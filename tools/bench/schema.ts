import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { BetterSqlite3Module } from './drivers/better-sqlite3.ts';

/** One row for the write table: name, value, created_at. */
export type WriteRow = readonly [name: string, value: number, createdAt: number];

/** Every statement the workloads run, shared by all drivers so that they all do the same work. */
export const SQL = {
  getById: 'SELECT id, name, category, price, created_at, payload FROM items WHERE id = ?',
  range: 'SELECT id, name, category, price, created_at, payload FROM items WHERE id BETWEEN ? AND ?',
  cpu:
    'SELECT count(*) AS n, sum(price) AS total, max(length(name)) AS longest, avg(length(payload)) AS payload_len ' +
    'FROM items WHERE id BETWEEN ? AND ?',
  stream: 'SELECT id, n, label FROM stream',
  insert: 'INSERT INTO bench_write (name, value, created_at) VALUES (?, ?, ?)',
  long:
    'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) ' +
    'SELECT count(*) AS n, sum(x % 7) AS s FROM c',
  clearWrites: 'DELETE FROM bench_write',
} as const;

/** The pragmas every driver sets on every connection it opens. */
export const PRAGMAS = ['journal_mode = WAL', 'synchronous = NORMAL'] as const;

const MAIN_SCHEMA = `
CREATE TABLE items (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  category INTEGER NOT NULL,
  price REAL NOT NULL,
  created_at INTEGER NOT NULL,
  payload TEXT NOT NULL
);
CREATE TABLE bench_write (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  value INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
`;

// The stream file also holds the (empty) main tables, so that a driver opening it prepares the same statements.
const STREAM_SCHEMA = `${MAIN_SCHEMA}
CREATE TABLE stream (
  id INTEGER PRIMARY KEY,
  n INTEGER NOT NULL,
  label TEXT NOT NULL
);
`;

/** Bumped whenever the schema or the generated data change, so stale cached templates are not reused. */
const DATA_VERSION = 2;

/** A deterministic pseudo-random generator (mulberry32), so every run and every driver sees the same data. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Returns `count` write rows; `offset` keeps rows of successive calls distinct. */
export function makeWriteRows(count: number, offset = 0): WriteRow[] {
  const rows: WriteRow[] = new Array<WriteRow>(count);
  for (let i = 0; i < count; i++) {
    const n = offset + i;
    rows[i] = [`event-${n}`, (n * 2654435761) % 1000003, 1_700_000_000 + n];
  }
  return rows;
}

/** Where the template databases live and how big they are. */
export interface TemplateSpec {
  readonly cacheDir: string;
  readonly itemRows: number;
  readonly streamRows: number;
}

/** Paths of the two template files: `main` (items, bench_write) and `stream` (the table iterated over). */
export interface Templates {
  readonly main: string;
  readonly stream: string;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Creates (or reuses from the cache) the template databases. They are written once with better-sqlite3 and closed;
 * each driver then gets its own copy, so no file is ever opened by two SQLite copies in one process.
 */
export async function ensureTemplates(spec: TemplateSpec, sqlite: BetterSqlite3Module): Promise<Templates> {
  await mkdir(spec.cacheDir, { recursive: true });
  const main = join(spec.cacheDir, `main-v${DATA_VERSION}-${spec.itemRows}.db`);
  const stream = join(spec.cacheDir, `stream-v${DATA_VERSION}-${spec.streamRows}.db`);
  if (!(await exists(main))) {
    await buildTemplate(main, sqlite, MAIN_SCHEMA, (db) => {
      const insert = db.prepare('INSERT INTO items VALUES (?, ?, ?, ?, ?, ?)');
      const random = createRandom(42);
      for (let i = 1; i <= spec.itemRows; i++) {
        const payload = JSON.stringify({ sku: `SKU-${(i * 7919) % 100000}`, tags: ['a', 'b', 'c'].slice(0, 1 + (i % 3)), note: 'x'.repeat(20 + Math.floor(random() * 60)) });
        insert.run(i, `item-${i}`, i % 97, Math.round(random() * 100000) / 100, 1_700_000_000 + i, payload);
      }
    });
  }
  if (!(await exists(stream))) {
    await buildTemplate(stream, sqlite, STREAM_SCHEMA, (db) => {
      const insert = db.prepare('INSERT INTO stream VALUES (?, ?, ?)');
      for (let i = 1; i <= spec.streamRows; i++) insert.run(i, (i * 2654435761) % 1000003, `row-${i}`);
    });
  }
  return { main, stream };
}

async function buildTemplate(
  path: string,
  sqlite: BetterSqlite3Module,
  schema: string,
  fill: (db: InstanceType<BetterSqlite3Module>) => void,
): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await rm(tmp, { force: true });
  const db = new sqlite(tmp);
  try {
    // The template is written once, so durability does not matter here; WAL is set so that copies start in WAL.
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;');
    db.exec(schema);
    db.exec('BEGIN');
    fill(db);
    db.exec('COMMIT');
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  await rm(`${tmp}-wal`, { force: true });
  await rm(`${tmp}-shm`, { force: true });
  await rename(tmp, path);
}

/** Copies a template to a driver's own file, removing any leftovers of an earlier run first. */
export async function copyTemplate(template: string, target: string): Promise<void> {
  for (const suffix of ['', '-wal', '-shm', '-journal']) await rm(`${target}${suffix}`, { force: true });
  await copyFile(template, target);
}
