/** A chunked iterator that runs the chain (and opens the cursor) on the first `next()`, so `iterate()` is synchronous. */
export class LazyIterator<R> implements AsyncIterableIterator<R>, AsyncDisposable {
  readonly #open: () => Promise<AsyncIterableIterator<R>>;
  #inner: Promise<AsyncIterableIterator<R>> | undefined;
  #done = false;

  constructor(open: () => Promise<AsyncIterableIterator<R>>) {
    this.#open = open;
  }

  async next(): Promise<IteratorResult<R, undefined>> {
    if (this.#done) return { done: true, value: undefined };
    this.#inner ??= this.#open();
    const inner = await this.#inner;
    return inner.next() as Promise<IteratorResult<R, undefined>>;
  }

  async return(): Promise<IteratorReturnResult<undefined>> {
    this.#done = true;
    if (this.#inner !== undefined) {
      const inner = await this.#inner.catch(() => undefined);
      await inner?.return?.();
    }
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }
}
