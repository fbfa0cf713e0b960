/**
 * Array parameters for `IN (?)`: an array bound where the SQL says `IN (?)` (or `IN (:name)`) is sent as one JSON
 * text parameter, and the list becomes a subquery over SQLite's `json_each`, so the SQL text (and the prepared
 * statement in the worker's cache) is the same whatever the array's length, from 0 elements to millions.
 *
 * - `x IN (?)` becomes `x IN (SELECT +value FROM json_each(?))`. The unary `+` gives the list no affinity, so the
 *   comparison applies `x`'s affinity exactly as a literal list `x IN (1, 2)` does (without it, a TEXT column would not
 *   match numbers).
 * - `(a, b) IN (?)` with an array of pairs becomes `(a, b) IN (SELECT value->>0, value->>1 FROM json_each(?))`.
 * - `NOT IN` works the same way; an empty array gives `IN` → no row, `NOT IN` → every row, as SQLite's `IN ()` does.
 *
 * SQLite uses an index on `x` (or on `(a, b)`) for the lookup: `SEARCH t USING INDEX … (x=?)` and `LIST SUBQUERY`.
 */
import { ErrorCodes } from '../errors/codes.ts';
import { RapsqliteError } from '../errors/rapsqlite-error.ts';
import { tokenizeSql, type SqlToken } from '../sql/tokenize.ts';
import type { ParamAdapters, ValuePlace } from './adapters.ts';
import { QueryToolsErrorCodes } from './codes2.ts';
import { isPlainObject } from './json-text.ts';

/** One `IN (?)` site of a statement. */
interface InSite {
  /** Offsets of `(` and just past `)` around the parameter: the text the subquery replaces. */
  readonly start: number;
  readonly end: number;
  /** The parameter's text as written (`?`, `?3`, `:ids`), kept so SQLite numbers parameters as before. */
  readonly text: string;
  /** The parameter: its 0-based position in a positional array, or its name. */
  readonly key: number | string;
  /** 1 for `x IN (?)`; the row value's width for `(a, b) IN (?)`. */
  readonly arity: number;
}

/** What a statement's text says about `IN (?)`: the sites, and the parameters also used elsewhere. */
interface InPlan {
  readonly sites: readonly InSite[];
  /** Parameters (position or name) that also appear outside an `IN (?)` list. */
  readonly elsewhere: ReadonlySet<number | string>;
  /** The rewritten text per set of sites bound to arrays (a string of 0/1 per site). */
  readonly variants: Map<string, string>;
}

const NO_PLAN: InPlan = Object.freeze({ sites: [], elsewhere: new Set<number | string>(), variants: new Map<string, string>() });
const PLAN_LIMIT = 512;
const plans = new Map<string, InPlan>();

/** Keywords after which `(` opens an expression (a row value), not a function's arguments. */
const EXPRESSION_KEYWORDS: ReadonlySet<string> = new Set([
  'WHERE', 'AND', 'OR', 'NOT', 'ON', 'WHEN', 'THEN', 'ELSE', 'HAVING', 'SELECT', 'DISTINCT', 'ALL', 'CASE', 'RETURNING', 'BY', 'SET', 'IS',
]);

function significant(tokens: readonly SqlToken[]): SqlToken[] {
  return tokens.filter((t) => t.kind !== 'whitespace' && t.kind !== 'comment');
}

/** The parameter each parameter token binds: a 0-based position, or a name, as SQLite numbers them. */
function parameterKeys(tokens: readonly SqlToken[]): Map<SqlToken, number | string> {
  const keys = new Map<SqlToken, number | string>();
  let highest = 0;
  for (const token of tokens) {
    if (token.kind !== 'parameter') continue;
    if (token.text === '?') {
      highest++;
      keys.set(token, highest - 1);
    } else if (token.text.startsWith('?')) {
      const slot = Number(token.text.slice(1));
      highest = Math.max(highest, slot);
      keys.set(token, slot - 1);
    } else {
      keys.set(token, token.text.slice(1));
    }
  }
  return keys;
}

/** The width of the row value ending at `tokens[close]` (a `)`), or 1 when it is not a row value. */
function leftArity(tokens: readonly SqlToken[], close: number): number {
  let depth = 0;
  let commas = 0;
  for (let i = close; i >= 0; i--) {
    const t = tokens[i] as SqlToken;
    if (t.text === ')') depth++;
    else if (t.text === '(') {
      depth--;
      if (depth === 0) {
        const before = tokens[i - 1];
        const opensExpression =
          before === undefined ||
          (before.kind === 'operator' && before.text !== ')') ||
          (before.kind === 'keyword' && EXPRESSION_KEYWORDS.has(before.text.toUpperCase()));
        return opensExpression ? commas + 1 : 1;
      }
    } else if (t.text === ',' && depth === 1) commas++;
  }
  return 1;
}

