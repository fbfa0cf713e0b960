import { PRAGMAS, SQL } from '../schema.ts';
import type { WriteRow } from '../schema.ts';
import type { DriverConnection, DriverEntry, LoadedDriver } from './driver.ts';

type Callback<T> = (error: Error | null, value: T) => void;

/** The part of a node-sqlite3 statement the benchmark uses. */
interface Sqlite3Statement {
  get(params: readonly unknown[], callback: Callback<unknown>): Sqlite3Statement;
  all(params: readonly unknown[], callback: Callback<unknown[]>): Sqlite3Statement;
  run(params: readonly unknown[], callback: (error: Error | null) => void): Sqlite3Statement;
  each(params: readonly unknown[], onRow: Callback<unknown>, onDone: Callback<number>): Sqlite3Statement;
  reset(callback: () => void): Sqlite3Statement;
  finalize(callback: (error: Error | null) => void): void;
}

/** The part of a node-sqlite3 database the benchmark uses. */
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

function settle<T>(resolve: (value: T) => void, reject: (error: Error) => void): Callback<T> {
  return (error, value) => (error === null ? resolve(value) : reject(error));
}

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
    range: (from, to) =>
      new Promise<unknown[]>((resolve, reject) => range.all([from, to], settle(resolve, reject))),
    cpuAggregate: (from, to) => get(cpu, [from, to]),
    longQuery: (n) => get(long, [n]),
    // Prepared on first use: the stream table lives in a separate file, opened only by isolated rounds.
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
    // The batch idiom of node-sqlite3: queue every run on the prepared statement, then wait for the last one.
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

/** node-sqlite3 (`sqlite3`), callbacks promisified, statements prepared once: SQLite on libuv's thread pool. */
export const sqlite3Driver: DriverEntry = {
  id: 'sqlite3',
  label: 'sqlite3',
  kind: 'thread-pool',
  subject: false,
  async load(context): Promise<LoadedDriver> {
    const sqlite3 = (await context.requirePeer('sqlite3')) as Sqlite3Module;
    return {
      version: await context.peerVersion('sqlite3'),
      details: { 'sqlite3 bundled SQLite': sqlite3.VERSION },
      open: (file) => connect(sqlite3, file),
    };
  },
};
