import type { Params, SqlValue } from '@rapsqlite/engine';
import type { SqlPlan } from './sql-plan.ts';

/** A value node-sqlite3 leaves unbound (`undefined`, a symbol): SQLite then reads NULL. */
export const UNBOUND: unique symbol = Symbol('unbound');

/** One parameter of a call, as node-sqlite3's `Statement::Bind` collects them: by index (1-based) or by name. */
export interface Field {
  readonly index: number;
  readonly name: string | undefined;
  readonly value: SqlValue | typeof UNBOUND;
}

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

/**
 * Collects the parameters of a call from `args[start..end)` as node-sqlite3 does: an array binds its elements by
 * position; a primitive, RegExp, Date or Buffer first argument binds every argument by position; any other object binds
 * its enumerable keys, an integral key by index and any other by name (the name includes its `:`, `@` or `$`).
 */
export function collectFields(args: ArrayLike<unknown>, start: number, end: number): Field[] {
  const fields: Field[] = [];
  if (start >= end) return fields;
  const first = args[start];
  if (Array.isArray(first)) {
    for (let i = 0; i < first.length; i++) fields.push({ index: i + 1, name: undefined, value: convertValue(first[i]) });
    return fields;
  }
  if (isDirect(first)) {
    for (let i = start; i < end; i++) fields.push({ index: i - start + 1, name: undefined, value: convertValue(args[i]) });
    return fields;
  }
  const record = first as Record<string, unknown>;
  for (const key in record) {
    const number = Number(key);
    const value = convertValue(record[key]);
    if ((number | 0) === number) fields.push({ index: number | 0, name: undefined, value });
    else fields.push({ index: 0, name: key, value });
  }
  return fields;
}

/** The slots of a statement: index → value (absent = unbound, read as NULL). */
export type Bindings = ReadonlyMap<number, SqlValue>;

export const NO_BINDINGS: Bindings = new Map();

/** The outcome of binding fields to a statement: the new slots, and whether one field was out of range. */
export interface BindResult {
  readonly bindings: Bindings;
  readonly rangeError: boolean;
}

/**
 * Applies fields to a statement as `Statement::Bind` does: no fields keep the current bindings; otherwise every slot
 * is cleared, then fields are bound in order until one names no slot (`SQLITE_RANGE`), leaving the earlier ones bound.
 * Unbound fields are skipped, even out of range.
 */
export function bindFields(plan: SqlPlan, current: Bindings, fields: readonly Field[]): BindResult {
  if (fields.length === 0) return { bindings: current, rangeError: false };
  const bindings = new Map<number, SqlValue>();
  for (const field of fields) {
    if (field.value === UNBOUND) continue;
    const index = field.index > 0 ? field.index : field.name === undefined ? 0 : (plan.indexOf.get(field.name) ?? 0);
    if (index < 1 || index > plan.count) return { bindings, rangeError: true };
    bindings.set(index, field.value);
  }
  return { bindings, rangeError: false };
}

/** The engine's parameters for a statement's slots (unbound slots as NULL), in the shape its plan's mode needs. */
export function engineParams(plan: SqlPlan, bindings: Bindings): Params | undefined {
  switch (plan.mode) {
    case 'none':
      return undefined;
    case 'named': {
      const out: Record<string, SqlValue> = {};
      for (let i = 0; i < plan.keys.length; i++) out[plan.keys[i] as string] = bindings.get(i + 1) ?? null;
      return out;
    }
    case 'rewritten': {
      const out = new Array<SqlValue>(plan.order.length);
      for (let k = 0; k < plan.order.length; k++) out[k] = bindings.get(plan.order[k] as number) ?? null;
      return out;
    }
    default: {
      const out = new Array<SqlValue>(plan.count);
      for (let i = 0; i < plan.count; i++) out[i] = bindings.get(i + 1) ?? null;
      return out;
    }
  }
}
