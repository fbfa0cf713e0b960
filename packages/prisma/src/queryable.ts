import {
  DriverAdapterError,
  type SqlQuery,
  type SqlQueryable,
  type SqlResultSet,
} from '@prisma/driver-adapter-utils';
import { hasErrorCode, type Queryable, type QueryOptions, type SqlValue } from '@rapsqlite/engine';
import { mapArgs, mapRow, resultColumnTypes, type TimestampFormat } from './conversion.ts';
import { toPrismaError } from './errors.ts';

/** The adapter's name, as Prisma's logs and errors show it. */
export const ADAPTER_NAME = '@rapsqlite/prisma';

/** Every integer is read as a bigint, so the adapter decides, per column, between a number and exact text. */
const READ_OPTIONS: QueryOptions = Object.freeze({ integers: 'bigint' });
const EMPTY_RESULT: Readonly<SqlResultSet> = Object.freeze({ columnNames: [], columnTypes: [], rows: [] });

/** Settings every queryable of one adapter shares. */
export interface QueryableSettings {
  readonly timestampFormat: TimestampFormat;
}

/**
 * The query half of Prisma's driver adapter contract over a rapsqlite handle: a database, a pool (whose readers then
 * answer the reads) or an open engine transaction.
 */
export abstract class RapsqliteQueryable implements SqlQueryable {
  readonly provider = 'sqlite' as const;
  readonly adapterName = ADAPTER_NAME;
  protected readonly settings: QueryableSettings;

  protected constructor(settings: QueryableSettings) {
    this.settings = settings;
  }

  /** The handle the next statement runs on. */
  protected abstract target(): Queryable;

  /** Runs `call`; a transaction counts the calls in flight, so a rollback knows whether it must interrupt one. */
  protected track<T>(call: Promise<T>): Promise<T> {
    return call;
  }

  #args(query: SqlQuery): SqlValue[] {
    try {
      return mapArgs(query, this.settings.timestampFormat);
    } catch (err) {
      throw new DriverAdapterError({ kind: 'InvalidInputValue', message: (err as Error).message });
    }
  }

  /** Runs a query and returns its rows as arrays, with column names and Prisma column types. */
  async queryRaw(query: SqlQuery): Promise<SqlResultSet> {
    const args = this.#args(query);
    const target = this.target();
    let result;
    try {
      result = await this.track(target.values(query.sql, args, READ_OPTIONS));
    } catch (err) {
      // A statement that returns no rows (an UPDATE sent through $queryRaw) is refused before it runs: run it.
      if (!hasErrorCode(err, 'ERR_RAPSQLITE_NOT_A_QUERY')) throw toPrismaError(err);
      try {
        await this.track(target.run(query.sql, args));
      } catch (runError) {
        throw toPrismaError(runError);
      }
      return { columnNames: [], columnTypes: [], rows: [] };
    }
    const { columns, rows } = result;
    if (columns.length === 0) return { ...EMPTY_RESULT, rows: [] };
    const columnTypes = resultColumnTypes(columns, rows);
    for (const row of rows) mapRow(row, columnTypes);
    return { columnNames: columns.map((c) => c.name), columnTypes, rows };
  }

  /**
   * Runs a statement and returns the number of rows it changed. A script of several statements without arguments
   * (Prisma's migration engine replays migrations on its shadow database this way) runs as a script and reports 0.
   */
  async executeRaw(query: SqlQuery): Promise<number> {
    const args = this.#args(query);
    const target = this.target();
    try {
      return (await this.track(target.run(query.sql, args))).changes;
    } catch (err) {
      if (args.length > 0 || !hasErrorCode(err, 'ERR_RAPSQLITE_INVALID_ARGUMENT')) throw toPrismaError(err);
    }
    try {
      await this.track(target.exec(query.sql));
      return 0;
    } catch (err) {
      throw toPrismaError(err);
    }
  }
}
