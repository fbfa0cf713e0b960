/**
 * What the cache knows about each table of the database: a commit version (bumped when a write to it commits), a
 * touch count (bumped when a write to it is issued, so a result read meanwhile is never stored) and the writes in
 * flight (issued and not yet committed or rolled back: results of the table are neither served nor stored while any
 * is). `*` stands for every table: a write whose tables are unknown (a script, a virtual table, a write still being
 * analyzed).
 */
export class TableState {
  readonly #version = new Map<string, number>();
  readonly #touch = new Map<string, number>();
  readonly #inflight = new Map<string, number>();
  /** Bumped for writes to unknown tables and for other processes' commits: every entry is then stale. */
  globalVersion = 0;
  globalTouch = 0;
  globalInflight = 0;

  version(table: string): number {
    return this.#version.get(table) ?? 0;
  }

  touch(table: string): number {
    return this.#touch.get(table) ?? 0;
  }

  /** True while a write to any of `tables` (or to unknown tables) is in flight. */
  inFlux(tables: readonly string[]): boolean {
    if (this.globalInflight > 0) return true;
    for (const table of tables) if ((this.#inflight.get(table) ?? 0) > 0) return true;
    return false;
  }

  /** A write to `tables` (or to every table) was issued. */
  begin(tables: readonly string[] | 'all'): void {
    if (tables === 'all') {
      this.globalInflight++;
      this.globalTouch++;
      return;
    }
    for (const table of tables) {
      this.#inflight.set(table, (this.#inflight.get(table) ?? 0) + 1);
      this.#touch.set(table, this.touch(table) + 1);
    }
  }

  /** The write ended: committed (`committed`) or rolled back. */
  end(tables: readonly string[] | 'all', committed: boolean): void {
    if (tables === 'all') {
      this.globalInflight--;
      if (committed) this.globalVersion++;
      return;
    }
    for (const table of tables) {
      const left = (this.#inflight.get(table) ?? 1) - 1;
      if (left === 0) this.#inflight.delete(table);
      else this.#inflight.set(table, left);
      if (committed) this.#version.set(table, this.version(table) + 1);
    }
  }
}
