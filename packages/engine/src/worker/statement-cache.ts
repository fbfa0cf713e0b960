/**
 * A bounded least-recently-used map from SQL text to a prepared statement entry, so that repeated SQL is
 * prepared once per connection. Evicted statements are simply dropped: better-sqlite3 finalizes them when
 * they are garbage collected or the connection closes.
 */
export class StatementCache<E> {
  readonly #map = new Map<string, E>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** The entry for `sql`, marked as most recently used, or undefined. */
  get(sql: string): E | undefined {
    const entry = this.#map.get(sql);
    if (entry !== undefined && this.#map.size > 1) {
      // Re-inserting moves the key to the end of the Map's insertion order, which is the recency order.
      this.#map.delete(sql);
      this.#map.set(sql, entry);
    }
    return entry;
  }

  /** How many entries it keeps; 0 when caching is disabled. */
  get capacity(): number {
    return this.#capacity;
  }

  /** Whether `sql` has an entry, without marking it used. */
  has(sql: string): boolean {
    return this.#map.has(sql);
  }

  /** Stores an entry, evicting the least recently used one when full. A capacity of 0 disables caching. */
  set(sql: string, entry: E): void {
    if (this.#capacity === 0) return;
    this.#map.delete(sql);
    if (this.#map.size >= this.#capacity) {
      const oldest = this.#map.keys().next();
      if (oldest.done !== true) this.#map.delete(oldest.value);
    }
    this.#map.set(sql, entry);
  }

  /** How many entries it holds. */
  get size(): number {
    return this.#map.size;
  }

  /** Forgets every entry (after a schema change). */
  clear(): void {
    this.#map.clear();
  }
}
