import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { PRAGMAS, SQL } from '../schema.ts';
import { DriverUnavailable } from './driver.ts';
import type { DriverConnection, DriverEntry, DriverKind, LoadedDriver } from './driver.ts';

type Params = readonly unknown[];

/** The part of a rapsqlite prepared statement the benchmark uses. */
interface RapsqliteStatement {
  get(params?: Params): Promise<unknown>;
  all(params?: Params): Promise<unknown[]>;
  run(params?: Params): Promise<unknown>;
}

/** The query methods a rapsqlite database and its transactions share. */
interface RapsqliteQueryable {
  exec(sql: string): Promise<unknown>;
  run(sql: string, params?: Params): Promise<unknown>;
  get(sql: string, params?: Params): Promise<unknown>;
  all(sql: string, params?: Params): Promise<unknown[]>;
  runMany(sql: string, paramSets: readonly Params[]): Promise<unknown>;
  iterate(sql: string, params?: Params, options?: { chunkSize?: number }): AsyncIterable<unknown>;
}

/** The part of a rapsqlite database the benchmark uses, typed structurally as the engine's public API. */
interface RapsqliteDatabase extends RapsqliteQueryable {
  prepare(sql: string): Promise<RapsqliteStatement>;
  transaction<T>(body: (tx: RapsqliteQueryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

type OpenFunction = (path: string, options: Readonly<Record<string, unknown>>) => Promise<RapsqliteDatabase>;

/** How to reach one rapsqlite connection type. */
export interface RapsqliteDriverSpec {
  readonly id: string;
  readonly label: string;
  readonly kind: DriverKind;
  /** The package to import, resolved from the repository root (a workspace link to `packages/<name>`). */
  readonly specifier: string;
  /** The name of the package's export that opens a database. */
  readonly openExport: string;
  /** Pragmas run on every connection (default: `journal_mode = WAL`; `synchronous` is always an option). */
  readonly pragmas?: readonly string[];
  /** Options beyond the shared pragmas (for instance a pool's reader count). */
  readonly extraOptions?: Readonly<Record<string, unknown>>;
  /** Rows per message for `iterate`; undefined keeps the package's default. */
  readonly chunkSize?: number;
  /** Middleware to compose on every connection, made once per connection (plugins are imported lazily). */
  readonly middleware?: () => Promise<readonly unknown[]>;
  /** Checked against the targets itself (default true); a variant measured only against its sibling is not. */
  readonly subject?: boolean;
}

const requireFromRepo = createRequire(new URL('../../../package.json', import.meta.url));

async function connect(open: OpenFunction, spec: RapsqliteDriverSpec, file: string): Promise<DriverConnection> {
  const middleware = spec.middleware === undefined ? {} : { middleware: await spec.middleware() };
  const db = await open(file, {
    pragmas: spec.pragmas ?? PRAGMAS.filter((pragma) => !pragma.startsWith('synchronous')),
    synchronous: 'normal',
    ...middleware,
    ...spec.extraOptions,
  });
  const getById = await db.prepare(SQL.getById);
  const range = await db.prepare(SQL.range);
  const cpu = await db.prepare(SQL.cpu);
  const long = await db.prepare(SQL.long);
  const insert = await db.prepare(SQL.insert);
  const iterateOptions = spec.chunkSize === undefined ? {} : { chunkSize: spec.chunkSize };
  return {
    getById: (id) => getById.get([id]),
    getManyInFlight: async (ids) => {
      await Promise.all(ids.map((id) => getById.get([id])));
    },
    range: (from, to) => range.all([from, to]),
    cpuAggregate: (from, to) => cpu.get([from, to]),
    longQuery: (n) => long.get([n]),
    iterate: async (onRow) => {
      let count = 0;
      for await (const row of db.iterate(SQL.stream, [], iterateOptions)) {
        onRow(row);
        count++;
      }
      return count;
    },
    insert: async (row) => {
      await insert.run(row);
    },
    insertEachInTransaction: async (rows) => {
      await db.transaction(async (tx) => {
        for (const row of rows) await tx.run(SQL.insert, row);
      });
    },
    insertBatch: async (rows) => {
      await db.runMany(SQL.insert, rows);
    },
    exec: async (sql) => {
      await db.exec(sql);
    },
    scalar: async (sql) => {
      const row = (await db.get(sql)) as Record<string, unknown> | undefined;
      return row === undefined ? undefined : Object.values(row)[0];
    },
    close: () => db.close(),
  };
}

/** Builds the driver entry of one rapsqlite connection type; the engine and the pool differ only by their spec. */
export function createRapsqliteDriver(spec: RapsqliteDriverSpec): DriverEntry {
  return {
    id: spec.id,
    label: spec.label,
    kind: spec.kind,
    subject: spec.subject ?? true,
    async load(): Promise<LoadedDriver> {
      let module: Record<string, unknown>;
      try {
        module = (await import(spec.specifier)) as Record<string, unknown>;
      } catch (error) {
        const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
        throw new DriverUnavailable(`cannot import ${spec.specifier} (build it with \`npm run build\`): ${reason}`, {
          cause: error,
        });
      }
      const open = module[spec.openExport];
      if (typeof open !== 'function') {
        throw new DriverUnavailable(`${spec.specifier} has no \`${spec.openExport}\` export`);
      }
      const manifest = JSON.parse(await readFile(requireFromRepo.resolve(`${spec.specifier}/package.json`), 'utf8')) as {
        version: string;
      };
      return { version: manifest.version, open: (file) => connect(open as OpenFunction, spec, file) };
    },
  };
}
