/**
 * The query tools composed in the order the query path runs them: what a handle's terminal (`handle/terminal.ts`)
 * applies to each call, from the database's options and the call's. {@link withQueryTools}, the wrapper that came
 * before the tools were built into the handles, is kept for code written against it.
 *
 * Order on the caller's thread: (1) array parameters for `IN (?)` ({@link expandArrayParams}, which adapts list
 * elements), (2) value adapters ({@link adaptParams}), (3) the engine's own parameter check and the call; then for
 * rows: (4) the engine's decoding with its `integers` mode, (5) converters ({@link compileConverters}, once per result
 * shape), (6) the row shape ({@link rowBuilder}) and (7) `map`.
 */
import type { Queryable, Transaction } from '../handle/queryable.ts';
import { ErrorCodes } from '../errors/codes.ts';
import { RapsqliteError } from '../errors/rapsqlite-error.ts';
import type { ColumnInfo, IntegerMode, IterateOptions, Params, QueryOptions, Row, RunManyResult, RunResult, TransactionOptions, ValuesResult } from '../types.ts';
import { adaptParams, resolveAdapters, type AdapterOptions, type BindParams, type ParamAdapters } from './adapters.ts';
import { insert } from './conveniences.ts';
import { compileConverters, compileObjectConverters, resolveConverters, type ConverterOptions, type ConverterSet } from './converters.ts';
import { expandArrayParams, expandArrayParamsMany } from './in-arrays.ts';
import { paginate, type Page, type PaginateOptions } from './paginate.ts';
import type { ShapedMethod, ToolQueryOptions } from './query-types.ts';
import { resolveShape, rowBuilder, ROW_MODES, shapeRows, type ResolvedShape, type RowMode, type RowShapeOptions } from './row-shapes.ts';
import { isSqlQuery, type SqlQuery } from './sql-tag.ts';

/** The per-database options of the query tools (`open(path, { adapters, converters, rowMode })`). */
export interface QueryToolsOptions {
  /** Value adapters; default: Dates as ISO-8601 text, booleans as 1/0, URLs as text. `false`: none. */
  readonly adapters?: AdapterOptions | boolean;
  /** Value converters by declared type; default none. `true`: the built-in table. */
  readonly converters?: ConverterOptions | boolean;
  /** The default row shape of `get`, `all` and `iterate`. Default `'object'`. */
  readonly rowMode?: RowMode;
}

/** The query tools of a database after checks: frozen. */
export interface QueryTools {
  readonly adapters: ParamAdapters | undefined;
  readonly converters: ConverterSet | undefined;
  readonly rowMode: RowMode;
  /** No converters and object rows: a call that asks for nothing else reads rows exactly as without the tools. */
  readonly plain: boolean;
}

/** The per-call option names the tools add to the query methods' (for the engine's unknown-option check). */
export const TOOL_CALL_OPTION_KEYS = ['rowMode', 'pluck', 'expand', 'map', 'adapters', 'converters'] as const;

const TOOL_KEYS: ReadonlySet<string> = new Set(TOOL_CALL_OPTION_KEYS);

/**
 * Checks the per-database options of the tools. The DATE converter reads numbers in seconds when the adapter writes
 * seconds (`adapters: { dates: 's' }`), unless `converters.dateNumbers` says otherwise.
 */
export function resolveQueryTools(options: QueryToolsOptions = {}): QueryTools {
  const { adapters, converters, rowMode = 'object' } = options;
  if (!ROW_MODES.includes(rowMode)) throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, `Option rowMode must be one of ${ROW_MODES.map((m) => `'${m}'`).join(', ')}`);
  const resolvedAdapters = resolveAdapters(adapters);
  const resolvedConverters = resolveConverters(converters, resolvedAdapters?.dates === 's' ? 's' : 'ms');
  return Object.freeze({
    adapters: resolvedAdapters,
    converters: resolvedConverters,
    rowMode,
    plain: resolvedConverters === undefined && rowMode === 'object',
  });
}

/**
 * The tools of a handle whose database set none (a pool today): no adapters (values SQLite cannot bind are refused, as
 * without the tools), no converters, object rows. A call's own options still apply.
 */
export const DEFAULT_TOOLS: QueryTools = resolveQueryTools({ adapters: false });

const callAdapterCache = new WeakMap<object, ParamAdapters | undefined>();
const callConverterCache = new WeakMap<QueryTools, WeakMap<object, ConverterSet | undefined>>();