function planFor(sql: string): InPlan {
  const cached = plans.get(sql);
  if (cached !== undefined) return cached;
  const tokens = significant(tokenizeSql(sql));
  const keys = parameterKeys(tokens);
  const sites: InSite[] = [];
  const inside = new Set<SqlToken>();
  for (let i = 0; i + 3 < tokens.length; i++) {
    const [kw, open, param, close] = [tokens[i], tokens[i + 1], tokens[i + 2], tokens[i + 3]] as SqlToken[];
    if (kw!.kind !== 'keyword' || kw!.text.toUpperCase() !== 'IN' || open!.text !== '(' || param!.kind !== 'parameter' || close!.text !== ')') continue;
    let left = i - 1;
    if (tokens[left]?.kind === 'keyword' && tokens[left]?.text.toUpperCase() === 'NOT') left--;
    const arity = tokens[left]?.text === ')' ? leftArity(tokens, left) : 1;
    sites.push({ start: open!.start, end: close!.end, text: param!.text, key: keys.get(param!) as number | string, arity });
    inside.add(param!);
  }
  const elsewhere = new Set<number | string>();
  for (const [token, key] of keys) if (!inside.has(token)) elsewhere.add(key);
  const plan: InPlan = sites.length === 0 ? NO_PLAN : { sites, elsewhere, variants: new Map() };
  if (plans.size >= PLAN_LIMIT) plans.delete(plans.keys().next().value as string);
  plans.set(sql, plan);
  return plan;
}

function rewrite(sql: string, plan: InPlan, mask: string): string {
  let text = plan.variants.get(mask);
  if (text !== undefined) return text;
  text = '';
  let at = 0;
  plan.sites.forEach((site, i) => {
    if (mask[i] !== '1') return;
    const columns = site.arity === 1 ? '+value' : Array.from({ length: site.arity }, (_, k) => `value->>${k}`).join(', ');
    text += `${sql.slice(at, site.start)}(SELECT ${columns} FROM json_each(${site.text}))`;
    at = site.end;
  });
  text += sql.slice(at);
  plan.variants.set(mask, text);
  return text;
}

function arrayError(place: ValuePlace, problem: string, sql: string, code: string = QueryToolsErrorCodes.ARRAY_PARAMETER): RapsqliteError {
  const parameter = place.named ? `"${place.parameter}"` : place.parameter;
  const where = place.element === undefined ? `Parameter ${parameter}` : `Parameter ${parameter}, element ${place.element}`;
  const error = new RapsqliteError(code, `${where} ${problem}`, { sql });
  Object.defineProperty(error, 'parameter', { value: place.parameter, enumerable: true });
  if (place.element !== undefined) Object.defineProperty(error, 'element', { value: place.element, enumerable: true });
  return error;
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/** One list element as a JSON literal that `json_each` reads back as the same SQLite value. */
function elementJson(raw: unknown, at: () => ValuePlace, adapters: ParamAdapters | undefined, sql: string): string {
  let value = raw;
  if (adapters !== undefined && !(typeof value === 'number' || typeof value === 'string' || typeof value === 'bigint' || value === null)) {
    value = adapters.adapt(value, at(), sql);
  }
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) throw arrayError(at(), 'is NaN or infinite, which JSON cannot carry into an IN list', sql);
      return String(value);
    case 'bigint':
      if (value > INT64_MAX || value < INT64_MIN) throw arrayError(at(), "is a bigint outside SQLite's 64-bit integer range", sql, ErrorCodes.PARAMETER_TYPE);
      return value.toString();
    case 'string':
      if (!value.isWellFormed()) throw arrayError(at(), 'is a string that is not well-formed UTF-16 (it holds a lone surrogate)', sql, ErrorCodes.PARAMETER_ENCODING);
      return JSON.stringify(value);
    case 'object':
      if (value === null) return 'null';
      if (value instanceof Uint8Array) throw arrayError(at(), 'is a BLOB: an IN list travels as JSON, which has no bytes (compare hex(col) with hex strings)', sql);
      if (Array.isArray(value)) throw arrayError(at(), 'is an array: tuples need a row value on the left, as in (a, b) IN (?)', sql);
      break;
    default:
      break;
  }
  const kind = value === undefined ? 'undefined' : typeof value === 'object' ? `an object (${Object.prototype.toString.call(value).slice(8, -1)})` : `a ${typeof value}`;
  throw arrayError(at(), `is ${kind}; SQLite binds null, number, bigint and string in an IN list`, sql, ErrorCodes.PARAMETER_TYPE);
}

/** True for a list of finite numbers and well-formed strings, which JSON.stringify writes exactly as elementJson would. */
function plainList(list: readonly unknown[]): boolean {
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    if (typeof v === 'number' ? !Number.isFinite(v) : typeof v !== 'string' || !v.isWellFormed()) return false;
  }
  return true;
}

