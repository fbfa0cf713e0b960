import { invalidArgument } from '@rapsqlite/engine/plugin';

/**
 * JSON encoding of the values that cross a rapsqlite call, lossless for what JSON cannot hold: bigint, BLOBs,
 * `undefined`, non-finite numbers and `-0`, and object keys such as `__proto__` or ones starting with `$`.
 * Plain objects whose keys are safe stay plain objects, so a recording remains readable and diffable.
 */
export type Encoded = null | boolean | number | string | Encoded[] | { [key: string]: Encoded };

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Encodes a value for JSON. */
export function encode(value: unknown): Encoded {
  if (value === null) return null;
  switch (typeof value) {
    case 'undefined':
      return { $undefined: true };
    case 'boolean':
    case 'string':
      return value;
    case 'number':
      if (!Number.isFinite(value) || Object.is(value, -0)) return { $number: Object.is(value, -0) ? '-0' : String(value) };
      return value;
    case 'bigint':
      return { $bigint: value.toString() };
    case 'object': {
      if (value instanceof Uint8Array) return { $blob: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
      if (Array.isArray(value)) return value.map(encode);
      if (!isPlainObject(value)) throw invalidArgument(`Cannot record a value of type ${Object.prototype.toString.call(value).slice(8, -1)}`);
      const keys = Object.keys(value);
      const record = value as Record<string, unknown>;
      if (keys.some((k) => k.startsWith('$') || k === '__proto__')) return { $entries: keys.map((k) => [k, encode(record[k])]) };
      const out: { [key: string]: Encoded } = {};
      for (const key of keys) out[key] = encode(record[key]);
      return out;
    }
    default:
      throw invalidArgument(`Cannot record a value of type ${typeof value}`);
  }
}

function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

/** Decodes a value written by {@link encode}. Objects are built with own properties only, whatever their keys. */
export function decode(value: Encoded): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(decode);
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const tag = keys[0] as string;
    const inner = value[tag];
    switch (tag) {
      case '$undefined':
        return undefined;
      case '$bigint':
        return BigInt(inner as string);
      case '$blob':
        return Buffer.from(inner as string, 'base64');
      case '$number':
        return inner === '-0' ? -0 : Number(inner);
      case '$entries': {
        const out: Record<string, unknown> = {};
        for (const [key, item] of inner as Array<[string, Encoded]>) define(out, key, decode(item));
        return out;
      }
    }
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) define(out, key, decode(value[key] as Encoded));
  return out;
}

/** A stable text form of a value, to compare parameters. */
export function fingerprint(value: unknown): string {
  return JSON.stringify(encode(value));
}
