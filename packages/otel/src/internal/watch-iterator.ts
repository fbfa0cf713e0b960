/**
 * Wraps the row iterator of an `iterate` operation so that `onEnd` runs once, with the number of rows delivered,
 * when the iteration finishes, is left early (`return`) or fails. Rows stream through untouched: the wrapper
 * never reads ahead, so the engine's backpressure is kept.
 */
export function watchIterator<T>(
  inner: AsyncIterator<T>,
  onEnd: (rows: number, error: unknown) => void,
): AsyncIterableIterator<T> & AsyncDisposable {
  let rows = 0;
  let ended = false;
  const end = (error: unknown): void => {
    if (ended) return;
    ended = true;
    onEnd(rows, error);
  };
  const iterator: AsyncIterableIterator<T> & AsyncDisposable = {
    async next(): Promise<IteratorResult<T>> {
      let result: IteratorResult<T>;
      try {
        result = await inner.next();
      } catch (err) {
        end(err);
        throw err;
      }
      if (result.done === true) end(undefined);
      else rows++;
      return result;
    },
    async return(value?: unknown): Promise<IteratorResult<T>> {
      try {
        const result = inner.return === undefined ? { done: true as const, value: undefined } : await inner.return(value);
        end(undefined);
        return result as IteratorResult<T>;
      } catch (err) {
        end(err);
        throw err;
      }
    },
    async throw(error?: unknown): Promise<IteratorResult<T>> {
      end(error);
      if (inner.throw === undefined) throw error;
      return inner.throw(error);
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
    async [Symbol.asyncDispose]() {
      await iterator.return?.();
    },
  };
  return iterator;
}
