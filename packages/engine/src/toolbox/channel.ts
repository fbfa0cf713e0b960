/**
 * A one-producer, one-consumer queue with backpressure, to stream what a transaction callback produces out of the
 * callback: the producer waits while the consumer has not taken what was already queued, and learns when the
 * consumer left early (its next `push` throws {@link CONSUMER_LEFT}).
 */

/** Thrown into the producer when the consumer stopped iterating; the producer lets it propagate. */
export const CONSUMER_LEFT: unique symbol = Symbol('rapsqlite.consumerLeft');

export class Channel<T> {
  readonly #queue: T[] = [];
  readonly #highWater: number;
  #wakeConsumer: (() => void) | undefined;
  #wakeProducer: (() => void) | undefined;
  #ended = false;
  #failed = false;
  #error: unknown;
  #left = false;

  constructor(highWater = 2) {
    this.#highWater = highWater;
  }

  /** Queues a value; resolves once there is room again. Throws {@link CONSUMER_LEFT} when the consumer has left. */
  async push(value: T): Promise<void> {
    if (this.#left) throw CONSUMER_LEFT;
    this.#queue.push(value);
    this.#wake('consumer');
    while (this.#queue.length >= this.#highWater && !this.#left) {
      await new Promise<void>((resolve) => (this.#wakeProducer = resolve));
    }
    if (this.#left) throw CONSUMER_LEFT;
  }

  /** Ends the stream, with an error when the producer failed. */
  end(error?: unknown, failed = error !== undefined): void {
    this.#ended = true;
    this.#failed = failed;
    this.#error = error;
    this.#wake('consumer');
  }

  /** The next value, or done once the producer ended and the queue is empty. Rethrows the producer's error. */
  async next(): Promise<IteratorResult<T, undefined>> {
    while (this.#queue.length === 0 && !this.#ended) {
      await new Promise<void>((resolve) => (this.#wakeConsumer = resolve));
    }
    if (this.#queue.length > 0) {
      const value = this.#queue.shift() as T;
      this.#wake('producer');
      return { done: false, value };
    }
    if (this.#failed) {
      this.#failed = false;
      throw this.#error;
    }
    return { done: true, value: undefined };
  }

  /** The consumer leaves: queued values are dropped and the producer's next push throws. */
  leave(): void {
    this.#left = true;
    this.#queue.length = 0;
    this.#wake('producer');
  }

  #wake(who: 'consumer' | 'producer'): void {
    const wake = who === 'consumer' ? this.#wakeConsumer : this.#wakeProducer;
    if (who === 'consumer') this.#wakeConsumer = undefined;
    else this.#wakeProducer = undefined;
    wake?.();
  }
}