/** The adapters of one call: the call's own (`adapters` option) or the database's. */
export function callAdapters(tools: QueryTools, call: { readonly adapters?: AdapterOptions | boolean } | undefined): ParamAdapters | undefined {
  const option = call?.adapters;
  if (option === undefined) return tools.adapters;
  if (typeof option !== 'object' || option === null) return resolveAdapters(option);
  if (!callAdapterCache.has(option)) callAdapterCache.set(option, resolveAdapters(option));
  return callAdapterCache.get(option);
}

/**
 * The converters of one call: the database's, with the call's `converters` layered on top (a call that gives some
 * on a database without any starts from the built-in table unless it says `builtins: false`); `false` for none.
 * Compiled once per options object.
 */
export function callConverters(tools: QueryTools, call: { readonly converters?: ConverterOptions | boolean } | undefined): ConverterSet | undefined {
  const option = call?.converters;
  if (option === undefined) return tools.converters;
  if (option === false) return undefined;
  if (option === true) return tools.converters ?? resolveConverters(true);
  let cache = callConverterCache.get(tools);
  if (cache === undefined) callConverterCache.set(tools, (cache = new WeakMap()));
  if (!cache.has(option)) cache.set(option, tools.converters === undefined ? resolveConverters(option) : tools.converters.with(option));
  return cache.get(option);
}

/** Steps (1) and (2): the SQL and parameters the engine receives. Returns the same objects when nothing changed. */
export function encodeCall<P>(tools: QueryTools, sql: string, params: P, call?: { readonly adapters?: AdapterOptions | boolean }): { sql: string; params: P } {
  const adapters = callAdapters(tools, call);
  const expanded = expandArrayParams(sql, params, adapters);
  const adapted = adaptParams(expanded.params, adapters, expanded.sql);
  return adapted === expanded.params ? expanded : { sql: expanded.sql, params: adapted };
}

/** {@link encodeCall} for `runMany`: one SQL text for every parameter set. */
export function encodeMany<P>(tools: QueryTools, sql: string, paramsList: readonly P[], call?: { readonly adapters?: AdapterOptions | boolean }): { sql: string; params: P[] } {
  const adapters = callAdapters(tools, call);
  const expanded = expandArrayParamsMany(sql, paramsList, adapters);
  return { sql: expanded.sql, params: expanded.params.map((p) => adaptParams(p, adapters, expanded.sql)) };
}

/** Steps (5) to (7) over array rows and their columns, as `values()` returns them. */
export function decodeRows(tools: QueryTools, columns: readonly ColumnInfo[], rows: unknown[][], call: (RowShapeOptions & { readonly converters?: ConverterOptions | boolean }) | undefined, integers: IntegerMode): unknown[] {
  const convert = compileConverters(columns, callConverters(tools, call), integers);
  if (convert !== undefined) for (const row of rows) convert(row, 0);
  return shapeRows(columns, rows, resolveShape(call, tools.rowMode));
}

const AS_IS = Object.freeze({ adapters: false, converters: false });

/**
 * Splits a call's options into the engine's and the tools'. The wrapper adapts and converts itself, so the handle
 * underneath (whose own tools are built in now) is told to bind and read values as they are.
 */
function engineOptions(options: ToolQueryOptions & RowShapeOptions | undefined, kind: 'run' | 'read' | 'plain' = 'read'): QueryOptions & IterateOptions | undefined {
  const asIs = kind === 'plain' ? undefined : kind === 'run' ? { adapters: false } : AS_IS;
  if (options === undefined) return asIs as QueryOptions | undefined;
  const out: Record<string, unknown> = { ...options };
  for (const key of Object.keys(options)) if (TOOL_KEYS.has(key)) delete out[key];
  return { ...out, ...asIs } as QueryOptions;
}

type AnyCall = ToolQueryOptions & RowShapeOptions;

/** `(sql, params, options)` or `(query, options)`. */
function args(first: unknown, second: unknown, third: unknown): { sql: string; params: unknown; options: AnyCall | undefined } {
  if (isSqlQuery(first)) return { sql: first.sql, params: first.params, options: second as AnyCall | undefined };
  return { sql: first as string, params: second, options: third as AnyCall | undefined };
}

/** The options of {@link withQueryTools}: the database's tool options, plus its `integers` mode (for JSON integers). */
export interface WithQueryToolsOptions extends QueryToolsOptions {
  /** The database's `integers` mode, which the JSON converter follows when a call does not set its own. Default `'number'`. */
  readonly integers?: IntegerMode;
}

/** Options of `paginate` on a handle with the tools: row shapes and converters apply to the page's rows. */
export type ToolPaginateOptions = Omit<PaginateOptions, 'params'> & RowShapeOptions & {
  readonly params?: BindParams;
  readonly converters?: ConverterOptions | boolean;
  readonly adapters?: AdapterOptions | boolean;
};

