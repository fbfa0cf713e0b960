import type { Row } from '@rapsqlite/engine';

/** Builds a row object from one row's values, in column order. */
export type RowMaker = (values: readonly unknown[]) => Row;

/**
 * A row maker for a list of column names. Every column becomes an own data property, `__proto__` included (assigned
 * as a computed key, which defines a property instead of replacing the prototype); with duplicate names the last
 * column wins, as in a local database.
 */
export function rowMaker(names: readonly string[]): RowMaker {
  try {
    const props = names.map((name, i) => (name === '__proto__' ? `["__proto__"]: v[${i}]` : `${JSON.stringify(name)}: v[${i}]`));
    // One object literal per shape gives every row the same hidden class.
    return new Function('v', `return {${props.join(',')}};`) as RowMaker;
  } catch {
    // Code generation can be disabled (--disallow-code-generation-from-strings).
    return (values) => {
      const row: Row = {};
      for (let i = 0; i < names.length; i++) {
        Object.defineProperty(row, names[i] as string, { value: values[i], writable: true, enumerable: true, configurable: true });
      }
      return row;
    };
  }
}

/** Row makers by shape, bounded: a connection that sees many distinct column lists forgets the oldest. */
export class RowMakers {
  readonly #makers = new Map<string, RowMaker>();

  get(names: readonly string[]): RowMaker {
    // Column names are C strings on the wire: none holds NUL.
    const key = names.join('\u0000');
    let maker = this.#makers.get(key);
    if (maker === undefined) {
      if (this.#makers.size >= 256) this.#makers.delete(this.#makers.keys().next().value as string);
      maker = rowMaker(names);
      this.#makers.set(key, maker);
    }
    return maker;
  }
}
