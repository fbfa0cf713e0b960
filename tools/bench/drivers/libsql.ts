import { PRAGMAS, SQL } from '../schema.ts';
import type { DriverConnection, DriverEntry, LoadedDriver } from './driver.ts';

interface LibsqlStatement {
  readonly sql: string;
  readonly args: readonly unknown[];
}

interface LibsqlResultSet {
  readonly rows: readonly unknown[];
}

interface LibsqlTransaction {
  execute(statement: LibsqlStatement | string): Promise<LibsqlResultSet>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  close(): void;
}

/** The part of an @libsql/client client the benchmark uses. */
interface LibsqlClient {
  execute(statement: LibsqlStatement | string): Promise<LibsqlResultSet>;
  batch(statements: readonly LibsqlStatement[], mode: 'write' | 'read' | 'deferred'): Promise<unknown>;
  transaction(mode: 'write' | 'read' | 'deferred'): Promise<LibsqlTransaction>;
  close(): void;
}

interface LibsqlModule {
  createClient(config: { url: string; concurrency?: number }): LibsqlClient;
}

async function connect(libsql: LibsqlModule, file: string): Promise<DriverConnection> {
  // Pragmas are per connection and the client keeps a pool of them: one connection keeps WAL and
  // synchronous = NORMAL on everything. The workloads never overlap a transaction with other calls, so a
  // single connection costs the client nothing here.
  const client = libsql.createClient({ url: `file:${file}`, concurrency: 1 });
  for (const pragma of PRAGMAS) await client.execute(`PRAGMA ${pragma}`);
  // The client has no prepared-statement API: it prepares on every call.
  const first = async (sql: string, args: readonly unknown[]): Promise<unknown> => (await client.execute({ sql, args })).rows[0];
  return {
    getById: (id) => first(SQL.getById, [id]),
    getManyInFlight: async (ids) => {
      await Promise.all(ids.map((id) => client.execute({ sql: SQL.getById, args: [id] })));
    },
    range: async (from, to) => (await client.execute({ sql: SQL.range, args: [from, to] })).rows,
    cpuAggregate: (from, to) => first(SQL.cpu, [from, to]),
    longQuery: (n) => first(SQL.long, [n]),
    insert: async (row) => {
      await client.execute({ sql: SQL.insert, args: row });
    },
    insertEachInTransaction: async (rows) => {
      const tx = await client.transaction('write');
      try {
        for (const row of rows) await tx.execute({ sql: SQL.insert, args: row });
        await tx.commit();
      } catch (error) {
        await tx.rollback();
        throw error;
      } finally {
        tx.close();
      }
    },
    insertBatch: async (rows) => {
      await client.batch(
        rows.map((args) => ({ sql: SQL.insert, args })),
        'write',
      );
    },
    exec: async (sql) => {
      await client.execute(sql);
    },
    scalar: async (sql) => {
      const row = (await client.execute(sql)).rows[0] as Record<string, unknown> | undefined;
      return row === undefined ? undefined : Object.values(row)[0];
    },
    close: () => client.close(),
  };
}

/** @libsql/client on a local `file:` URL: a promise API over libsql's synchronous binding. No streaming API. */
export const libsqlDriver: DriverEntry = {
  id: 'libsql',
  label: '@libsql/client',
  kind: 'promise-over-blocking',
  subject: false,
  async load(context): Promise<LoadedDriver> {
    const libsql = (await context.requirePeer('@libsql/client')) as LibsqlModule;
    return {
      version: await context.peerVersion('@libsql/client'),
      details: { 'libsql (native binding)': await context.peerVersion('libsql') },
      open: (file) => connect(libsql, file),
    };
  },
};
