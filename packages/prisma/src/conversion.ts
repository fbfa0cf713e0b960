import { ColumnTypeEnum, type ArgType, type ColumnType, type SqlQuery } from '@prisma/driver-adapter-utils';
import type { ColumnInfo, SqlValue } from '@rapsqlite/engine';

/** How DateTime arguments are stored: ISO 8601 text (Prisma's default for SQLite) or integer milliseconds. */
export const TIMESTAMP_FORMATS = ['iso8601', 'unixepoch-ms'] as const;

/** The storage format of DateTime values: `'iso8601'` (default) or `'unixepoch-ms'`. */
export type TimestampFormat = (typeof TIMESTAMP_FORMATS)[number];

/** Declared column types (their first word, upper-cased) and the Prisma column type each one reads as. */
const DECLARED: ReadonlyMap<string, ColumnType> = new Map<string, ColumnType>([
  ['DECIMAL', ColumnTypeEnum.Numeric],
  ['FLOAT', ColumnTypeEnum.Float],
  ['DOUBLE', ColumnTypeEnum.Double],
  ['DOUBLE PRECISION', ColumnTypeEnum.Double],
  ['NUMERIC', ColumnTypeEnum.Double],
  ['REAL', ColumnTypeEnum.Double],
  ['TINYINT', ColumnTypeEnum.Int32],
  ['SMALLINT', ColumnTypeEnum.Int32],
  ['MEDIUMINT', ColumnTypeEnum.Int32],
  ['INT', ColumnTypeEnum.Int32],
  ['INTEGER', ColumnTypeEnum.Int32],
  ['SERIAL', ColumnTypeEnum.Int32],
  ['INT2', ColumnTypeEnum.Int32],
  ['BIGINT', ColumnTypeEnum.Int64],
  ['UNSIGNED BIG INT', ColumnTypeEnum.Int64],
  ['INT8', ColumnTypeEnum.Int64],
  ['DATETIME', ColumnTypeEnum.DateTime],
  ['TIMESTAMP', ColumnTypeEnum.DateTime],
  ['TIME', ColumnTypeEnum.Time],
  ['DATE', ColumnTypeEnum.Date],
  ['TEXT', ColumnTypeEnum.Text],
  ['CLOB', ColumnTypeEnum.Text],
  ['CHARACTER', ColumnTypeEnum.Text],
  ['VARCHAR', ColumnTypeEnum.Text],
  ['VARYING CHARACTER', ColumnTypeEnum.Text],
  ['NCHAR', ColumnTypeEnum.Text],
  ['NATIVE CHARACTER', ColumnTypeEnum.Text],
  ['NVARCHAR', ColumnTypeEnum.Text],
  ['BLOB', ColumnTypeEnum.Bytes],
  ['BOOLEAN', ColumnTypeEnum.Boolean],
  ['JSON', ColumnTypeEnum.Json],
  ['JSONB', ColumnTypeEnum.Json],
]);

/**
 * The Prisma column type of a declared SQLite type, or null when the column has none (an expression) or an unknown
 * one. A length or precision suffix (`VARCHAR(255)`, `DECIMAL(10,2)`) does not change the type.
 */
