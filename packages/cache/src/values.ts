import type { Params, Row, ValuesResult } from '@rapsqlite/engine';

function encodeValue(value: unknown): string | undefined {
  switch (typeof value) {
    case 'number':
      return Object.is(value, -0) ? 'n-0' : `n${value}`;
    case 'bigint':
      return `b${value}`;
    case 'string':
      return `s${value.length}:${value}`;
    case 'boolean':
      return value ? 't' : 'f';
    case 'undefined':
      return 'u';
    case 'object':
      if (value === null) return 'z';
      if (value instanceof Uint8Array) return `x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
      return undefined;
    default:
      return undefined;
  }
}

/**
 * A key for bound parameters, exact for every value SQLite can bind (numbers, bigints, strings, blobs, null): two
 * parameter sets share a key only if they bind the same values. Undefined for values it cannot encode, which are then
 * not cached.
 */
export function paramsKey(params: Params | undefined): string | undefined {
  if (params === undefined) return '';
  if (Array.isArray(params)) {
    let key = 'a';
    for (const value of params) {
      const encoded = encodeValue(value);
      if (encoded === undefined) return undefined;
      key += `${encoded.length}|${encoded}`;
    }
    return key;
  }
  if (typeof params === 'object' && params !== null && !(params instanceof Uint8Array)) {
    let key = 'o';
    for (const name of Object.keys(params).sort()) {
      const encoded = encodeValue((params as Record<string, unknown>)[name]);
      if (encoded === undefined) return undefined;
      key += `${name.length}:${name}${encoded.length}|${encoded}`;
    }
    return key;
  }
  const single = encodeValue(params);
  return single === undefined ? undefined : `v${single}`;
}

function copyValue(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.isBuffer(value) ? Buffer.from(value) : new Uint8Array(value);
  return value;
}

function copyRow(row: Row): Row {
  // A handle opened with rowMode: 'array' returns rows as arrays of values.
  if (Array.isArray(row)) return row.map(copyValue) as unknown as Row;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(row)) {
    const value = copyValue((row as Record<string, unknown>)[key]);
    // A column named __proto__ must stay a column, as the engine builds it.
    if (key === '__proto__') Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
    else copy[key] = value;
  }
  return copy as Row;
}

/** A copy of a `get`, `all` or `values` result that shares nothing mutable with the original. */
export function copyResult(kind: 'get' | 'all' | 'values', result: unknown): unknown {
  if (kind === 'get') return result === undefined ? undefined : copyRow(result as Row);
  if (kind === 'all') return (result as Row[]).map(copyRow);
  const values = result as ValuesResult;
  return { ...values, columns: values.columns.map((c) => ({ ...c })), rows: values.rows.map((r) => (r as unknown[]).map(copyValue)) };
}

function valueBytes(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return 16 + value.length * 2;
    case 'bigint':
      return 24;
    case 'object':
      return value instanceof Uint8Array ? 32 + value.byteLength : 8;
    default:
      return 8;
  }
}

/** An estimate of the memory a result holds, for the store's byte bound. */
export function resultBytes(kind: 'get' | 'all' | 'values', result: unknown, keyLength: number): number {
  let bytes = 64 + keyLength * 2;
  const rowBytes = (row: object): number => {
    let size = 32;
    for (const value of Object.values(row)) size += 8 + valueBytes(value);
    return size;
  };
  if (kind === 'get') return result === undefined ? bytes : bytes + rowBytes(result as object);
  const rows = kind === 'all' ? (result as object[]) : ((result as ValuesResult).rows as object[]);
  for (const row of rows) bytes += rowBytes(row);
  return bytes;
}
