import type { Operation } from '@rapsqlite/engine';
import { invalidArgument, type PluginErrorHandler } from '@rapsqlite/engine/plugin';
import type { CacheStore } from './lru-store.ts';

/** Selects queries to cache: the SQL text itself, a pattern it matches, or a predicate on the operation. */
export type CacheMatch = string | RegExp | ((op: Operation) => boolean);

/** A query rule: reads that match are cached (for `ttlMs`, or the cache's default). The first rule that matches wins. */
export interface CacheRule {
  readonly match: CacheMatch;
  readonly ttlMs?: number;
}

/**
 * How a hit learns about other processes' commits:
 * - `'check'` (default): `PRAGMA data_version` on the database's connection before every hit outside a write
 *   transaction (one round trip, cheaper than most queries it saves);
 * - `false`: no check — only for a database file no other process (nor another connection of this process) writes.
 */
export type CrossProcessMode = 'check' | false;

/** Options of {@link createQueryCache}. */
export interface QueryCacheOptions {
  /** Entries kept at most (default LRU store). Default 1000. */
  readonly maxEntries?: number;
  /** Estimated bytes kept at most (default LRU store). Default 16 MiB. */
  readonly maxBytes?: number;
  /** Where entries live. Default: an in-memory LRU store bounded by `maxEntries` and `maxBytes`. */
  readonly store?: CacheStore;
  /** How long an entry is served, in milliseconds, unless a rule or handle says otherwise. Default Infinity (until a write invalidates it). */
  readonly ttlMs?: number;
  /** Queries every handle caches (besides the handles made with `cache.handle()`). Default none. */
  readonly rules?: readonly CacheRule[];
  /** Other processes' commits: see {@link CrossProcessMode}. Default `'check'`. */
  readonly crossProcess?: CrossProcessMode;
  /** User functions whose result depends only on their arguments, so queries calling them may be cached. */
  readonly deterministicFunctions?: readonly string[];
  /** Receives the cache's own failures (an analysis that failed…); default: one process warning. */
  readonly onError?: PluginErrorHandler;
}

/** Options of `cache.handle()` and `cache.cached()`. */
export interface CachedReadOptions {
  /** How long the handle's results are served. Default: the cache's `ttlMs`. */
  readonly ttlMs?: number;
}

export interface ResolvedCacheOptions {
  readonly store: CacheStore | undefined;
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly ttlMs: number;
  readonly rules: readonly CacheRule[];
  readonly crossProcess: CrossProcessMode;
  readonly deterministicFunctions: readonly string[];
  readonly onError: PluginErrorHandler | undefined;
}

const KEYS: ReadonlySet<string> = new Set(['maxEntries', 'maxBytes', 'store', 'ttlMs', 'rules', 'crossProcess', 'deterministicFunctions', 'onError']);

/** Checks a TTL: a positive number of milliseconds, or Infinity. */
export function checkTtl(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0)) throw invalidArgument(`Option ${name} must be a positive number of milliseconds (or Infinity)`);
  return value;
}

function count(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 1) || (!Number.isInteger(value) && value !== Infinity)) throw invalidArgument(`Option ${name} must be a positive integer`);
  return value;
}

/** Checks the options (`ERR_RAPSQLITE_INVALID_ARGUMENT` for a bad one), applies defaults and freezes them. */
export function resolveCacheOptions(options: QueryCacheOptions = {}): ResolvedCacheOptions {
  if (typeof options !== 'object' || options === null) throw invalidArgument('createQueryCache() takes an options object');
  for (const key of Object.keys(options)) if (!KEYS.has(key)) throw invalidArgument(`Unknown cache option "${key}"`);
  const store = options.store;
  if (store !== undefined && (typeof store !== 'object' || store === null || typeof store.get !== 'function' || typeof store.set !== 'function')) {
    throw invalidArgument('Option store must implement CacheStore (get, set, delete, clear, size, bytes, evictions)');
  }
  const rules = options.rules ?? [];
  if (!Array.isArray(rules)) throw invalidArgument('Option rules must be an array');
  const frozenRules = rules.map((rule: CacheRule) => {
    if (typeof rule !== 'object' || rule === null) throw invalidArgument('A cache rule is { match, ttlMs? }');
    const match = rule.match;
    if (typeof match !== 'string' && !(match instanceof RegExp) && typeof match !== 'function') throw invalidArgument('A rule’s match is a string, a RegExp or a function');
    return Object.freeze({ match, ...(rule.ttlMs === undefined ? {} : { ttlMs: checkTtl('rules[].ttlMs', rule.ttlMs, Infinity) }) });
  });
  const crossProcess = options.crossProcess ?? 'check';
  if (crossProcess !== 'check' && crossProcess !== false) throw invalidArgument("Option crossProcess must be 'check' or false");
  const functions = options.deterministicFunctions ?? [];
  if (!Array.isArray(functions) || functions.some((f) => typeof f !== 'string')) throw invalidArgument('Option deterministicFunctions must be an array of names');
  if (options.onError !== undefined && typeof options.onError !== 'function') throw invalidArgument('Option onError must be a function');
  return Object.freeze({
    store,
    maxEntries: count('maxEntries', options.maxEntries, 1000),
    maxBytes: count('maxBytes', options.maxBytes, 16 * 1024 * 1024),
    ttlMs: checkTtl('ttlMs', options.ttlMs, Infinity),
    rules: Object.freeze(frozenRules),
    crossProcess,
    deterministicFunctions: Object.freeze([...functions]),
    onError: options.onError,
  });
}
