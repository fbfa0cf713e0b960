import { ErrorCodes } from '../errors/codes.ts';
import { RapsqliteError } from '../errors/rapsqlite-error.ts';
import type { Row } from '../types.ts';
import type { Connection } from './connection.ts';

interface Chunk {
  readonly rows: Row[];
  readonly done: boolean;
}

/** Fetches the next chunk of an open cursor (through the lease rules of the caller's transaction, if any). */
export type FetchChunk = (cursor: number) => Promise<Chunk>;

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * The caller's side of a cursor open in the worker. It holds at most two chunks: the one being consumed and the
 * next one, requested as soon as the previous arrived. So the worker never runs more than one chunk ahead of the
 * consumer, and memory stays flat however many rows the query yields.
 */
export class RemoteCursor<R = Row> implements AsyncIterableIterator<R> {
  readonly #connection: Connection;
  readonly #generation: number;
  readonly #id: number;
  readonly #fetch: FetchChunk;
  readonly #onClose: () => void;
  #buffer: Row[];
  #position = 0;
  /** No more rows will be delivered. */
  #finished: boolean;
  /** The worker still holds the cursor (no final chunk has arrived and it was not closed). */
  #open: boolean;
  #next: Promise<Chunk> | undefined;

  constructor(connection: Connection, id: number, first: Chunk, fetch: FetchChunk, onClose: () => void) {
    this.#connection = connection;
    this.#generation = connection.generation;
    this.#id = id;
    this.#fetch = fetch;
    this.#onClose = onClose;
    this.#buffer = first.rows;
    this.#finished = first.done;
    this.#open = !first.done;
    if (first.done) onClose();
    else this.#prefetch();
  }

  #prefetch(): void {
    const next = this.#fetch(this.#id);
    // The consumer may stop before it reads this chunk; a failure is reported by next() if it does read it.
    next.catch(() => undefined);
    this.#next = next;
  }

  async next(): Promise<IteratorResult<R, undefined>> {
    while (this.#position >= this.#buffer.length) {
      if (this.#finished) return DONE;
      if (this.#connection.generation !== this.#generation) {
        this.#finished = true;
        this.#open = false;
        this.#onClose();
        // The chunk in flight says why its worker went away when it was cancelled (the worker was replaced to stop it).
        const pending = await this.#next?.then(
          () => undefined,
          (err: unknown) => err,
        );
        if (pending instanceof RapsqliteError && (pending.code === ErrorCodes.ABORTED || pending.code === ErrorCodes.TIMEOUT)) throw pending;
        throw new RapsqliteError(ErrorCodes.WORKER_DIED, 'The worker died while the cursor was open');
      }
      let chunk: Chunk;
      try {
        chunk = await (this.#next as Promise<Chunk>);
      } catch (err) {
        await this.return();
        throw err;
      }
      this.#buffer = chunk.rows;
      this.#position = 0;
      if (chunk.done) {
        this.#finished = true;
        this.#open = false;
        this.#onClose();
      } else {
        this.#prefetch();
      }
    }
    return { done: false, value: this.#buffer[this.#position++] as R };
  }

  /** Stops early (a `break` out of `for await`): the statement is finalized in the worker at once. */
  async return(): Promise<IteratorReturnResult<undefined>> {
    this.#finished = true;
    this.#buffer = [];
    if (this.#open) {
      this.#open = false;
      this.#onClose();
      if (this.#connection.generation === this.#generation && !this.#connection.closed) {
        // Closing after the prefetch keeps the order the worker needs; a failure means the cursor is already gone.
        await this.#next?.catch(() => undefined);
        await this.#connection.execute({ kind: 'iterClose', sql: '', extra: this.#id }).catch(() => undefined);
      }
    }
    return DONE;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }
}
