/**
 * Value converters, SQLite → JavaScript, chosen by the declared type of each result column as Python's
 * `detect_types=PARSE_DECLTYPES` does (`DATETIME` → `Date`, `JSON` → parsed value…), plus per-column overrides.
 * A converter set is compiled once per result shape into one function over a row's cells, and not at all when no
 * column of the shape has a converter: a query that reads none of those columns pays nothing.
 */
import { ErrorCodes } from '../errors/codes.ts';
import { RapsqliteError } from '../errors/rapsqlite-error.ts';
import type { ColumnInfo, IntegerMode, Row } from '../types.ts';
import { QueryToolsErrorCodes } from './codes2.ts';
import { parseJson } from './json-text.ts';

/** The built-in converters, by name, as an `as const` tuple. */
export const BUILTIN_CONVERTERS = ['date', 'boolean', 'json', 'decimal', 'uuid'] as const;

/**
 * A built-in converter: `'date'` (text in ISO-8601 or SQLite's `YYYY-MM-DD HH:MM:SS.SSS` form, read as UTC when it
 * has no offset, or epoch numbers → `Date`), `'boolean'` (0/1, `'true'`/`'false'` → boolean), `'json'` (text →
 * parsed value, integers exact), `'decimal'` (the stored number or text → its decimal text, exact for INTEGER and
 * TEXT), `'uuid'` (16-byte BLOB or UUID text → lower-case canonical text).
 */
export type BuiltinConverter = (typeof BUILTIN_CONVERTERS)[number];

/** A non-NULL value as SQLite returns it, after the `integers` mode (converters never see NULL: it stays null). */
export type StoredValue = number | bigint | string | Uint8Array;

/**
 * A user converter: receives a column's non-NULL value and the column's metadata, returns the JavaScript value. A
 * throw fails the call with `ERR_RAPSQLITE_COLUMN_CONVERTER` naming the column.
 */
export type Converter = (value: StoredValue, column: ColumnInfo) => unknown;

/** What a declared type or a column maps to: a built-in by name, your function, or `false` for none. */
export type ConverterSpec = BuiltinConverter | Converter | false;

/** Options of the value converters, per database (`open(path, { converters })`) or per call. */
export interface ConverterOptions {
  /**
   * Start from the built-in table: `DATETIME`, `TIMESTAMP`, `DATE` → `'date'`; `BOOLEAN`, `BOOL` → `'boolean'`;
   * `JSON` → `'json'`; `DECIMAL`, `NUMERIC` → `'decimal'`; `UUID` → `'uuid'`. Default true.
   */
  readonly builtins?: boolean;
  /**
   * Converters by declared type, added to (or replacing, or with `false` removing) the built-in table. A declared
   * type is matched without regard to case, first whole (`'TIMESTAMP WITH TIME ZONE'`), then by its first word
   * (`VARCHAR(20)` → `VARCHAR`, `DECIMAL(10,2)` → `DECIMAL`).
   */
  readonly types?: { readonly [declaredType: string]: ConverterSpec };
  /**
   * Converters by result column name (its alias if it has one), ahead of the declared type; `false` reads the column
   * as stored. The way to convert expressions, which have no declared type: `{ items: 'json' }` for
   * `SELECT json_group_array(x) AS items`.
   */
  readonly columns?: { readonly [column: string]: ConverterSpec };
  /** The unit of numbers in a date column: epoch `'ms'` (default) or `'s'`. */
  readonly dateNumbers?: 'ms' | 's';
}

const CONVERTER_KEYS: ReadonlySet<string> = new Set(['builtins', 'types', 'columns', 'dateNumbers']);

const BUILTIN_TYPES: Readonly<Record<string, BuiltinConverter>> = Object.freeze({
  DATETIME: 'date',
  TIMESTAMP: 'date',
  DATE: 'date',
  BOOLEAN: 'boolean',
  BOOL: 'boolean',
  JSON: 'json',
  DECIMAL: 'decimal',
  NUMERIC: 'decimal',
  UUID: 'uuid',
});

function invalid(message: string): never {
  throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, message);
}

/** Upper-cases a declared type and collapses its spaces: the key of the types table. */
function typeKey(declared: string): string {
  return declared.trim().replace(/\s+/g, ' ').toUpperCase();
}

