/**
 * @rapsqlite/cache: a correct read-through query result cache for rapsqlite — entries are invalidated by every
 * committed write of the process that goes through a tracked handle and by other processes' commits.
 */
export { createQueryCache, QueryCache } from './query-cache.ts';
export type { BypassReason, CacheStats } from './query-cache.ts';
export { LruStore } from './lru-store.ts';
export type { CacheEntry, CacheStore } from './lru-store.ts';
export type { CachedReadOptions, CacheMatch, CacheRule, CrossProcessMode, QueryCacheOptions } from './cache-options.ts';
export type { UncacheableReason } from './analysis.ts';
