/**
 * Value adapters, JavaScript → SQLite: turn parameters SQLite cannot bind as they are (a `Date`, a boolean, a `URL`, a
 * plain object, a class of yours) into values it can, on the caller's thread (closures cannot cross threads).
 */
import { ErrorCodes } from '../errors/codes.ts';
import { RapsqliteError } from '../errors/rapsqlite-error.ts';
import type { SqlValue } from '../types.ts';
import { QueryToolsErrorCodes } from './codes2.ts';
import { isPlainObject, stringifyJson } from './json-text.ts';

/** The ways the built-in `Date` adapter writes a time, as an `as const` tuple. */
export const DATE_FORMATS = ['iso', 'sqlite', 'ms', 's'] as const;

/**
 * How the `Date` adapter writes a time: `'iso'` (default) is `date.toISOString()`, `2026-03-01T09:30:00.000Z`;
 * `'sqlite'` is the UTC text of SQLite's own date functions and `CURRENT_TIMESTAMP`, `2026-03-01 09:30:00.000`, which
 * compares correctly with them as text; `'ms'` is epoch milliseconds; `'s'` is whole epoch seconds, as `unixepoch()`
 * gives (milliseconds are dropped). Both numbers are bound as INTEGERs (bigints), whatever the column's affinity.
 */
export type DateFormat = (typeof DATE_FORMATS)[number];

/**
 * A value that a query method binds once adapters are on: SQLite's own values plus what the built-in adapters and
 * your adapters turn into one. Anything else is refused with `ERR_RAPSQLITE_PARAMETER_TYPE`.
 */
export type BindValue = SqlValue | boolean | Date | URL | object;

/** Parameters made of {@link BindValue}s: an array for positional, an object for named, or a single value. */
export type BindParams = readonly BindValue[] | { readonly [name: string]: BindValue } | BindValue;

/**
 * A user adapter: which values it takes, matched by class (`instanceof`) or by a predicate, and the function that
 * turns such a value into one SQLite can bind. Adapters see only values SQLite cannot bind as they are (never a
 * string, number, bigint, null or Buffer), so they cost nothing for ordinary parameters.
 *
 * @example
 * ```ts
 * const money: ValueAdapter<Money> = { type: Money, adapt: (m) => m.cents };
 * const point: ValueAdapter = { test: (v) => typeof v === 'object' && v !== null && 'lat' in v, adapt: (p) => JSON.stringify(p) };
 * ```
 */
export type ValueAdapter<T = unknown> = {
  /** A name for error messages; default: the class's name, or `'custom'`. */
  readonly name?: string;
  /**
   * Turns a matching value into an SQLite value. A throw fails the call with `ERR_RAPSQLITE_PARAMETER_ADAPTER`.
   * (Method syntax on purpose: an adapter of `Money` then fits a list of adapters of any type.)
   */
  adapt(value: T): SqlValue;
} & (
  | { readonly type: abstract new (...args: never[]) => T; readonly test?: never }
  | { readonly test: (value: unknown) => boolean; readonly type?: never }
);

/** Options of the value adapters, per database (`open(path, { adapters })`) or per call. */
export interface AdapterOptions {
  /** How a `Date` is written ({@link DateFormat}); `false` refuses Dates. Default `'iso'`. */
  readonly dates?: DateFormat | false;
  /** `true` → 1, `false` → 0, bound as INTEGERs. Default true. */
  readonly booleans?: boolean;
  /** A `URL` is written as its `href`. Default true. */
  readonly urls?: boolean;
  /**
   * Plain objects and arrays (outside `IN (?)` lists) are written as JSON text, bigints as exact integers. Off by
   * default: a stray object is more often a mistake than a document.
   */
  readonly json?: boolean;
  /** Your adapters, tried in order before the built-ins (so one for `Date` replaces the built-in). */
  readonly custom?: readonly ValueAdapter[];
}

const ADAPTER_KEYS: ReadonlySet<string> = new Set(['dates', 'booleans', 'urls', 'json', 'custom']);

function invalid(message: string): never {
  throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, message);
}

interface CustomAdapter {
  readonly name: string;
  readonly matches: (value: unknown) => boolean;
  readonly adapt: (value: never) => SqlValue;
}

/** True for the values SQLite binds as they are (range and encoding are checked later, by the engine). */
export function isSqlValue(value: unknown): value is SqlValue {
  switch (typeof value) {
    case 'number':
    case 'string':
    case 'bigint':
      return true;
    case 'object':
      return value === null || value instanceof Uint8Array;
    default:
      return false;
  }
}

