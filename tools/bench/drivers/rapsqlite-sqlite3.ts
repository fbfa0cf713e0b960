import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { PRAGMAS, SQL } from '../schema.ts';
import type { WriteRow } from '../schema.ts';
import { DriverUnavailable } from './driver.ts';
import type { DriverConnection, DriverEntry, LoadedDriver } from './driver.ts';

type Callback<T> = (error: Error | null, value: T) => void;

/** The part of a node-sqlite3-shaped statement the benchmark uses. */
interface Sqlite3Statement {
  get(params: readonly unknown[], callback: Callback<unknown>): Sqlite3Statement;
  all(params: readonly unknown[], callback: Callback<unknown[]>): Sqlite3Statement;
  run(params: readonly unknown[], callback: (error: Error | null) => void): Sqlite3Statement;
  each(params: readonly unknown[], onRow: Callback<unknown>, onDone: Callback<number>): Sqlite3Statement;
  reset(callback: () => void): Sqlite3Statement;
  finalize(callback: (error: Error | null) => void): void;
}

/** The part of a node-sqlite3-shaped database the benchmark uses. */
interface Sqlite3Database {
  prepare(sql: string, callback: (error: Error | null) => void): Sqlite3Statement;
  exec(sql: string, callback: (error: Error | null) => void): Sqlite3Database;
  get(sql: string, callback: Callback<Record<string, unknown> | undefined>): Sqlite3Database;
  close(callback: (error: Error | null) => void): void;
}

interface Sqlite3Module {
  Database: new (file: string, callback: (error: Error | null) => void) => Sqlite3Database;
  VERSION: string;
}

const SPECIFIER = '@rapsqlite/sqlite3';
const requireFromRepo = createRequire(new URL('../../../package.json', import.meta.url));

function settle<T>(resolve: (value: T) => void, reject: (error: Error) => void): Callback<T> {
  return (error, value) => (error === null ? resolve(value) : reject(error));
}

/**
 * The same code as the `sqlite3` driver, line for line (a node-sqlite3 user's idioms: callbacks wrapped in promises,
 * statements prepared once), run on @rapsqlite/sqlite3: the difference between the two is the drop-in's. It is a copy,
 * not a shared function, on purpose: one function driving both modules would see both kinds of statement objects at
 * each call site (V8's feedback is shared by the closures of one function), unlike an application, which uses one.
 */
async function connect(sqlite3: Sqlite3Module, file: string): Promise<DriverConnection> {
  const db = await new Promise<Sqlite3Database>((resolve, reject) => {
    const opened: Sqlite3Database = new sqlite3.Database(file, (error) => (error === null ? resolve(opened) : reject(error)));
  });
  const exec = (sql: string): Promise<void> =>
    new Promise((resolve, reject) => db.exec(sql, (error) => (error === null ? resolve() : reject(error))));
  for (const pragma of PRAGMAS) await exec(`PRAGMA ${pragma}`);
  const prepare = (sql: string): Promise<Sqlite3Statement> =>
    new Promise((resolve, reject) => {
      const statement: Sqlite3Statement = db.prepare(sql, (error) => (error === null ? resolve(statement) : reject(error)));
    });
  const getById = await prepare(SQL.getById);
  const range = await prepare(SQL.range);
  const cpu = await prepare(SQL.cpu);
  const long = await prepare(SQL.long);
  const insert = await prepare(SQL.insert);
  const statements = [getById, range, cpu, long, insert];

  const get = (statement: Sqlite3Statement, params: readonly unknown[]): Promise<unknown> =>
    new Promise((resolve, reject) => statement.get(params, settle(resolve, reject)));
  const run = (statement: Sqlite3Statement, params: readonly unknown[]): Promise<void> =>
    new Promise((resolve, reject) => statement.run(params, (error) => (error === null ? resolve() : reject(error))));
  const inTransaction = async (body: () => Promise<void>): Promise<void> => {
    await exec('BEGIN IMMEDIATE');
    try {
      await body();
      await exec('COMMIT');
    } catch (error) {
      await exec('ROLLBACK');
      throw error;
    }
  };

  return {
    getById: (id) => get(getById, [id]),
    getManyInFlight: async (ids) => {
      await Promise.all(ids.map((id) => get(getById, [id])));
    },
    range: (from, to) => new Promise<unknown[]>((resolve, reject) => range.all([from, to], settle(resolve, reject))),
    cpuAggregate: (from, to) => get(cpu, [from, to]),
    longQuery: (n) => get(long, [n]),
    iterate: async (onRow) => {
      const stream = await prepare(SQL.stream);
      statements.push(stream);
      return new Promise<number>((resolve, reject) => {
        stream.each(
          [],
          (error, row) => {
            if (error === null) onRow(row);
          },
          settle(resolve, reject),
        );
      });
    },
    insert: (row) => run(insert, row),
    insertEachInTransaction: (rows) =>
      inTransaction(async () => {
        for (const row of rows) await run(insert, row);
      }),
    insertBatch: (rows: readonly WriteRow[]) =>
      inTransaction(
        () =>
          new Promise<void>((resolve, reject) => {
            let pending = rows.length;
            let failed = false;
            if (pending === 0) resolve();
            for (const row of rows) {
              insert.run(row, (error) => {
                if (failed) return;
                if (error !== null) {
                  failed = true;
                  reject(error);
                } else if (--pending === 0) resolve();
              });
            }
          }),
      ),
    // node-sqlite3 leaves a statement active after get() (a parameterless get continues its result), and its
    // connection keeps the read transaction until the statement is reset.
    quiesce: async () => {
      for (const statement of statements) await new Promise<void>((resolve) => statement.reset(() => resolve()));
    },
    exec,
    scalar: (sql) =>
      new Promise((resolve, reject) =>
        db.get(sql, (error, row) => (error === null ? resolve(row === undefined ? undefined : Object.values(row)[0]) : reject(error))),
      ),
    close: async () => {
      for (const statement of statements) {
        await new Promise<void>((resolve) => statement.finalize(() => resolve()));
      }
      await new Promise<void>((resolve, reject) => db.close((error) => (error === null ? resolve() : reject(error))));
    },
  };
}

/** @rapsqlite/sqlite3: node-sqlite3's API on the rapsqlite engine (a worker thread), driven exactly like `sqlite3`. */
export const rapsqliteSqlite3Driver: DriverEntry = {
  id: 'rapsqlite-sqlite3',
  label: 'rapsqlite sqlite3 drop-in',
  kind: 'worker-thread',
  subject: true,
  async load(): Promise<LoadedDriver> {
    let module: { default: Sqlite3Module };
    try {
      module = (await import(SPECIFIER)) as { default: Sqlite3Module };
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      throw new DriverUnavailable(`cannot import ${SPECIFIER} (build it with \`npm run build\`): ${reason}`, { cause: error });
    }
    const sqlite3 = module.default;
    const manifest = JSON.parse(await readFile(requireFromRepo.resolve(`${SPECIFIER}/package.json`), 'utf8')) as { version: string };
    return {
      version: manifest.version,
      details: { 'SQLite inside': sqlite3.VERSION },
      open: (file) => connect(sqlite3, file),
    };
  },
};
