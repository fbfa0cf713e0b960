import type * as nodeSqlite from 'node:sqlite';
import { PRAGMAS, SQL } from '../schema.ts';
import type { WriteRow } from '../schema.ts';
import { DriverUnavailable } from './driver.ts';
import type { DriverConnection, DriverEntry, LoadedDriver } from './driver.ts';

type NodeSqlite = typeof nodeSqlite;

function connect(sqlite: NodeSqlite, file: string): DriverConnection {
  const db = new sqlite.DatabaseSync(file);
  for (const pragma of PRAGMAS) db.exec(`PRAGMA ${pragma}`);
  const getById = db.prepare(SQL.getById);
  const range = db.prepare(SQL.range);
  const cpu = db.prepare(SQL.cpu);
  const long = db.prepare(SQL.long);
  const insert = db.prepare(SQL.insert);
  const insertAll = (rows: readonly WriteRow[]): void => {
    db.exec('BEGIN IMMEDIATE');
    try {
      for (const row of rows) insert.run(...row);
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  };
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
      insert.run(...row);
    },
    insertEachInTransaction: insertAll,
    insertBatch: insertAll,
    exec: (sql) => db.exec(sql),
    scalar: (sql) => {
      const row = db.prepare(sql).get() as Record<string, unknown> | undefined;
      return row === undefined ? undefined : Object.values(row)[0];
    },
    close: () => db.close(),
  };
}

/** Node's built-in `node:sqlite` (`DatabaseSync`): blocking, on the calling thread. */
export const nodeSqliteDriver: DriverEntry = {
  id: 'node-sqlite',
  label: 'node:sqlite',
  kind: 'blocking',
  subject: false,
  async load(): Promise<LoadedDriver> {
    let sqlite: NodeSqlite;
    try {
      sqlite = await import('node:sqlite');
    } catch (error) {
      throw new DriverUnavailable(`node:sqlite is not available in Node ${process.version}`, { cause: error });
    }
    return {
      version: `node ${process.version}`,
      open: async (file) => connect(sqlite, file),
    };
  },
};