/** An array bound at an `IN (?)` site, as the JSON text `json_each` reads. */
function listJson(list: readonly unknown[], site: InSite, named: boolean, adapters: ParamAdapters | undefined, sql: string): string {
  if (site.arity === 1 && plainList(list)) return JSON.stringify(list);
  const parameter = typeof site.key === 'number' ? `${site.key + 1}` : site.key;
  const parts = new Array<string>(list.length);
  let element = 0;
  // The place is only built for an error or an adapter, not for every element.
  const at = (): ValuePlace => ({ parameter, named, element });
  for (let i = 0; i < list.length; i++) {
    element = i + 1;
    const item: unknown = list[i];
    if (site.arity === 1) {
      parts[i] = typeof item === 'number' && Number.isFinite(item) ? String(item) : elementJson(item, at, adapters, sql);
      continue;
    }
    if (!Array.isArray(item) || item.length !== site.arity) {
      throw arrayError(at(), `must be an array of ${site.arity} values, to match the row value on the left of IN`, sql);
    }
    parts[i] = `[${item.map((v: unknown) => elementJson(v, at, adapters, sql)).join(',')}]`;
  }
  return `[${parts.join(',')}]`;
}

/** The outcome of {@link expandArrayParams}: the SQL to run and its parameters. */
export interface ExpandedCall<P> {
  readonly sql: string;
  readonly params: P;
}

function hasArray(params: unknown): boolean {
  if (Array.isArray(params)) {
    for (let i = 0; i < params.length; i++) if (Array.isArray(params[i])) return true;
    return false;
  }
  if (isPlainObject(params)) {
    for (const key in params) if (Array.isArray(params[key])) return true;
  }
  return false;
}

/**
 * Rewrites `IN (?)` sites bound to arrays (see the module's description) and turns those arrays into JSON text.
 * Returns the same `sql` and `params` objects when no `IN (?)` site is bound to an array: the SQL is not even read
 * unless a parameter is an array. Elements go through `adapters` first (a Date in a list is written as the adapter
 * says). Arrays elsewhere are left for the JSON adapter (or the engine's refusal).
 *
 * Errors: `ERR_RAPSQLITE_ARRAY_PARAMETER` for a BLOB, NaN or infinite element, a tuple that does not match the row
 * value, or an array parameter that the SQL also uses outside an IN list; the engine's `PARAMETER_TYPE` and
 * `PARAMETER_ENCODING` for elements it would refuse as parameters. Each names the parameter and the element.
 *
 * @example
 * ```ts
 * expandArrayParams('SELECT * FROM t WHERE id IN (?)', [[1, 2, 3]], undefined);
 * // { sql: 'SELECT * FROM t WHERE id IN (SELECT +value FROM json_each(?))', params: ['[1,2,3]'] }
 * ```
 */
export function expandArrayParams<P>(sql: string, params: P, adapters: ParamAdapters | undefined): ExpandedCall<P> {
  if (!hasArray(params)) return { sql, params };
  const plan = planFor(sql);
  if (plan.sites.length === 0) return { sql, params };
  const named = !Array.isArray(params);
  const source = params as unknown as Record<string | number, unknown>;
  let mask = '';
  let out: Record<string | number, unknown> | unknown[] | undefined;
  for (const site of plan.sites) {
    const value = named ? (typeof site.key === 'string' && Object.hasOwn(source, site.key) ? source[site.key] : undefined) : source[site.key];
    if (!Array.isArray(value) || (named && typeof site.key !== 'string')) {
      mask += '0';
      continue;
    }
    mask += '1';
    if (plan.elsewhere.has(site.key)) {
      const parameter = typeof site.key === 'number' ? `${site.key + 1}` : site.key;
      throw arrayError({ parameter, named }, 'is an array bound to IN (?) and also used outside the IN list', sql);
    }
    out ??= named ? { ...(params as object) } : (params as unknown as unknown[]).slice();
    const json = listJson(value, site, named, adapters, sql);
    if (named) Object.defineProperty(out, site.key, { value: json, writable: true, enumerable: true, configurable: true });
    else (out as unknown[])[site.key as number] = json;
  }
  if (out === undefined) return { sql, params };
  return { sql: rewrite(sql, plan, mask), params: out as P };
}

/**
 * {@link expandArrayParams} for `runMany`: every parameter set must bind arrays at the same `IN (?)` sites (one SQL
 * text for the whole batch), else `ERR_RAPSQLITE_ARRAY_PARAMETER`.
 */
export function expandArrayParamsMany<P>(sql: string, paramsList: readonly P[], adapters: ParamAdapters | undefined): ExpandedCall<P[]> {
  let text: string | undefined;
  let changed = false;
  const out = paramsList.map((params, index) => {
    const call = expandArrayParams(sql, params, adapters);
    if (text !== undefined && call.sql !== text) {
      const error = new RapsqliteError(QueryToolsErrorCodes.ARRAY_PARAMETER, `runMany: parameter set ${index + 1} binds arrays to other IN (?) lists than the first set`, { sql });
      Object.defineProperty(error, 'index', { value: index, enumerable: true });
      throw error;
    }
    text = call.sql;
    if (call.params !== params) changed = true;
    return call.params;
  });
  return { sql: text ?? sql, params: changed ? out : (paramsList as P[]) };
}
