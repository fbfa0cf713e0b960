/**
 * Row shapes: what one result row becomes. `rowMode: 'object'` (the default) or `'array'`, `pluck` (the first
 * column's value), `expand` (columns grouped by their table, as better-sqlite3's `expand()`), and `map` (a function,
 * or a class constructed with the row). Everything here works on a row's cells in column order, so it sits directly
 * after the engine's decoding and the converters.
 */
import { ErrorCodes } from '../errors/codes.ts';
import { RapsqliteError } from '../errors/rapsqlite-error.ts';
import type { ColumnInfo, Row } from '../types.ts';

/** The row modes, as an `as const` tuple. */
export const ROW_MODES = ['object', 'array'] as const;

/** How a row arrives: an object keyed by column name (default), or an array of values in column order. */
export type RowMode = (typeof ROW_MODES)[number];

/** A row grouped by table: `{ users: { id, name }, orders: { id, total }, $: { n } }` (`$` holds expressions). */
export type ExpandedRow = Record<string, Record<string, unknown>>;

/** A row mapper: a function of the row, or a class whose constructor takes the row (`new User(row)`). */
export type RowMapper<I = Row, T = unknown> = ((row: I) => T) | (new (row: I) => T);

/** The row-shape options of a query method (and `rowMode` per database). */
export interface RowShapeOptions {
  /** `'object'` (default) or `'array'`. */
  readonly rowMode?: RowMode;
  /** Each row is its first column's value. */
  readonly pluck?: boolean;
  /** Each row is grouped by table; see {@link ExpandedRow}. */
  readonly expand?: boolean;
  /** Applied to each shaped row: a function, or a class constructed with the row. */
  readonly map?: RowMapper<never, unknown>;
}

/** The shape a row is built in. */
export type Shape = 'object' | 'array' | 'pluck' | 'expand';

/** A call's resolved shape: what to build from the cells, and the mapper to apply after. */
export interface ResolvedShape {
  readonly shape: Shape;
  readonly map: ((row: unknown) => unknown) | undefined;
}

const OBJECT_SHAPE: ResolvedShape = Object.freeze({ shape: 'object', map: undefined });
const ARRAY_SHAPE: ResolvedShape = Object.freeze({ shape: 'array', map: undefined });

function invalid(message: string): never {
  throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, message);
}

const mappers = new WeakMap<object, (row: unknown) => unknown>();

/**
 * The mapper function for a `map` option. A class (declared with `class`) is called with `new`; any other function
 * is called. A constructor function written without `class` syntax cannot be told from a function: pass
 * `(row) => new Legacy(row)` for it.
 */
export function toMapper(map: unknown): (row: unknown) => unknown {
  if (typeof map !== 'function') invalid('Option map must be a function or a class');
  let fn = mappers.get(map);
  if (fn === undefined) {
    const isClass = /^class[\s{]/.test(Function.prototype.toString.call(map));
    fn = isClass ? (row) => new (map as new (row: unknown) => unknown)(row) : (map as (row: unknown) => unknown);
    mappers.set(map, fn);
  }
  return fn;
}

/**
 * Checks a call's row-shape options against the database's default `rowMode` and returns what to build. `pluck`,
 * `expand` and `rowMode: 'array'` exclude one another (`ERR_RAPSQLITE_INVALID_ARGUMENT`); `map` combines with each.
 */
export function resolveShape(options: RowShapeOptions | undefined, defaultMode: RowMode = 'object'): ResolvedShape {
  if (options === undefined || (options.rowMode === undefined && options.pluck === undefined && options.expand === undefined && options.map === undefined)) {
    return defaultMode === 'array' ? ARRAY_SHAPE : OBJECT_SHAPE;
  }
  const { rowMode, pluck, expand, map } = options;
  if (rowMode !== undefined && !ROW_MODES.includes(rowMode)) invalid(`Option rowMode must be one of ${ROW_MODES.map((m) => `'${m}'`).join(', ')}`);
  if (pluck !== undefined && typeof pluck !== 'boolean') invalid('Option pluck must be a boolean');
  if (expand !== undefined && typeof expand !== 'boolean') invalid('Option expand must be a boolean');
  const chosen = [pluck === true && 'pluck', expand === true && 'expand', rowMode === 'array' && "rowMode: 'array'"].filter(Boolean);
  if (chosen.length > 1) invalid(`Options ${chosen.join(' and ')} cannot be combined: each gives rows another shape`);
  const shape: Shape = pluck === true ? 'pluck' : expand === true ? 'expand' : (rowMode ?? defaultMode);
  return Object.freeze({ shape, map: map === undefined ? undefined : toMapper(map) });
}

/** Builds one shaped row from the cells at `offset` of a flat array (a row array with offset 0 works too). */
export type RowBuilder = (cells: readonly unknown[], offset: number) => unknown;

function own(target: Record<string, unknown>, key: string, value: unknown): void {
  // A column named __proto__ must become a data property, not replace the prototype.
  if (key === '__proto__') Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else target[key] = value;
}

/**
 * The builder of a shape for a list of columns, made once per result shape. `'object'` keeps every column as an own
 * property (even `__proto__`; with duplicate names the last column wins, as in the engine); `'expand'` groups by the
 * column's table (`$` for expressions; a self-join puts both sides under one table name, the later column winning,
 * as in better-sqlite3).
 */
export function rowBuilder(columns: readonly Pick<ColumnInfo, 'name' | 'table'>[], shape: Shape): RowBuilder {
  const width = columns.length;
  switch (shape) {
    case 'pluck':
      return (cells, offset) => cells[offset];
    case 'array':
      return (cells, offset) => cells.slice(offset, offset + width);
    case 'expand': {
      const tables = columns.map((c) => c.table ?? '$');
      const names = columns.map((c) => c.name);
      const groups = [...new Set(tables)];
      return (cells, offset) => {
        const row: ExpandedRow = {};
        for (const table of groups) own(row as Record<string, unknown>, table, {});
        for (let i = 0; i < width; i++) own(row[tables[i]!]!, names[i]!, cells[offset + i]);
        return row;
      };
    }
    default: {
      const names = columns.map((c) => c.name);
      return (cells, offset) => {
        const row: Row = {};
        for (let i = 0; i < width; i++) own(row, names[i]!, cells[offset + i]);
        return row;
      };
    }
  }
}

/** Shapes array rows (as `values()` returns them) with their columns' metadata: the builder, then the mapper. */
export function shapeRows(columns: readonly Pick<ColumnInfo, 'name' | 'table'>[], rows: readonly (readonly unknown[])[], shape: ResolvedShape): unknown[] {
  const build = rowBuilder(columns, shape.shape);
  const map = shape.map;
  const out = new Array<unknown>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = build(rows[i]!, 0);
    out[i] = map === undefined ? row : map(row);
  }
  return out;
}
