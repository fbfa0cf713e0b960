import { open as fsOpen, readFile, stat } from 'node:fs/promises';
import { open, type Queryable } from '@rapsqlite/engine';
import { MigrateError, MigrateErrorCodes, invalidArgument } from '../errors.ts';
import { readSchema, type ReadSchemaOptions, type SchemaSnapshot } from './snapshot.ts';

/**
 * Where a schema comes from: an open database or pool, a path to an SQLite database file, a path to an SQL file
 * of `CREATE` statements (run in a private in-memory database to be read), `{ sql }` holding such statements, or a
 * snapshot already read.
 */
export type SchemaSource = Queryable | string | { readonly sql: string } | SchemaSnapshot;

const HEADER = Buffer.from('SQLite format 3\0', 'latin1');

function isSnapshot(value: object): value is SchemaSnapshot {
  return 'tables' in value && 'views' in value && 'triggers' in value && Array.isArray((value as SchemaSnapshot).tables);
}

async function fromSql(sql: string, what: string, options: ReadSchemaOptions): Promise<SchemaSnapshot> {
  const db = await open(':memory:');
  try {
    try {
      await db.exec(sql.trim() === '' ? 'SELECT 1' : sql);
    } catch (error) {
      throw new MigrateError(MigrateErrorCodes.SCHEMA_SOURCE, `${what} is not a valid schema: ${(error as Error).message}`, { cause: error });
    }
    return await readSchema(db, options);
  } finally {
    await db.close();
  }
}

/** Reads the schema of a {@link SchemaSource}. */
export async function loadSchema(source: SchemaSource, options: ReadSchemaOptions = {}): Promise<SchemaSnapshot> {
  if (typeof source === 'string') {
    let size: number;
    try {
      const info = await stat(source);
      if (!info.isFile()) throw new Error('not a file');
      size = info.size;
    } catch (error) {
      throw new MigrateError(MigrateErrorCodes.SCHEMA_SOURCE, `The schema source ${source} does not exist or is not a file.`, { cause: error });
    }
    const head = Buffer.alloc(HEADER.length);
    const handle = await fsOpen(source, 'r');
    try {
      await handle.read(head, 0, HEADER.length, 0);
    } finally {
      await handle.close();
    }
    if (size > 0 && head.equals(HEADER)) {
      const db = await open(source, { readonly: true });
      try {
        return await readSchema(db, options);
      } finally {
        await db.close();
      }
    }
    return fromSql(await readFile(source, 'utf8'), source, options);
  }
  if (typeof source !== 'object' || source === null) throw invalidArgument('A schema source is a database, a file path, { sql } or a snapshot.');
  if ('sql' in source && typeof source.sql === 'string' && !('all' in source)) return fromSql(source.sql, 'The schema text', options);
  if (isSnapshot(source)) return source;
  if (typeof (source as Queryable).transaction === 'function') return readSchema(source as Queryable, options);
  throw invalidArgument('A schema source is a database, a file path, { sql } or a snapshot.');
}
