import type { Params, SqlValue } from '@rapsqlite/engine';
import type { SqlPlan } from './sql-plan.ts';

/** A value node-sqlite3 leaves unbound (`undefined`, a symbol): SQLite then reads NULL. */
export const UNBOUND: unique symbol = Symbol('unbound');

const OBJECT_TEXT = '[object Object]';

/**
 * Converts one JavaScript value the way node-sqlite3's `BindParameter` does: strings as TEXT, a RegExp as its
 * source text, an integral number that fits 32 bits as INTEGER and any other number as REAL, booleans as 1/0, a
 * Buffer or typed array as a BLOB of its bytes, a Date as REAL milliseconds, any other object as the TEXT
 * `'[object Object]'`, and `undefined` or a symbol as unbound (NULL). Two deliberate improvements: a bigint binds as
 * an exact INTEGER (node-sqlite3 silently binds NULL), and a DataView as its bytes (node-sqlite3 aborts the process).
 */
export function convertValue(value: unknown): SqlValue | typeof UNBOUND {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      // node-sqlite3's OtherIsInt: exact when the value survives a round trip through int32 (so -0 is INTEGER 0).
      return (value | 0) === value ? BigInt(value) : value;
    case 'boolean':
      return value ? 1n : 0n;
    case 'bigint':
      return value;
    case 'function':
      return OBJECT_TEXT;
    case 'object':
      if (value === null) return null;
      if (value instanceof RegExp) return String(value);
      // Copied now: node-sqlite3 copies at call time, and the caller may reuse the buffer before the request leaves.
      if (ArrayBuffer.isView(value)) return Buffer.from(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
      if (value instanceof Date) return value.valueOf();
      return OBJECT_TEXT;
    default:
      return UNBOUND;
  }
}

function isDirect(first: unknown): boolean {
  return (typeof first !== 'object' && typeof first !== 'function') || first === null || first instanceof RegExp || first instanceof Date || ArrayBuffer.isView(first);
}

/** The slots of a statement, index `i` holding parameter `i + 1` (NULL when unbound). */
export type Bindings = readonly SqlValue[];

export const NO_BINDINGS: Bindings = Object.freeze([]);

/**
 * `count` NULLs in a packed array. Never `new Array(n)`: a holey array, even once every slot is set, takes the structured
 * clone's slow sparse path on its way to the worker (on both sides of the message).
 */
function nulls(count: number): SqlValue[] {
  const out: SqlValue[] = [];
  for (let i = 0; i < count; i++) out.push(null);
  return out;
}

/** The slots of a call that stopped at a parameter naming no slot (`SQLITE_RANGE`): the ones bound before it are kept. */
export class RangeFailure {
  readonly bindings: Bindings;
  constructor(bindings: Bindings) {
    this.bindings = bindings;
  }
}

/**
 * The parameters of one call, bound: the new slots, a {@link RangeFailure} when a parameter named no slot, or
 * undefined when the call has no parameters.
 */
export type BindResult = Bindings | RangeFailure | undefined;

/**
 * Sets slot `index` (1-based) to `raw` converted; false when the index names no slot. An unbound value (`undefined`)
 * is skipped, even out of range.
 */
function put(bindings: SqlValue[], index: number, raw: unknown): boolean {
  const value = convertValue(raw);
  if (value === UNBOUND) return true;
  if (index < 1 || index > bindings.length) return false;
  bindings[index - 1] = value;
  return true;
}

/**
 * Binds the parameters of a call (`args[start..end)`) to a statement's slots as node-sqlite3 does, in two steps
 * done here in one: `Statement::Bind<T>` collects them (an array binds its elements by position; a primitive,
 * RegExp, Date or Buffer first argument binds every argument by position; any other object binds its enumerable keys,
 * an integral key by index and any other by name, prefix included), converting each value at call time; then
 * `Statement::Bind` clears every slot and binds them in order, stopping at the first that names no slot. Unbound
 * values (`undefined`) are skipped, even out of range.
 *
 * Returns undefined when the call has no parameters at all (an empty array or object counts as none): the statement
 * then keeps its current bindings, and is not reset.
 */
export function bindCall(plan: SqlPlan, args: ArrayLike<unknown>, start: number, end: number): BindResult {
  if (start >= end) return undefined;
  const count = plan.count;
  const first = args[start];
  if (Array.isArray(first)) {
    const length = first.length;
    if (length === 0) return undefined;
    if (length === count) {
      // The common call (`stmt.run([a, b, c], cb)`): one value per slot, converted straight into the slots.
      const bindings: SqlValue[] = [];
      for (let i = 0; i < length; i++) {
        const value = convertValue(first[i]);
        bindings.push(value === UNBOUND ? null : value);
      }
      return bindings;
    }
    const bindings = nulls(count);
    for (let i = 0; i < length; i++) if (!put(bindings, i + 1, first[i])) return new RangeFailure(bindings);
    return bindings;
  }
  if (isDirect(first)) {
    const bindings = nulls(count);
    for (let i = start; i < end; i++) if (!put(bindings, i - start + 1, args[i])) return new RangeFailure(bindings);
    return bindings;
  }
  const record = first as Record<string, unknown>;
  const bindings = nulls(count);
  let fields = 0;
  let ok = true;
  for (const key in record) {
    fields++;
    if (!ok) continue;
    const number = Number(key);
    const index = (number | 0) === number ? number | 0 : (plan.indexOf.get(key) ?? 0);
    ok = put(bindings, index, record[key]);
  }
  if (fields === 0) return undefined;
  return ok ? bindings : new RangeFailure(bindings);
}

/** The engine's parameters for a statement's slots, in the shape its plan's mode needs. */
export function engineParams(plan: SqlPlan, bindings: Bindings): Params | undefined {
  switch (plan.mode) {
    case 'none':
      return undefined;
    case 'named': {
      const out: Record<string, SqlValue> = {};
      for (let i = 0; i < plan.keys.length; i++) out[plan.keys[i] as string] = bindings[i] ?? null;
      return out;
    }
    case 'rewritten': {
      const out: SqlValue[] = [];
      for (let k = 0; k < plan.order.length; k++) out.push(bindings[(plan.order[k] as number) - 1] ?? null);
      return out;
    }
    default:
      // Positional and gap-free ?NNN slots: the bindings are the array (never mutated once made).
      return bindings.length === plan.count ? bindings : nulls(plan.count);
  }
}
