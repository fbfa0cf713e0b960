import type { Attributes } from '@opentelemetry/api';
import type { Params } from '@rapsqlite/engine';

/** A parameter value as the string `db.query.parameter.<key>` holds. BLOBs are described, not dumped. */
function parameterValue(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return `<blob ${value.byteLength} bytes>`;
  return String(value);
}

/**
 * Adds `db.query.parameter.<key>` for bound parameters: the 0-based index for positional ones, the name without
 * its prefix for named ones (as in `{ id: 1 }` for `:id`). When `allow` is given, only those keys are captured.
 */
export function addParameterAttributes(params: Params | undefined, allow: ReadonlySet<string> | undefined, target: Attributes): void {
  if (params === undefined) return;
  const add = (key: string, value: unknown): void => {
    if (allow === undefined || allow.has(key)) target[`db.query.parameter.${key}`] = parameterValue(value);
  };
  if (Array.isArray(params)) {
    for (let i = 0; i < params.length; i++) add(String(i), params[i]);
  } else if (params !== null && typeof params === 'object' && !(params instanceof Uint8Array)) {
    for (const key of Object.keys(params)) add(key, (params as Record<string, unknown>)[key]);
  } else {
    add('0', params);
  }
}
