import { invalidArgument } from '../errors/catalogue.ts';
import { checkIntegerMode } from '../options.ts';
import { checkConverterOptions } from '../toolbox/converters.ts';
import { callAdapters, DEFAULT_TOOLS } from '../toolbox/query-tools.ts';
import { resolveShape, type RowShapeOptions } from '../toolbox/row-shapes.ts';
import { TRANSACTION_MODES } from '../types.ts';

const BASE_KEYS = ['integers', 'signal', 'timeoutMs', 'readYourWrites'];
const SHAPE_KEYS = ['rowMode', 'pluck', 'expand', 'map'];

/** The per-call options each method accepts: `exec` and `prepare`. */
export const QUERY_OPTION_KEYS: ReadonlySet<string> = new Set(BASE_KEYS);
/** `run`, `runMany` (and `insert`): adapters too. */
export const RUN_OPTION_KEYS: ReadonlySet<string> = new Set([...BASE_KEYS, 'adapters']);
/** `values`: adapters and converters. */
export const VALUES_OPTION_KEYS: ReadonlySet<string> = new Set([...RUN_OPTION_KEYS, 'converters']);
/** `get` and `all`: adapters, converters and row shapes. */
export const READ_OPTION_KEYS: ReadonlySet<string> = new Set([...VALUES_OPTION_KEYS, ...SHAPE_KEYS]);
/** `iterate`: those of `all`, and the chunk size. */
export const ITERATE_OPTION_KEYS: ReadonlySet<string> = new Set([...READ_OPTION_KEYS, 'chunkSize']);
export const TRANSACTION_OPTION_KEYS: ReadonlySet<string> = new Set(['mode', 'signal', 'timeoutMs', 'readonly', 'readYourWrites']);

const invalid = invalidArgument;

/** A close known option for a misspelt one (`integer` → `integers`, `timeout` → `timeoutMs`). */
function suggestion(key: string, allowed: ReadonlySet<string>): string {
  const lower = key.toLowerCase();
  for (const known of allowed) {
    const k = known.toLowerCase();
    if (k === lower || k === `${lower}s` || `${k}s` === lower || k === `${lower}ms` || k.startsWith(lower) || lower.startsWith(k)) {
      return ` (did you mean "${known}"?)`;
    }
  }
  return '';
}

function isAbortSignal(value: unknown): value is AbortSignal {
  const signal = value as Partial<AbortSignal> | null;
  return typeof signal === 'object' && signal !== null && typeof signal.aborted === 'boolean' && typeof signal.addEventListener === 'function';
}

/**
 * Checks the options argument of a query method on the caller's thread: an object with known keys of the right
 * types. A misspelt or unsupported option, a callback passed where rapsqlite returns a promise, or parameters given
 * to `exec` are mistakes that would otherwise be silently ignored.
 */
export function checkCallOptions(options: unknown, allowed: ReadonlySet<string>, method: string): void {
  if (options === undefined) return;
  if (typeof options === 'function') throw invalid(`${method}() returns a promise; it takes no callback`);
  if (typeof options !== 'object' || options === null || Array.isArray(options) || ArrayBuffer.isView(options)) {
    if (method === 'exec') throw invalid('exec() takes no parameters: use run() for one statement with parameters');
    throw invalid(`The last argument of ${method}() is its options object`);
  }
  const record = options as Record<string, unknown>;
  for (const key in record) {
    if (!allowed.has(key)) throw invalid(`Unknown option "${key}" for ${method}()${suggestion(key, allowed)}`);
  }
  const { signal, timeoutMs, integers, chunkSize, mode } = record;
  if (signal !== undefined && !isAbortSignal(signal)) throw invalid('Option signal must be an AbortSignal');
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs > 0))) throw invalid('Option timeoutMs must be a positive number');
  if (integers !== undefined) checkIntegerMode(integers);
  if (chunkSize !== undefined && (typeof chunkSize !== 'number' || !Number.isInteger(chunkSize) || chunkSize < 1)) {
    throw invalid('Option chunkSize must be a positive integer');
  }
  if (mode !== undefined && !TRANSACTION_MODES.includes(mode as never)) throw invalid(`Unknown transaction mode "${String(mode)}"`);
  for (const flag of ['readonly', 'readYourWrites'] as const) {
    if (record[flag] !== undefined && typeof record[flag] !== 'boolean') throw invalid(`Option ${flag} must be a boolean`);
  }
  // The query tools' options, checked here too so that a mistake fails before any middleware sees the call.
  const { adapters, converters, rowMode, pluck, expand, map } = record;
  if (adapters !== undefined) callAdapters(DEFAULT_TOOLS, { adapters: adapters as never });
  if (converters !== undefined) checkConverterOptions(converters);
  if (rowMode !== undefined || pluck !== undefined || expand !== undefined || map !== undefined) resolveShape(record as RowShapeOptions);
}