/** The first word of a declared type key: `DECIMAL(10,2)` → `DECIMAL`, `TIMESTAMP WITH TIME ZONE` → `TIMESTAMP`. */
function baseKey(key: string): string {
  const match = /^[^\s(]+/.exec(key);
  return match === null ? key : match[0];
}

// --- the built-ins ---------------------------------------------------------------------------------------------

const SQLITE_DATE = /^(-?\d{4,6})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/** Reads SQLite's and ISO-8601 date text; text without an offset is UTC, as SQLite's date functions read it. */
export function parseDateText(text: string): Date {
  const m = SQLITE_DATE.exec(text.length > 0 && text.charCodeAt(0) <= 32 ? text.trim() : text);
  if (m === null) throw new TypeError('The text is not an ISO-8601 or SQLite date');
  const year = Number(m[1]);
  const month = Number(m[2]) - 1;
  const day = Number(m[3]);
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const frac = m[7];
  const ms = frac === undefined ? 0 : Number(frac.length >= 3 ? frac.slice(0, 3) : frac.padEnd(3, '0'));
  const date = new Date(Date.UTC(year, month, day, hour, minute, second, ms));
  // Date.UTC maps years 0–99 to 1900–1999.
  if (year >= 0 && year < 100) date.setUTCFullYear(year);
  // A date that rolled over (2026-02-31 → March 3) or an hour past 23 is not a date.
  if (date.getUTCDate() !== day || date.getUTCMonth() !== month || hour > 23 || minute > 59 || second > 59) {
    throw new TypeError('The text is not a valid date');
  }
  const zone = m[8];
  if (zone === undefined || zone === 'Z' || zone === 'z') return date;
  const sign = zone.charCodeAt(0) === 45 ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return new Date(date.getTime() - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000);
}

function toDate(value: StoredValue, unit: 'ms' | 's'): Date {
  if (typeof value === 'string') return parseDateText(value);
  if (typeof value === 'number' || typeof value === 'bigint') {
    const n = Number(value);
    const date = new Date(unit === 's' ? n * 1000 : n);
    if (Number.isNaN(date.getTime())) throw new TypeError('The number is outside the range of a Date');
    return date;
  }
  throw new TypeError('A BLOB is not a date');
}

function toBoolean(value: StoredValue): boolean {
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'bigint') return value !== 0n;
  if (typeof value === 'string') {
    const t = value.trim().toLowerCase();
    if (t === 'true' || t === '1') return true;
    if (t === 'false' || t === '0') return false;
  }
  throw new TypeError('The value is not 0, 1, true or false');
}

function toJson(value: StoredValue, integers: IntegerMode): unknown {
  if (typeof value === 'string') return parseJson(value, integers);
  // A JSON column has NUMERIC affinity: SQLite stores the JSON text `12` as the INTEGER 12.
  if (typeof value === 'number' || typeof value === 'bigint') return value;
  throw new TypeError('A BLOB (JSONB?) is not JSON text; select json(column) to read JSONB');
}

