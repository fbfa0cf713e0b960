import type { Row } from '../types.ts';

/** Builds a row object from the values at `offset` (in column order) of a flat array of rows. */
export type RowFactory = (values: readonly unknown[], offset: number) => Row;

/**
 * How many row factories a process generates as code. V8 keeps the compiled code of every generated function for a
 * long time (its compilation cache), beyond the engine's own bounded table of shapes: an application that makes
 * column names per query (100 000 distinct shapes held about 5 MB after every database was closed) would grow without
 * end. Past the limit, new shapes get the generic factory: slower per row, bounded in memory.
 */
const GENERATED_LIMIT = 4096;
let generated = 0;

/**
 * Makes a row factory for a list of column names. Every column becomes an own data property, even one named
 * `__proto__` (an object literal's plain `"__proto__":` key would replace the prototype instead; the computed form
 * does not). With duplicate names the last column wins, as in better-sqlite3 and node:sqlite.
 */
export function rowFactory(names: readonly string[]): RowFactory {
  if (generated >= GENERATED_LIMIT) return genericFactory(names);
  try {
    const props = names.map((name, i) =>
      name === '__proto__' ? `["__proto__"]: v[o + ${i}]` : `${JSON.stringify(name)}: v[o + ${i}]`,
    );
    // A generated literal lets V8 give all rows one hidden class: building 5 000 rows this way costs less than half of
    // receiving them as structured-cloned objects.
    const factory = new Function('v', 'o', `return {${props.join(',')}};`) as RowFactory;
    generated++;
    return factory;
  } catch {
    // Code generation can be disabled (--disallow-code-generation-from-strings).
    return genericFactory(names);
  }
}

/** A row factory without generated code: the same rows, built property by property. */
function genericFactory(names: readonly string[]): RowFactory {
  return (values, offset) => {
    const row: Row = {};
    for (let i = 0; i < names.length; i++) {
      Object.defineProperty(row, names[i] as string, { value: values[offset + i], writable: true, enumerable: true, configurable: true });
    }
    return row;
  };
}

/** Turns BLOB cells, which arrive as plain Uint8Arrays after `postMessage`, back into Buffers without copying. */
export function restoreBuffers(cells: unknown[]): void {
  for (let c = 0; c < cells.length; c++) {
    const v = cells[c];
    if (v instanceof Uint8Array && !Buffer.isBuffer(v)) cells[c] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  }
}
