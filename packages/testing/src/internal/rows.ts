import type { Row } from '@rapsqlite/engine';

/** Copies a cell so that a caller that mutates a result cannot change what the next call gets. */
export function copyValue(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value);
  return value;
}

/**
 * Copies a row into a plain object with every column as an own data property, including one named `__proto__`
 * (an assignment would replace the prototype instead).
 */
export function copyRow(row: Row): Row {
  const out: Row = {};
  for (const key of Object.keys(row)) {
    Object.defineProperty(out, key, { value: copyValue(row[key]), writable: true, enumerable: true, configurable: true });
  }
  return out;
}

/** An async iterator over rows already in memory, shaped like the engine's row streams. */
export function rowIterator(rows: readonly Row[]): AsyncIterableIterator<Row> & AsyncDisposable {
  let position = 0;
  let done = false;
  const iterator: AsyncIterableIterator<Row> & AsyncDisposable = {
    next() {
      if (done || position >= rows.length) {
        done = true;
        return Promise.resolve({ done: true, value: undefined });
      }
      return Promise.resolve({ done: false, value: rows[position++] as Row });
    },
    return() {
      done = true;
      return Promise.resolve({ done: true, value: undefined });
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
    [Symbol.asyncDispose]() {
      done = true;
      return Promise.resolve();
    },
  };
  return iterator;
}
