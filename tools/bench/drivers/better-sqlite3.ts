import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { PRAGMAS, SQL } from '../schema.ts';
import type { WriteRow } from '../schema.ts';
import type { DriverConnection, DriverEntry, LoadedDriver } from './driver.ts';

/** The part of a better-sqlite3 statement the benchmark uses. */
export interface BetterSqlite3Statement {
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  iterate(...params: unknown[]): IterableIterator<unknown>;
  pluck(toggle?: boolean): BetterSqlite3Statement;
}

/** The part of a better-sqlite3 database the benchmark uses. */
export interface BetterSqlite3Database {
  prepare(sql: string): BetterSqlite3Statement;
  exec(sql: string): void;
  pragma(sql: string): unknown;
  transaction<A extends unknown[]>(fn: (...args: A) => void): ((...args: A) => void) & { immediate(...args: A): void };
  close(): void;
}

/** The better-sqlite3 module: a constructor. */
export type BetterSqlite3Module = new (path: string) => BetterSqlite3Database;

const requireFromRepo = createRequire(new URL('../../../package.json', import.meta.url));

/** Loads the repository's own better-sqlite3 (a devDependency, and the engine's only dependency). */
export function loadBetterSqlite3(): BetterSqlite3Module {
  return requireFromRepo('better-sqlite3') as BetterSqlite3Module;
}

/** The version of the repository's better-sqlite3. */
export async function betterSqlite3Version(): Promise<string> {
  const path = requireFromRepo.resolve('better-sqlite3/package.json');
  return (JSON.parse(await readFile(path, 'utf8')) as { version: string }).version;
}

function connect(Database: BetterSqlite3Module, file: string): DriverConnection {
  const db = new Database(file);
  for (const pragma of PRAGMAS) db.pragma(pragma);
  const getById = db.prepare(SQL.getById);
  const range = db.prepare(SQL.range);
  const cpu = db.prepare(SQL.cpu);
  const long = db.prepare(SQL.long);
  const insert = db.prepare(SQL.insert);
  // better-sqlite3's transaction() wraps a synchronous function: the natural way to group inserts.
  const insertMany = db.transaction((rows: readonly WriteRow[]) => {
    for (const row of rows) insert.run(row);
  });
  return {
    getById: (id) => getById.get(id),
    getManyInFlight: (ids) => {
      for (const id of ids) getById.get(id);
    },
    range: (from, to) => range.all(from, to),
    cpuAggregate: (from, to) => cpu.get(from, to),
    longQuery: (n) => long.get(n),
    iterate: (onRow) => {
      // Prepared on first use: the stream table lives in a separate file, opened only by isolated rounds.
      const stream = db.prepare(SQL.stream);
      let count = 0;
      for (const row of stream.iterate()) {
        onRow(row);
        count++;
      }
      return count;
    },
    insert: (row) => {
      insert.run(row);
    },
    insertEachInTransaction: (rows) => insertMany.immediate(rows),
    insertBatch: (rows) => insertMany.immediate(rows),
    exec: (sql) => db.exec(sql),
    scalar: (sql) => db.prepare(sql).pluck().get(),
    close: () => db.close(),
  };
}

/** better-sqlite3 on the calling thread: the blocking baseline every ratio is taken against. */
export const betterSqlite3Driver: DriverEntry = {
  id: 'better-sqlite3',
  label: 'better-sqlite3',
  kind: 'blocking',
  subject: false,
  async load(): Promise<LoadedDriver> {
    const Database = loadBetterSqlite3();
    return { version: await betterSqlite3Version(), open: async (file) => connect(Database, file) };
  },
};