/** Where a value sits: its parameter (name or 1-based position) and, inside an `IN (?)` array, its element. */
export interface ValuePlace {
  readonly parameter: string;
  readonly named: boolean;
  readonly element?: number;
}

function placeText(place: ValuePlace): string {
  const parameter = place.named ? `"${place.parameter}"` : place.parameter;
  return place.element === undefined ? `Parameter ${parameter}` : `Parameter ${parameter}, element ${place.element}`;
}

/** The error for a failed adapter: names the parameter and the adapter, never the value. */
function adapterError(place: ValuePlace, adapter: string, problem: string, sql: string, cause?: unknown): RapsqliteError {
  const error = new RapsqliteError(
    QueryToolsErrorCodes.PARAMETER_ADAPTER,
    `${placeText(place)}: the ${adapter} adapter ${problem}`,
    cause === undefined ? { sql } : { sql, cause },
  );
  Object.defineProperty(error, 'parameter', { value: place.parameter, enumerable: true });
  if (place.element !== undefined) Object.defineProperty(error, 'element', { value: place.element, enumerable: true });
  return error;
}

function sqliteText(iso: string): string {
  // toISOString() is YYYY-MM-DDTHH:MM:SS.sssZ for years 0–9999; SQLite's form swaps the T and drops the Z.
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

/**
 * A compiled set of adapters: the built-ins that are on and your adapters, checked once. Made by
 * {@link resolveAdapters}; frozen.
 */
export class ParamAdapters {
  readonly #dates: DateFormat | false;
  readonly #booleans: boolean;
  readonly #urls: boolean;
  readonly #json: boolean;
  readonly #custom: readonly CustomAdapter[];

  /** @internal Use {@link resolveAdapters}. */
  constructor(dates: DateFormat | false, booleans: boolean, urls: boolean, json: boolean, custom: readonly CustomAdapter[]) {
    this.#dates = dates;
    this.#booleans = booleans;
    this.#urls = urls;
    this.#json = json;
    this.#custom = custom;
    Object.freeze(this);
  }

  /** The date format in use, or false when Dates are refused (the DATE converter reads numbers in the same unit). */
  get dates(): DateFormat | false {
    return this.#dates;
  }

  /**
   * Adapts one value that is not an SQLite value. Returns the value unchanged when no adapter takes it, so the
   * engine's parameter check refuses it with its usual `ERR_RAPSQLITE_PARAMETER_TYPE` naming the parameter.
   */
  adapt(value: unknown, place: ValuePlace, sql: string): unknown {
    for (const adapter of this.#custom) {
      let matched: boolean;
      try {
        matched = adapter.matches(value);
      } catch (err) {
        throw adapterError(place, `"${adapter.name}"`, 'failed to test the value', sql, err);
      }
      if (!matched) continue;
      let out: unknown;
      try {
        out = adapter.adapt(value as never);
      } catch (err) {
        throw adapterError(place, `"${adapter.name}"`, 'threw', sql, err);
      }
      if (!isSqlValue(out)) throw adapterError(place, `"${adapter.name}"`, `returned ${describe(out)}, not an SQLite value`, sql);
      return out;
    }
    if (value instanceof Date && this.#dates !== false) {
      const ms = value.getTime();
      if (Number.isNaN(ms)) throw adapterError(place, 'Date', 'got an invalid Date (its time is NaN)', sql);
      switch (this.#dates) {
        // Bigints, because better-sqlite3 binds every number as a REAL: a TEXT column would store `1772357400123.0`.
        case 'ms':
          return BigInt(ms);
        case 's':
          return BigInt(Math.floor(ms / 1000));
        case 'sqlite': {
          const year = value.getUTCFullYear();
          if (year < 0 || year > 9999) throw adapterError(place, 'Date', "got a year outside 0–9999, which SQLite's date text cannot hold", sql);
          return sqliteText(value.toISOString());
        }
        default:
          return value.toISOString();
      }
    }
    if (typeof value === 'boolean' && this.#booleans) return value ? 1n : 0n;
    if (value instanceof URL && this.#urls) return value.href;
    if (this.#json && (Array.isArray(value) || isPlainObject(value))) {
      try {
        return stringifyJson(value);
      } catch (err) {
        throw adapterError(place, 'JSON', 'could not write the value as JSON', sql, err);
      }
    }
    return value;
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'object') return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
  return `a ${typeof value}`;
}

function customAdapter(adapter: unknown, index: number): CustomAdapter {
  if (typeof adapter !== 'object' || adapter === null) invalid(`Adapter ${index + 1} must be an object { type | test, adapt }`);
  const { type, test, adapt, name } = adapter as { type?: unknown; test?: unknown; adapt?: unknown; name?: unknown };
  if (typeof adapt !== 'function') invalid(`Adapter ${index + 1} needs an adapt(value) function`);
  if ((type === undefined) === (test === undefined)) invalid(`Adapter ${index + 1} needs exactly one of type (a class) or test (a predicate)`);
  if (type !== undefined && typeof type !== 'function') invalid(`Adapter ${index + 1}: type must be a class`);
  if (test !== undefined && typeof test !== 'function') invalid(`Adapter ${index + 1}: test must be a function`);
  if (name !== undefined && typeof name !== 'string') invalid(`Adapter ${index + 1}: name must be a string`);
  const cls = type as (abstract new (...args: never[]) => unknown) | undefined;
  const predicate = test as ((value: unknown) => boolean) | undefined;
  return Object.freeze({
    name: (name as string | undefined) ?? (cls?.name || 'custom'),
    matches: cls === undefined ? (value: unknown) => predicate?.(value) === true : (value: unknown) => value instanceof cls,
    adapt: adapt as (value: never) => SqlValue,
  });
}

const DEFAULT_ADAPTERS = new ParamAdapters('iso', true, true, false, []);

/**
 * Checks adapter options and compiles them. `undefined` gives the defaults (Dates as ISO-8601 text, booleans as 1/0,
 * URLs as text, JSON off); `false` gives none (every such value is refused, as without adapters). Throws
 * `ERR_RAPSQLITE_INVALID_ARGUMENT` for a bad option. The caller's objects are copied.
 *
 * @example
 * ```ts
 * const adapters = resolveAdapters({ dates: 'ms', json: true, custom: [{ type: Money, adapt: (m) => m.cents }] });
 * ```
 */
export function resolveAdapters(options: AdapterOptions | boolean | undefined): ParamAdapters | undefined {
  if (options === undefined || options === true) return DEFAULT_ADAPTERS;
  if (options === false) return undefined;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) invalid('Option adapters must be an object, true or false');
  for (const key of Object.keys(options)) {
    if (!ADAPTER_KEYS.has(key)) invalid(`Unknown adapters option "${key}"`);
  }
  const { dates = 'iso', booleans = true, urls = true, json = false, custom = [] } = options;
  if (dates !== false && !DATE_FORMATS.includes(dates)) invalid(`Option adapters.dates must be one of ${DATE_FORMATS.map((f) => `'${f}'`).join(', ')} or false`);
  for (const [name, flag] of [['booleans', booleans], ['urls', urls], ['json', json]] as const) {
    if (typeof flag !== 'boolean') invalid(`Option adapters.${name} must be a boolean`);
  }
  if (!Array.isArray(custom)) invalid('Option adapters.custom must be an array');
  return new ParamAdapters(dates, booleans, urls, json, Object.freeze(custom.map(customAdapter)));
}

/** True when `value` needs an adapter (or the engine's refusal): it is not an SQLite value. */
function needsAdapter(value: unknown): boolean {
  return !isSqlValue(value);
}

/**
 * Adapts the parameters of one call: every value that is not an SQLite value goes through `adapters` (see
 * {@link ParamAdapters.adapt}). Returns `params` itself when nothing needed adapting (no copy, no allocation), else a
 * copy; the caller's array or object is never changed. Run it before the engine's parameter check; values no adapter
 * takes are left for that check to refuse by name.
 */
export function adaptParams<P>(params: P, adapters: ParamAdapters | undefined, sql: string): P {
  if (adapters === undefined || params === undefined) return params;
  if (Array.isArray(params)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < params.length; i++) {
      const value: unknown = params[i];
      if (!needsAdapter(value)) continue;
      const adapted = adapters.adapt(value, { parameter: `${i + 1}`, named: false }, sql);
      if (adapted === value) continue;
      out ??= params.slice();
      out[i] = adapted;
    }
    return (out ?? params) as P;
  }
  if (isPlainObject(params)) {
    let out: Record<string, unknown> | undefined;
    for (const key in params) {
      const value = params[key];
      if (!needsAdapter(value)) continue;
      const adapted = adapters.adapt(value, { parameter: key, named: true }, sql);
      if (adapted === value) continue;
      out ??= { ...params };
      // A key named __proto__ must stay a data property (plain assignment would set the prototype).
      Object.defineProperty(out, key, { value: adapted, writable: true, enumerable: true, configurable: true });
    }
    return (out ?? params) as P;
  }
  // A single value for a statement with one `?`.
  return (needsAdapter(params) ? adapters.adapt(params, { parameter: '1', named: false }, sql) : params) as P;
}
