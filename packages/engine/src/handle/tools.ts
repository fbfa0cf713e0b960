/**
 * The query tools as the terminal applies them to one call: parameters encoded (array parameters for `IN (?)`, value
 * adapters) before the engine's own check, and rows decoded (converters, row shape, `map`) after the connection
 * answers. A call that needs none of it, the common case, takes the engine's own path unchanged: one pass over its
 * parameters (the check the engine makes anyway) and a few property reads of its options.
 */
import { compileConverters, type ConverterOptions, type ConverterSet } from '../toolbox/converters.ts';
import { callConverters, DEFAULT_TOOLS, encodeCall, encodeMany, type QueryTools } from '../toolbox/query-tools.ts';
import { resolveShape, rowBuilder, type ResolvedShape, type RowShapeOptions } from '../toolbox/row-shapes.ts';
import type { AdapterOptions } from '../toolbox/adapters.ts';
import type { ColumnInfo, IntegerMode, Params, QueryOptions, Row } from '../types.ts';
import type { Core } from './core.ts';
import { bindsAsIs, checkParams } from './params.ts';

/** A call's options as the tools read them. */
type ToolCall = QueryOptions &
  RowShapeOptions & {
    readonly adapters?: AdapterOptions | boolean;
    readonly converters?: ConverterOptions | boolean;
  };

/** The tools of the handle's database: its own, or the defaults (a provider that sets none, such as a pool today). */
export function toolsOf(core: Core): QueryTools {
  return core.settings.tools ?? DEFAULT_TOOLS;
}

/**
 * The SQL and parameters a call sends, checked: unchanged when every parameter binds as it is; else with its `IN
 * (?)` arrays expanded and its values adapted, then checked by the engine (which refuses what no adapter took, naming
 * the parameter). Throws before anything is sent, so a failing adapter writes nothing.
 */
export function encodeParams(core: Core, sql: string, params: unknown, options: QueryOptions): { sql: string; params: Params | undefined } {
  if (bindsAsIs(params)) return { sql, params: params as Params | undefined };
  const call = encodeCall(toolsOf(core), sql, params, options as ToolCall);
  checkParams(call.params, call.sql);
  return call as { sql: string; params: Params | undefined };
}

/** {@link encodeParams} for `runMany`'s parameter sets: one SQL text for all of them. */
export function encodeParamsList(core: Core, sql: string, list: readonly unknown[], options: QueryOptions): { sql: string; params: readonly unknown[] } {
  let plain = true;
  for (let i = 0; i < list.length && plain; i++) plain = bindsAsIs(list[i]);
  if (plain) return { sql, params: list };
  const call = encodeMany(toolsOf(core), sql, list, options as ToolCall);
  for (const set of call.params) checkParams(set, call.sql);
  return call;
}

/** How the rows of a read come back when the tools change them. */
export interface ReadPlan {
  /** The rows travel as cells with their columns' metadata: converters need declared types, shapes the column order. */
  readonly cells: boolean;
  readonly converters: ConverterSet | undefined;
  readonly shape: ResolvedShape;
  readonly integers: IntegerMode;
}

/**
 * What a `get`, `all` or `iterate` call needs done to its rows, or undefined when nothing: no converters, object
 * rows and no `map` (a few property reads on the call's options when the database sets no converters and no row mode).
 */
export function readPlan(core: Core, options: QueryOptions, integers: IntegerMode): ReadPlan | undefined {
  const tools = toolsOf(core);
  const call = options as ToolCall;
  if (tools.plain && call.converters === undefined && call.rowMode === undefined && call.pluck === undefined && call.expand === undefined && call.map === undefined) {
    return undefined;
  }
  const converters = callConverters(tools, call);
  const shape = resolveShape(call, tools.rowMode);
  if (converters === undefined && shape.shape === 'object' && shape.map === undefined) return undefined;
  return { cells: converters !== undefined || shape.shape !== 'object', converters, shape, integers };
}

/** The converters of a `values` call, or undefined when none apply. */
export function valuesConverters(core: Core, options: QueryOptions): ConverterSet | undefined {
  return callConverters(toolsOf(core), options as ToolCall);
}

/** Converts the cells of `values()` rows in place. */
export function convertValues(columns: readonly ColumnInfo[], rows: unknown[][], converters: ConverterSet, integers: IntegerMode): void {
  const convert = compileConverters(columns, converters, integers);
  if (convert !== undefined) for (const row of rows) convert(row, 0);
}

/**
 * Builds, once per result, the function that turns its rows into what the call returns: cells (arrays in column
 * order) through the converters, the row shape and `map`; or, with `objects`, row objects (from a connection that
 * sends no cells) read back into cells by column name first.
 */
export function rowsBuilder(columns: readonly ColumnInfo[], plan: ReadPlan, objects = false): (rows: readonly unknown[]) => unknown[] {
  const map = plan.shape.map;
  if (!plan.cells) return (rows) => (map === undefined ? rows.slice() : rows.map((row) => map(row)));
  const convert = compileConverters(columns, plan.converters, plan.integers);
  const build = rowBuilder(columns, plan.shape.shape);
  const names = columns.map((c) => c.name);
  return (rows) => {
    const out = new Array<unknown>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const cells = objects ? names.map((name) => (rows[i] as Row)[name]) : (rows[i] as unknown[]);
      convert?.(cells, 0);
      const row = build(cells, 0);
      out[i] = map === undefined ? row : map(row);
    }
    return out;
  };
}
