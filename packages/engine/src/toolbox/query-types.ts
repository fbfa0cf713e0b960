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

/** Per-call options of `run`, `runMany` and `insert`: the engine's, plus adapters for this call. */
export interface ToolRunOptions extends QueryOptions {
  /** Adapters for this call, replacing the database's (`false`: none, as without adapters). */
  readonly adapters?: AdapterOptions | boolean;
}

/** Per-call options of the methods that read rows (`get`, `all`, `values`, `scalar`, `exists`): adapters and converters. */
export interface ToolQueryOptions extends ToolRunOptions {
  /** Converters for this call, layered over the database's (`false`: none, values as stored). */
  readonly converters?: ConverterOptions | boolean;
}

/** Per-call options of `iterate`: those of the other read methods, plus the chunk size. */
export interface ToolIterateOptions extends ToolQueryOptions {
  /** Rows moved per message between the worker and the caller (default 1 024). */
  readonly chunkSize?: number;
}

/** The options type of each shaped method: {@link ToolIterateOptions} for `iterate`, {@link ToolQueryOptions} otherwise. */
export type OptionsOf<K extends ShapedMethodKind> = K extends 'iterate' ? ToolIterateOptions : ToolQueryOptions;

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
export type AnyShapeOptions<O extends QueryOptions = ToolQueryOptions> = O & { readonly map?: RowMapper<never, unknown> } & (
    | { readonly pluck?: boolean; readonly expand?: false; readonly rowMode?: 'object' }
    | { readonly expand?: boolean; readonly pluck?: false; readonly rowMode?: 'object' }
    | { readonly rowMode?: RowMode; readonly pluck?: false; readonly expand?: false }
  );

/**
 * One query method with row shapes (`K` is `'get'`, `'all'` or `'iterate'`; `D` the database's default `rowMode`),
 * taking SQL text and parameters, or a query made by the `sql` tag and options.
 */
export interface ShapedMethod<K extends ShapedMethodKind, D extends RowMode = 'object', O extends QueryOptions = OptionsOf<K>> {
  // SQL text and parameters.
  <T, I = DefaultRow<Row, D>>(sql: string, params: BindParams | undefined, options: O & DefaultShape & MapShape<I, T>): ResultOf<K, T>;
  <T, I = Row>(sql: string, params: BindParams | undefined, options: O & ObjectShape & MapShape<I, T>): ResultOf<K, T>;
  <T, I extends unknown[] = unknown[]>(sql: string, params: BindParams | undefined, options: O & ArrayShape & MapShape<I, T>): ResultOf<K, T>;
  <T, I = unknown>(sql: string, params: BindParams | undefined, options: O & PluckShape & MapShape<I, T>): ResultOf<K, T>;
  <T, I extends ExpandedRow = ExpandedRow>(sql: string, params: BindParams | undefined, options: O & ExpandShape & MapShape<I, T>): ResultOf<K, T>;
  <V = unknown>(sql: string, params: BindParams | undefined, options: O & PluckShape & NoMap): ResultOf<K, V>;
  <E extends ExpandedRow = ExpandedRow>(sql: string, params: BindParams | undefined, options: O & ExpandShape & NoMap): ResultOf<K, E>;
  <V extends unknown[] = unknown[]>(sql: string, params: BindParams | undefined, options: O & ArrayShape & NoMap): ResultOf<K, V>;
  <R = Row>(sql: string, params: BindParams | undefined, options: O & ObjectShape & NoMap): ResultOf<K, R>;
  <R = Row>(sql: string, params?: BindParams, options?: O & DefaultShape & NoMap): ResultOf<K, DefaultRow<R, D>>;
  (sql: string, params: BindParams | undefined, options: AnyShapeOptions<O>): ResultOf<K, unknown>;
  // A query made by the sql tag, and options.
  <T, I = DefaultRow<Row, D>>(query: SqlQuery, options: O & DefaultShape & MapShape<I, T>): ResultOf<K, T>;
  <T, I = Row>(query: SqlQuery, options: O & ObjectShape & MapShape<I, T>): ResultOf<K, T>;
  <T, I extends unknown[] = unknown[]>(query: SqlQuery, options: O & ArrayShape & MapShape<I, T>): ResultOf<K, T>;
  <T, I = unknown>(query: SqlQuery, options: O & PluckShape & MapShape<I, T>): ResultOf<K, T>;
  <T, I extends ExpandedRow = ExpandedRow>(query: SqlQuery, options: O & ExpandShape & MapShape<I, T>): ResultOf<K, T>;
  <V = unknown>(query: SqlQuery, options: O & PluckShape & NoMap): ResultOf<K, V>;
  <E extends ExpandedRow = ExpandedRow>(query: SqlQuery, options: O & ExpandShape & NoMap): ResultOf<K, E>;
  <V extends unknown[] = unknown[]>(query: SqlQuery, options: O & ArrayShape & NoMap): ResultOf<K, V>;
  <R = Row>(query: SqlQuery, options: O & ObjectShape & NoMap): ResultOf<K, R>;
  <R = Row>(query: SqlQuery, options?: O & DefaultShape & NoMap): ResultOf<K, DefaultRow<R, D>>;
  (query: SqlQuery, options: AnyShapeOptions<O>): ResultOf<K, unknown>;
}

/**
 * One query method of a prepared statement with row shapes (`K` is `'get'`, `'all'` or `'iterate'`; `R` the
 * statement's row type): {@link ShapedMethod} without the SQL text.
 */
export interface ShapedStatementMethod<K extends ShapedMethodKind, R = Row, O extends QueryOptions = OptionsOf<K>> {
  <T, I = R>(params: BindParams | undefined, options: O & DefaultShape & MapShape<I, T>): ResultOf<K, T>;
  <T, I = Row>(params: BindParams | undefined, options: O & ObjectShape & MapShape<I, T>): ResultOf<K, T>;
  <T, I extends unknown[] = unknown[]>(params: BindParams | undefined, options: O & ArrayShape & MapShape<I, T>): ResultOf<K, T>;
  <T, I = unknown>(params: BindParams | undefined, options: O & PluckShape & MapShape<I, T>): ResultOf<K, T>;
  <T, I extends ExpandedRow = ExpandedRow>(params: BindParams | undefined, options: O & ExpandShape & MapShape<I, T>): ResultOf<K, T>;
  <V = unknown>(params: BindParams | undefined, options: O & PluckShape & NoMap): ResultOf<K, V>;
  <E extends ExpandedRow = ExpandedRow>(params: BindParams | undefined, options: O & ExpandShape & NoMap): ResultOf<K, E>;
  <V extends unknown[] = unknown[]>(params: BindParams | undefined, options: O & ArrayShape & NoMap): ResultOf<K, V>;
  <V = Row>(params: BindParams | undefined, options: O & ObjectShape & NoMap): ResultOf<K, V>;
  (params?: BindParams, options?: O & DefaultShape & NoMap): ResultOf<K, R>;
  (params: BindParams | undefined, options: AnyShapeOptions<O>): ResultOf<K, unknown>;
}