export function declaredColumnType(declared: string | null): ColumnType | null {
  if (declared === null) return null;
  const base = declared.replace(/\(.*$/s, '').trim().replace(/\s+/g, ' ').toUpperCase();
  if (base === '') return null;
  return DECLARED.get(base) ?? null;
}

/** The Prisma column type of a value read from a column without a usable declared type. */
function valueColumnType(value: unknown): ColumnType {
  switch (typeof value) {
    case 'string':
      return ColumnTypeEnum.Text;
    case 'bigint':
      return ColumnTypeEnum.Int64;
    case 'number':
      return ColumnTypeEnum.UnknownNumber;
    default:
      return ColumnTypeEnum.Bytes;
  }
}

/**
 * Column types for a result read in the engine's `'bigint'` integer mode: the declared type where there is one,
 * else the type of the first non-null value (Int32 when the column is all NULL). An Int32 column holding an integer
 * beyond ±(2^31−1) is reported as Int64, so a raw query never truncates it.
 */
export function resultColumnTypes(columns: readonly ColumnInfo[], rows: readonly unknown[][]): ColumnType[] {
  const types: ColumnType[] = [];
  for (let c = 0; c < columns.length; c++) {
    let type = declaredColumnType(columns[c]?.type ?? null);
    if (type === null) {
      type = ColumnTypeEnum.Int32;
      for (const row of rows) {
        const value = row[c];
        if (value !== null && value !== undefined) {
          type = valueColumnType(value);
          break;
        }
      }
    } else if (type === ColumnTypeEnum.Int32) {
      for (const row of rows) {
        const value = row[c];
        if (typeof value === 'bigint' && (value > 2147483647n || value < -2147483648n)) {
          type = ColumnTypeEnum.Int64;
          break;
        }
      }
    }
    types.push(type);
  }
  return types;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = -MAX_SAFE;

/**
 * Converts one row, in place, to the values Prisma expects: integers (read as bigint) become numbers when they are
 * exact as numbers and decimal strings otherwise, never a rounded number; integer and real values of DateTime columns
 * (milliseconds since the epoch) become ISO 8601 strings.
 */
export function mapRow(row: unknown[], types: readonly ColumnType[]): unknown[] {
  for (let i = 0; i < row.length; i++) {
    const value = row[i];
    const type = types[i];
    if (typeof value === 'bigint') {
      if (type === ColumnTypeEnum.DateTime) row[i] = new Date(Number(value)).toISOString();
      else row[i] = value <= MAX_SAFE && value >= MIN_SAFE ? Number(value) : value.toString();
    } else if (typeof value === 'number') {
      if (type === ColumnTypeEnum.DateTime) row[i] = new Date(value).toISOString();
      else if ((type === ColumnTypeEnum.Int32 || type === ColumnTypeEnum.Int64) && !Number.isInteger(value)) row[i] = Math.trunc(value);
    }
  }
  return row;
}

function formatDate(date: Date, format: TimestampFormat): SqlValue {
  if (Number.isNaN(date.getTime())) throw new TypeError('Invalid DateTime argument');
  return format === 'unixepoch-ms' ? date.getTime() : date.toISOString().replace('Z', '+00:00');
}

function toInteger(value: number | string): bigint | number {
  if (typeof value === 'string') return BigInt(value.trim());
  return Number.isInteger(value) ? BigInt(value) : value;
}

function isDecimalLike(value: object): value is { toFixed(): string } {
  return typeof (value as { toFixed?: unknown }).toFixed === 'function';
}

/**
 * Converts one argument of a Prisma query to a value SQLite binds, guided by its `argType`: integers bind as SQLite
 * INTEGERs exactly (bigint), booleans as 1/0, dates in the configured format, base64 strings of `bytes` as BLOBs,
 * JSON objects as text. Decimals bind as text, which SQLite's NUMERIC affinity stores as an exact INTEGER when the
 * value is integral and as a REAL otherwise.
 */
export function mapArg(arg: unknown, argType: ArgType | undefined, format: TimestampFormat): SqlValue {
  if (arg === null || arg === undefined) return null;
  const scalar = argType?.scalarType ?? 'unknown';
  switch (typeof arg) {
    case 'boolean':
      return arg ? 1n : 0n;
    case 'bigint':
      return arg;
    case 'number':
      if (scalar === 'int' || scalar === 'bigint') return toInteger(arg);
      if (scalar === 'datetime') return formatDate(new Date(arg), format);
      return arg;
    case 'string':
      switch (scalar) {
        case 'int':
        case 'bigint':
          return toInteger(arg);
        case 'float':
          return Number.parseFloat(arg);
        case 'datetime':
          return formatDate(new Date(arg), format);
        case 'bytes':
          return Buffer.from(arg, 'base64');
        default:
          return arg;
      }
    case 'object':
      if (arg instanceof Date) return formatDate(arg, format);
      if (arg instanceof Uint8Array) return arg;
      if (arg instanceof ArrayBuffer) return new Uint8Array(arg);
      if (scalar === 'bytes' && Array.isArray(arg)) return Uint8Array.from(arg as number[]);
      if (scalar === 'decimal' && isDecimalLike(arg)) return arg.toFixed();
      return JSON.stringify(arg);
    default:
      throw new TypeError(`Unsupported argument of type ${typeof arg}`);
  }
}

/** The bound values of a query. */
export function mapArgs(query: SqlQuery, format: TimestampFormat): SqlValue[] {
  const args = query.args;
  // Built by push: a preallocated (holey) array takes the structured clone's slow path to the worker.
  const out: SqlValue[] = [];
  for (let i = 0; i < args.length; i++) out.push(mapArg(args[i], query.argTypes[i], format));
  return out;
}