/** The plain decimal text of a number's shortest round-trip form (`1e+21` → `1000000000000000000000`). */
export function decimalText(n: number): string {
  const text = String(n);
  const e = text.indexOf('e');
  if (e === -1) return text;
  const negative = text.startsWith('-');
  const mantissa = text.slice(negative ? 1 : 0, e);
  const exponent = Number(text.slice(e + 1));
  const [whole = '', fraction = ''] = mantissa.split('.');
  const digits = whole + fraction;
  const point = whole.length + exponent;
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${out}` : out;
}

function toDecimal(value: StoredValue): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('The value is not a finite number');
    return decimalText(value);
  }
  throw new TypeError('A BLOB is not a decimal');
}

const UUID_TEXT = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

function canonicalUuid(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function toUuid(value: StoredValue): string {
  if (typeof value === 'string') {
    const t = value.trim();
    if (!UUID_TEXT.test(t)) throw new TypeError('The text is not a UUID');
    return canonicalUuid(t.replaceAll('-', '').toLowerCase());
  }
  if (value instanceof Uint8Array && value.byteLength === 16) {
    return canonicalUuid(Buffer.from(value.buffer, value.byteOffset, 16).toString('hex'));
  }
  throw new TypeError('The value is neither UUID text nor a 16-byte BLOB');
}

// --- the compiled set ------------------------------------------------------------------------------------------

type Resolved = Converter | BuiltinConverter | false;

/** A checked, frozen converter set, made by {@link resolveConverters}. */
export class ConverterSet {
  readonly #types: ReadonlyMap<string, Resolved>;
  readonly #columns: ReadonlyMap<string, Resolved>;
  readonly #dateNumbers: 'ms' | 's';

  /** @internal Use {@link resolveConverters}. */
  constructor(types: ReadonlyMap<string, Resolved>, columns: ReadonlyMap<string, Resolved>, dateNumbers: 'ms' | 's') {
    this.#types = types;
    this.#columns = columns;
    this.#dateNumbers = dateNumbers;
    Object.freeze(this);
  }

  /** This set with a call's options layered on top (its `types` and `columns` win; `builtins: false` clears the table). */
  with(options: ConverterOptions): ConverterSet {
    const extra = checked(options);
    const types = new Map(extra.builtins === false ? [] : this.#types);
    for (const [k, v] of extra.types) types.set(k, v);
    const columns = new Map(this.#columns);
    for (const [k, v] of extra.columns) columns.set(k, v);
    return new ConverterSet(types, columns, extra.dateNumbers ?? this.#dateNumbers);
  }

  /** The converter for one column, or undefined when its value is returned as stored. */
  lookup(column: Pick<ColumnInfo, 'name' | 'type'>): { readonly spec: Resolved; readonly label: string } | undefined {
    const byName = this.#columns.get(column.name);
    if (byName !== undefined) return byName === false ? undefined : { spec: byName, label: typeof byName === 'string' ? byName : 'custom' };
    if (column.type === null || column.type === '') return undefined;
    const key = typeKey(column.type);
    const spec = this.#types.get(key) ?? this.#types.get(baseKey(key));
    if (spec === undefined || spec === false) return undefined;
    return { spec, label: typeof spec === 'string' ? spec : 'custom' };
  }

  /** @internal */
  get dateNumbers(): 'ms' | 's' {
    return this.#dateNumbers;
  }
}

function checkSpec(spec: unknown, where: string): Resolved {
  if (spec === false || typeof spec === 'function') return spec as Resolved;
  if (typeof spec === 'string' && (BUILTIN_CONVERTERS as readonly string[]).includes(spec)) return spec as BuiltinConverter;
  return invalid(`${where} must be a function, false or one of ${BUILTIN_CONVERTERS.map((b) => `'${b}'`).join(', ')}`);
}

function checkedTable(table: unknown, name: string, key: (k: string) => string): Map<string, Resolved> {
  const out = new Map<string, Resolved>();
  if (table === undefined) return out;
  if (typeof table !== 'object' || table === null || Array.isArray(table)) invalid(`Option converters.${name} must be an object`);
  for (const [k, v] of Object.entries(table)) out.set(key(k), checkSpec(v, `converters.${name}["${k}"]`));
  return out;
}

function checked(options: unknown): { builtins: boolean | undefined; types: Map<string, Resolved>; columns: Map<string, Resolved>; dateNumbers: 'ms' | 's' | undefined } {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) invalid('Option converters must be an object, true or false');
  for (const key of Object.keys(options)) if (!CONVERTER_KEYS.has(key)) invalid(`Unknown converters option "${key}"`);
  const { builtins, types, columns, dateNumbers } = options as ConverterOptions;
  if (builtins !== undefined && typeof builtins !== 'boolean') invalid('Option converters.builtins must be a boolean');
  if (dateNumbers !== undefined && dateNumbers !== 'ms' && dateNumbers !== 's') invalid("Option converters.dateNumbers must be 'ms' or 's'");
  return { builtins, types: checkedTable(types, 'types', typeKey), columns: checkedTable(columns, 'columns', (k) => k), dateNumbers };
}

/** Checks converter options without compiling them: `ERR_RAPSQLITE_INVALID_ARGUMENT` for a bad one. */
export function checkConverterOptions(options: unknown): void {
  if (typeof options === 'boolean') return;
  checked(options);
}

/**
 * Checks converter options and compiles them. `true` gives the built-in table; `false` or `undefined` gives none
 * (no per-row work at all). Throws `ERR_RAPSQLITE_INVALID_ARGUMENT` for a bad option; the caller's objects are copied.
 *
 * @example
 * ```ts
 * const converters = resolveConverters({ types: { MONEY: (v) => Number(v) / 100 }, columns: { tags: 'json' } });
 * ```
 */
export function resolveConverters(options: ConverterOptions | boolean | undefined, defaultDateNumbers: 'ms' | 's' = 'ms'): ConverterSet | undefined {
  if (options === undefined || options === false) return undefined;
  const empty = new ConverterSet(new Map(Object.entries(BUILTIN_TYPES)), new Map(), defaultDateNumbers);
  return options === true ? empty : empty.with(options);
}

/** Converts, in place, the cells of one row that start at `offset` of a flat array of cells in column order. */
export type CellConverter = (cells: unknown[], offset: number) => void;

function converterError(column: ColumnInfo | Pick<ColumnInfo, 'name' | 'type'>, label: string, cause: unknown): RapsqliteError {
  const typeText = column.type === null || column.type === '' ? '' : ` (${column.type})`;
  // Integer overflow keeps its own code: the same failure as reading such an integer without a converter.
  const overflow = cause instanceof RapsqliteError && cause.code === ErrorCodes.INTEGER_OVERFLOW;
  const error = overflow
    ? new RapsqliteError(ErrorCodes.INTEGER_OVERFLOW, `Column "${column.name}"${typeText}: ${cause.message}`, { cause })
    : new RapsqliteError(QueryToolsErrorCodes.COLUMN_CONVERTER, `Column "${column.name}"${typeText}: the ${label} converter failed`, { cause });
  Object.defineProperty(error, 'column', { value: column.name, enumerable: true });
  return error;
}

function bind(spec: Converter | BuiltinConverter, column: ColumnInfo, set: ConverterSet, integers: IntegerMode): (value: StoredValue) => unknown {
  switch (spec) {
    case 'date': {
      const unit = set.dateNumbers;
      return (v) => toDate(v, unit);
    }
    case 'boolean':
      return toBoolean;
    case 'json':
      return (v) => toJson(v, integers);
    case 'decimal':
      return toDecimal;
    case 'uuid':
      return toUuid;
    default:
      return (v) => spec(v, column);
  }
}

function asColumn(column: Pick<ColumnInfo, 'name' | 'type'> & Partial<ColumnInfo>): ColumnInfo {
  return Object.freeze({ name: column.name, type: column.type, table: column.table ?? null, column: column.column ?? null, database: column.database ?? null });
}

/** The converters of a result shape: (column index, function) pairs for the columns that have one. */
function plan(columns: readonly (Pick<ColumnInfo, 'name' | 'type'> & Partial<ColumnInfo>)[], set: ConverterSet, integers: IntegerMode) {
  const out: Array<{ index: number; column: ColumnInfo; label: string; fn: (value: StoredValue) => unknown }> = [];
  columns.forEach((c, index) => {
    const found = set.lookup(c);
    if (found === undefined || found.spec === false) return;
    const column = asColumn(c);
    out.push({ index, column, label: found.label, fn: bind(found.spec, column, set, integers) });
  });
  return out;
}

/**
 * Builds, once per result shape, the function that converts a row's cells in place; undefined when no column of
 * the shape has a converter (or no set is configured), so the caller skips the step entirely. `integers` is the
 * call's mode, which the engine has already applied to the cells; the JSON converter reads JSON integers the same way.
 *
 * @example
 * ```ts
 * const convert = compileConverters(result.columns, converters, 'number');
 * if (convert !== undefined) for (const row of result.rows) convert(row, 0);
 * ```
 */
export function compileConverters(
  columns: readonly (Pick<ColumnInfo, 'name' | 'type'> & Partial<ColumnInfo>)[],
  set: ConverterSet | undefined,
  integers: IntegerMode = 'number',
): CellConverter | undefined {
  if (set === undefined) return undefined;
  const steps = plan(columns, set, integers);
  if (steps.length === 0) return undefined;
  return (cells, offset) => {
    for (let s = 0; s < steps.length; s++) {
      const step = steps[s]!;
      const at = offset + step.index;
      const value = cells[at];
      if (value === null || value === undefined) continue;
      try {
        cells[at] = step.fn(value as StoredValue);
      } catch (err) {
        throw converterError(step.column, step.label, err);
      }
    }
  };
}

/**
 * {@link compileConverters} for rows that are already objects (converted in place and returned). With duplicate
 * column names the object holds the last such column, so the last column's converter applies.
 */
export function compileObjectConverters(
  columns: readonly (Pick<ColumnInfo, 'name' | 'type'> & Partial<ColumnInfo>)[],
  set: ConverterSet | undefined,
  integers: IntegerMode = 'number',
): ((row: Row) => Row) | undefined {
  if (set === undefined) return undefined;
  const last = new Map<string, number>();
  columns.forEach((c, i) => last.set(c.name, i));
  const steps = plan(columns, set, integers).filter((s) => last.get(s.column.name) === s.index);
  if (steps.length === 0) return undefined;
  return (row) => {
    for (const step of steps) {
      const value = row[step.column.name];
      if (value === null || value === undefined) continue;
      let out: unknown;
      try {
        out = step.fn(value as StoredValue);
      } catch (err) {
        throw converterError(step.column, step.label, err);
      }
      Object.defineProperty(row, step.column.name, { value: out, writable: true, enumerable: true, configurable: true });
    }
    return row;
  };
}
