/** One cached result and what it depends on. */
export interface CacheEntry {
  /** The result as stored (the cache hands out copies). */
  readonly value: unknown;
  /** Estimated size in bytes. */
  readonly bytes: number;
  /** `performance.now()` after which the entry is no longer served; Infinity for none. */
  readonly expiresAt: number;
  /** The tables the statement reads (`main.users`…). */
  readonly tables: readonly string[];
  /** The commit version of each table, and the cache's global version, when the result was read. */
  readonly versions: readonly number[];
  readonly globalVersion: number;
}

/**
 * Where entries live: the default {@link LruStore} in memory, or your own (a store shared by the handles of one
 * process). Synchronous: an entry is checked against the cache's table versions on every hit, so a store never has
 * to be invalidated by itself. A store for another process would need that process's invalidations too: not offered.
 */
export interface CacheStore {
  get(key: string): CacheEntry | undefined;
  set(key: string, entry: CacheEntry): void;
  delete(key: string): boolean;
  clear(): void;
  /** Entries held. */
  readonly size: number;
  /** Bytes held (estimated). */
  readonly bytes: number;
  /** Entries evicted for room since the store was made. */
  readonly evictions: number;
}

/** A least-recently-used store bounded by entry count and estimated bytes. */
export class LruStore implements CacheStore {
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #entries = new Map<string, CacheEntry>();
  #bytes = 0;
  #evictions = 0;

  constructor(maxEntries: number, maxBytes: number) {
    this.#maxEntries = maxEntries;
    this.#maxBytes = maxBytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get evictions(): number {
    return this.#evictions;
  }

  get(key: string): CacheEntry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    // Most recently used last: Map keeps insertion order.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry;
  }

  set(key: string, entry: CacheEntry): void {
    if (entry.bytes > this.#maxBytes) return;
    this.delete(key);
    this.#entries.set(key, entry);
    this.#bytes += entry.bytes;
    while (this.#entries.size > this.#maxEntries || this.#bytes > this.#maxBytes) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.delete(oldest.value);
      this.#evictions++;
    }
  }

  delete(key: string): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
    return true;
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}
