/**
 * Remembers, per SQL string, whether the statement is read-only (better-sqlite3's `readonly` flag, learned by
 * preparing it). Bounded: the least recently used entry goes first.
 */
export class RouteCache {
  readonly #limit: number;
  readonly #entries = new Map<string, boolean>();

  constructor(limit: number) {
    this.#limit = limit;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** True or false when known, undefined when the statement has not been prepared yet. */
  get(sql: string): boolean | undefined {
    const readonly = this.#entries.get(sql);
    if (readonly !== undefined && this.#entries.size > 1) {
      // Re-insert to mark it recently used; Map keeps insertion order.
      this.#entries.delete(sql);
      this.#entries.set(sql, readonly);
    }
    return readonly;
  }

  clear(): void {
    this.#entries.clear();
  }

  set(sql: string, readonly: boolean): void {
    if (this.#limit === 0) return;
    this.#entries.delete(sql);
    this.#entries.set(sql, readonly);
    if (this.#entries.size > this.#limit) this.#entries.delete(this.#entries.keys().next().value as string);
  }
}
