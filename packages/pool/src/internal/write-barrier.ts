/**
 * Tracks the calls sent to the writer in issue order, so that a read can wait until every write issued before it has
 * settled (read-your-writes) without waiting for writes issued after it. O(1) per write; allocation-free unless a
 * read actually waits.
 */
export class WriteBarrier {
  #issued = 0;
  /** Sequence numbers still unsettled, in issue order, from `#head`. */
  #open: number[] = [];
  #head = 0;
  /** Settled out of order, waiting for the ones before them. */
  readonly #early = new Set<number>();
  /** Reads waiting for every write up to `through` to settle, in increasing `through` order. */
  #waiters: Array<{ readonly through: number; readonly wake: () => void }> = [];

  /** Registers a write; pass the returned number to {@link settle} when it completes or fails. */
  issue(): number {
    const seq = ++this.#issued;
    this.#open.push(seq);
    return seq;
  }

  settle(seq: number): void {
    if (this.#open[this.#head] !== seq) {
      this.#early.add(seq);
      return;
    }
    this.#head++;
    while (this.#head < this.#open.length && this.#early.delete(this.#open[this.#head] as number)) this.#head++;
    if (this.#head === this.#open.length) {
      this.#open = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#open.length) {
      this.#open = this.#open.slice(this.#head);
      this.#head = 0;
    }
    this.#wake();
  }

  /** The highest sequence number such that it and every write before it have settled. */
  get settledThrough(): number {
    return this.#head < this.#open.length ? (this.#open[this.#head] as number) - 1 : this.#issued;
  }

  /** How many writes have been issued. */
  get issued(): number {
    return this.#issued;
  }

  /** Undefined when every write issued so far has settled, else a promise that resolves when they have. */
  wait(): Promise<void> | undefined {
    const through = this.#issued;
    if (this.settledThrough >= through) return undefined;
    return new Promise((wake) => this.#waiters.push({ through, wake }));
  }

  #wake(): void {
    if (this.#waiters.length === 0) return;
    const done = this.settledThrough;
    let n = 0;
    while (n < this.#waiters.length && (this.#waiters[n] as { through: number }).through <= done) n++;
    if (n === 0) return;
    const woken = this.#waiters.slice(0, n);
    this.#waiters = this.#waiters.slice(n);
    for (const waiter of woken) waiter.wake();
  }
}
