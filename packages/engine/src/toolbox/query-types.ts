/**
 * The types of the query methods once row shapes, adapters and converters are wired into the handles: overloads
 * chosen by the options literal, so `{ pluck: true }` gives `unknown[]`, `{ map: User }` gives `User[]`,
 * `{ rowMode: 'array' }` gives `unknown[][]`, and `{ expand: true }` gives {@link ExpandedRow}s. Written once for
 * `get`, `all` and `iterate` through {@link ResultOf}.
 */
import type { QueryOptions, Row } from '../types.ts';
import type { AdapterOptions, BindParams } from './adapters.ts';
import type { ConverterOptions } from './converters.ts';
import type { ExpandedRow, RowMapper, RowMode } from './row-shapes.ts';
import type { SqlQuery } from './sql-tag.ts';

/** Per-call options of the query methods with the tools wired: the engine's, plus adapters and converters. */
export interface ToolQueryOptions extends QueryOptions {
  /** Adapters for this call, replacing the database's (`false`: none). */
  readonly adapters?: AdapterOptions | boolean;
  /** Converters for this call, layered over the database's (`false`: none, values as stored). */
  readonly converters?: ConverterOptions | boolean;
  /** Rows per message for `iterate` (ignored by `get` and `all`). */
  readonly chunkSize?: number;
}

/** What each method wraps its rows in. */
export interface MethodResults<T> {
  readonly get: Promise<T | undefined>;
  readonly all: Promise<T[]>;
  readonly iterate: AsyncIterableIterator<T> & AsyncDisposable;
}

/** The method kinds with row shapes. */
export type ShapedMethodKind = keyof MethodResults<unknown>;

/** The result of method `K` for rows of type `T`: `Promise<T | undefined>`, `Promise<T[]>` or an async iterator. */
export type ResultOf<K extends ShapedMethodKind, T> = MethodResults<T>[K];

/** The row type when no shape is asked for: the database's default `rowMode` decides. */
export type DefaultRow<R, D extends RowMode> = D extends 'array' ? unknown[] : R;

/** No shape option: the database's default. */
export interface DefaultShape {
  readonly rowMode?: undefined;
  readonly pluck?: false;
  readonly expand?: false;
}
/** `{ rowMode: 'object' }`. */
export interface ObjectShape {
  readonly rowMode: 'object';
  readonly pluck?: false;
  readonly expand?: false;
}
/** `{ rowMode: 'array' }`. */
export interface ArrayShape {
  readonly rowMode: 'array';
  readonly pluck?: false;
  readonly expand?: false;
}
/** `{ pluck: true }`. */
export interface PluckShape {
  readonly pluck: true;
  readonly rowMode?: 'object';
  readonly expand?: false;
}
/** `{ expand: true }`. */
export interface ExpandShape {
  readonly expand: true;
  readonly rowMode?: 'object';
  readonly pluck?: false;
}
/** `{ map }`: a function of the shaped row, or a class constructed with it. */
export interface MapShape<I, T> {
  readonly map: RowMapper<I, T>;
}
/** No `map`. */
export interface NoMap {
  readonly map?: undefined;
}

/**
 * Every per-call option, for a caller whose options are not a literal (`{ pluck: flag }`): rows are then `unknown`.
 * Still one shape at most: `pluck`, `expand` and `rowMode: 'array'` exclude one another.
 */
export type AnyShapeOptions = ToolQueryOptions & { readonly map?: RowMapper<never, unknown> } & (
    | { readonly pluck?: boolean; readonly expand?: false; readonly rowMode?: 'object' }
    | { readonly expand?: boolean; readonly pluck?: false; readonly rowMode?: 'object' }
    | { readonly rowMode?: RowMode; readonly pluck?: false; readonly expand?: false }
  );

/**
 * One query method with row shapes (`K` is `'get'`, `'all'` or `'iterate'`; `D` the database's default `rowMode`),
 * taking SQL text and parameters, or a query made by the `sql` tag and options.
 */
export interface ShapedMethod<K extends ShapedMethodKind, D extends RowMode = 'object'> {
  // SQL text and parameters.
  <T, I = DefaultRow<Row, D>>(sql: string, params: BindParams | undefined, options: ToolQueryOptions & DefaultShape & MapShape<I, T>): ResultOf<K, T>;
  <T, I = Row>(sql: string, params: BindParams | undefined, options: ToolQueryOptions & ObjectShape & MapShape<I, T>): ResultOf<K, T>;
  <T, I extends unknown[] = unknown[]>(sql: string, params: BindParams | undefined, options: ToolQueryOptions & ArrayShape & MapShape<I, T>): ResultOf<K, T>;
  <T, I = unknown>(sql: string, params: BindParams | undefined, options: ToolQueryOptions & PluckShape & MapShape<I, T>): ResultOf<K, T>;
  <T, I extends ExpandedRow = ExpandedRow>(sql: string, params: BindParams | undefined, options: ToolQueryOptions & ExpandShape & MapShape<I, T>): ResultOf<K, T>;
  <V = unknown>(sql: string, params: BindParams | undefined, options: ToolQueryOptions & PluckShape & NoMap): ResultOf<K, V>;
  <E extends ExpandedRow = ExpandedRow>(sql: string, params: BindParams | undefined, options: ToolQueryOptions & ExpandShape & NoMap): ResultOf<K, E>;
  <V extends unknown[] = unknown[]>(sql: string, params: BindParams | undefined, options: ToolQueryOptions & ArrayShape & NoMap): ResultOf<K, V>;
  <R = Row>(sql: string, params: BindParams | undefined, options: ToolQueryOptions & ObjectShape & NoMap): ResultOf<K, R>;
  <R = Row>(sql: string, params?: BindParams, options?: ToolQueryOptions & DefaultShape & NoMap): ResultOf<K, DefaultRow<R, D>>;
  (sql: string, params: BindParams | undefined, options: AnyShapeOptions): ResultOf<K, unknown>;
  // A query made by the sql tag, and options.
  <T, I = DefaultRow<Row, D>>(query: SqlQuery, options: ToolQueryOptions & DefaultShape & MapShape<I, T>): ResultOf<K, T>;
  <T, I = Row>(query: SqlQuery, options: ToolQueryOptions & ObjectShape & MapShape<I, T>): ResultOf<K, T>;
  <T, I extends unknown[] = unknown[]>(query: SqlQuery, options: ToolQueryOptions & ArrayShape & MapShape<I, T>): ResultOf<K, T>;
  <T, I = unknown>(query: SqlQuery, options: ToolQueryOptions & PluckShape & MapShape<I, T>): ResultOf<K, T>;
  <T, I extends ExpandedRow = ExpandedRow>(query: SqlQuery, options: ToolQueryOptions & ExpandShape & MapShape<I, T>): ResultOf<K, T>;
  <V = unknown>(query: SqlQuery, options: ToolQueryOptions & PluckShape & NoMap): ResultOf<K, V>;
  <E extends ExpandedRow = ExpandedRow>(query: SqlQuery, options: ToolQueryOptions & ExpandShape & NoMap): ResultOf<K, E>;
  <V extends unknown[] = unknown[]>(query: SqlQuery, options: ToolQueryOptions & ArrayShape & NoMap): ResultOf<K, V>;
  <R = Row>(query: SqlQuery, options: ToolQueryOptions & ObjectShape & NoMap): ResultOf<K, R>;
  <R = Row>(query: SqlQuery, options?: ToolQueryOptions & DefaultShape & NoMap): ResultOf<K, DefaultRow<R, D>>;
  (query: SqlQuery, options: AnyShapeOptions): ResultOf<K, unknown>;
}