/**
 * A handle with the query tools: the final query API, implemented over a `Queryable` (a database, a transaction or a
 * pool). `get` and `all` read through `values()` (array rows with column metadata), `iterate` through `prepare()` (for
 * the columns) and the handle's `iterate`.
 */
export interface ToolsHandle<D extends RowMode = 'object'> {
  /** The handle underneath. */
  readonly base: Queryable;
  exec(sql: string, options?: QueryOptions): Promise<void>;
  run(sql: string | SqlQuery, params?: BindParams, options?: ToolQueryOptions): Promise<RunResult>;
  runMany(sql: string, paramsList: readonly BindParams[], options?: ToolQueryOptions): Promise<RunManyResult>;
  readonly get: ShapedMethod<'get', D>;
  readonly all: ShapedMethod<'all', D>;
  readonly iterate: ShapedMethod<'iterate', D>;
  values<V extends unknown[] = unknown[]>(sql: string | SqlQuery, params?: BindParams, options?: ToolQueryOptions): Promise<ValuesResult<V>>;
  transaction<T>(callback: (tx: ToolsHandle<D>) => Promise<T> | T, options?: TransactionOptions): Promise<T>;
  /** The new rowid of an INSERT; see {@link insert}. */
  insert(sql: string | SqlQuery, params?: BindParams, options?: ToolQueryOptions): Promise<number | bigint | undefined>;
  /** The first column of the first row (converted); see {@link scalar}. */
  scalar<T = unknown>(sql: string | SqlQuery, params?: BindParams, options?: ToolQueryOptions): Promise<T | undefined>;
  /** Whether the query returns a row; see {@link exists}. */
  exists(sql: string | SqlQuery, params?: BindParams, options?: ToolQueryOptions): Promise<boolean>;
  /** One page of a keyset-paginated query; see {@link paginate}. */
  paginate<R = Row>(query: string | SqlQuery, options: ToolPaginateOptions): Promise<Page<R>>;
}

class ToolsIterator implements AsyncIterableIterator<unknown>, AsyncDisposable {
  readonly #open: () => Promise<{ inner: AsyncIterableIterator<Row>; shape: (row: Row) => unknown }>;
  #state: Promise<{ inner: AsyncIterableIterator<Row>; shape: (row: Row) => unknown }> | undefined;
  #done = false;

  constructor(open: () => Promise<{ inner: AsyncIterableIterator<Row>; shape: (row: Row) => unknown }>) {
    this.#open = open;
  }

  async next(): Promise<IteratorResult<unknown, undefined>> {
    if (this.#done) return { done: true, value: undefined };
    this.#state ??= this.#open();
    const { inner, shape } = await this.#state;
    const step = await inner.next();
    if (step.done === true) return { done: true, value: undefined };
    try {
      return { done: false, value: shape(step.value) };
    } catch (err) {
      await this.return();
      throw err;
    }
  }

  async return(): Promise<IteratorReturnResult<undefined>> {
    this.#done = true;
    const state = await this.#state?.catch(() => undefined);
    await state?.inner.return?.();
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }
}

/**
 * Wraps a handle (a database, a transaction, a pool) with the query tools, as before they were built into the
 * handles. It adapts and converts itself and tells the handle underneath to bind and read values as they are.
 *
 * @deprecated The engine's handles take these options and methods directly (`open(path, { converters: true })`,
 * `db.all(sql, params, { pluck: true })`, `db.insert(…)`): use them, without the wrapper's extra round trips.
 *
 * @example
 * ```ts
 * const db = withQueryTools(await open('app.db'), { converters: true });
 * const ids = await db.all('SELECT id FROM users WHERE team IN (?)', [['red', 'blue']], { pluck: true });
 * ```
 */
export function withQueryTools<D extends RowMode = 'object'>(db: Queryable, options: WithQueryToolsOptions & { readonly rowMode?: D } = {}): ToolsHandle<D> {
  const { integers: defaultIntegers = 'number', ...rest } = options;
  const tools = resolveQueryTools(rest);
  return handle<D>(db, tools, defaultIntegers);
}

function handle<D extends RowMode>(db: Queryable, tools: QueryTools, defaultIntegers: IntegerMode): ToolsHandle<D> {
  const modeOf = (options: QueryOptions | undefined): IntegerMode => options?.integers ?? defaultIntegers;

  const rows = async (first: unknown, second: unknown, third: unknown): Promise<unknown[]> => {
    const { sql, params, options } = args(first, second, third);
    const call = encodeCall(tools, sql, params, options);
    const result = await db.values(call.sql, call.params as Params, engineOptions(options));
    return decodeRows(tools, result.columns, result.rows, options, modeOf(options));
  };

  const iterate = (first: unknown, second: unknown, third: unknown) => {
    const { sql, params, options } = args(first, second, third);
    return new ToolsIterator(async () => {
      const call = encodeCall(tools, sql, params, options);
      const { chunkSize: _chunkSize, ...prepareOptions } = engineOptions(options, 'plain') ?? {};
      const statement = await db.prepare(call.sql, prepareOptions);
      const columns = statement.columns;
      const convert = compileObjectConverters(columns, callConverters(tools, options), modeOf(options));
      const shape: ResolvedShape = resolveShape(options, tools.rowMode);
      const build = rowBuilder(columns, shape.shape);
      const names = columns.map((c) => c.name);
      const map = shape.map;
      const inner = db.iterate<Row>(call.sql, call.params as Params, engineOptions(options));
      return {
        inner,
        shape: (row: Row) => {
          const converted = convert === undefined ? row : convert(row);
          // Object rows lose duplicate column names; the wired engine builds shapes from the cells instead.
          const shaped = shape.shape === 'object' ? converted : build(names.map((n) => converted[n]), 0);
          return map === undefined ? shaped : map(shaped);
        },
      };
    });
  };

  const self: ToolsHandle<D> = {
    base: db,
    exec: (sql, options) => db.exec(sql, options),
    run: async (first, second, third) => {
      const { sql, params, options } = args(first, second, third);
      const call = encodeCall(tools, sql, params, options);
      return db.run(call.sql, call.params as Params, engineOptions(options, 'run'));
    },
    runMany: async (sql, paramsList, options) => {
      const call = encodeMany(tools, sql, paramsList, options);
      return db.runMany(call.sql, call.params as Params[], engineOptions(options, 'run'));
    },
    get: (async (first: unknown, second: unknown, third: unknown) => (await rows(first, second, third))[0]) as never,
    all: rows as never,
    iterate: iterate as never,
    values: async <V extends unknown[]>(first: string | SqlQuery, second?: unknown, third?: unknown) => {
      const { sql, params, options } = args(first, second, third);
      const call = encodeCall(tools, sql, params, options);
      const result = await db.values<V>(call.sql, call.params as Params, engineOptions(options));
      const convert = compileConverters(result.columns, callConverters(tools, options), modeOf(options));
      if (convert !== undefined) for (const row of result.rows) convert(row, 0);
      return result;
    },
    transaction: (callback, options) => db.transaction((tx: Transaction) => callback(handle<D>(tx, tools, defaultIntegers)), options),
    insert: async (first, second, third) => {
      const { sql, params, options } = args(first, second, third);
      const call = encodeCall(tools, sql, params, options);
      return insert(db, call.sql, call.params as Params, engineOptions(options, 'run'));
    },
    scalar: async <T>(first: string | SqlQuery, second?: unknown, third?: unknown) => {
      const { sql, params, options } = args(first, second, third);
      const call = encodeCall(tools, sql, params, options);
      const result = await db.values(call.sql, call.params as Params, engineOptions(options));
      const convert = compileConverters(result.columns, callConverters(tools, options), modeOf(options));
      const row = result.rows[0];
      if (row === undefined) return undefined;
      convert?.(row, 0);
      return row[0] as T;
    },
    exists: async (first, second, third) => {
      const { sql, params, options } = args(first, second, third);
      const call = encodeCall(tools, sql, params, options);
      return (await db.get(call.sql, call.params as Params, engineOptions(options))) !== undefined;
    },
    paginate: async <R>(query: string | SqlQuery, options: ToolPaginateOptions) => {
      if (typeof options !== 'object' || options === null) throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, 'paginate() needs options with orderBy');
      const { rowMode, pluck, expand, map, converters, adapters, params: given, ...pageOptions } = options;
      const shapeOptions = { rowMode, pluck, expand, map, converters };
      const text = isSqlQuery(query) ? query.sql : query;
      if (isSqlQuery(query) && given !== undefined) throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, 'A query made by the sql tag carries its parameters: do not give params');
      const call = encodeCall(tools, text, isSqlQuery(query) ? query.params : given, adapters === undefined ? undefined : { adapters });
      const page = await paginate<R>(db, call.sql, { ...pageOptions, ...(call.params === undefined ? {} : { params: call.params as Params }) }, (columns, raw) =>
        decodeRows(tools, columns, raw.map((r) => r.slice()), shapeOptions as RowShapeOptions, modeOf(pageOptions)) as R[],
      );
      return page;
    },
  };
  return Object.freeze(self);
}
