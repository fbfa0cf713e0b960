/**
 * The memory a connection shares with its worker to cancel requests and to know how far the worker got. One table
 * per worker (a replacement worker gets a new one, so a terminating worker can never write into its successor's).
 *
 * Layout (Int32): `[active, done, inTransaction, mark × CANCEL_RING]`. The worker stores a request's id in `active`
 * before it reads the request's mark, and in `done` once the request has finished, with whether the connection is
 * then inside a transaction; the caller stores an id in the id's mark slot to cancel it. Sequential consistency of `Atomics` gives the guarantee cancellation rests on: when the caller stores a
 * mark and then reads `active` below the id, the worker has not started that request and will see the mark.
 *
 * A slot is `id mod CANCEL_RING`. The caller never has more than `CANCEL_RING` requests posted and unanswered
 * ({@link CANCEL_RING}), so two requests in flight never share a slot. Ids are compared in 32-bit serial arithmetic,
 * so they may grow past 2^31 (an Int32 cell wraps) without a request being mistaken for another.
 */

/** How many requests a connection may have posted and not yet answered; a power of two. */
export const CANCEL_RING = 32_768;

const ACTIVE = 0;
const DONE = 1;
const IN_TRANSACTION = 2;
const MARKS = 3;
const MASK = CANCEL_RING - 1;

/** Bytes of the shared buffer a table needs. */
export const CANCEL_TABLE_BYTES = (MARKS + CANCEL_RING) * Int32Array.BYTES_PER_ELEMENT;

/** `a − b` in 32-bit serial arithmetic: negative when `a` comes before `b`. Valid while |a − b| < 2^31. */
export function compareIds(a: number, b: number): number {
  return ((a | 0) - (b | 0)) | 0;
}

/** Where a posted request stands in its worker. */
export type RequestProgress = 'queued' | 'running' | 'done';

/** One side's view of the shared table. */
export class CancelTable {
  readonly buffer: SharedArrayBuffer;
  readonly #cells: Int32Array;

  /** Wraps `buffer`, or makes a new table whose worker has not started anything after request `lastId`. */
  constructor(buffer?: SharedArrayBuffer, lastId = 0) {
    this.buffer = buffer ?? new SharedArrayBuffer(CANCEL_TABLE_BYTES);
    this.#cells = new Int32Array(this.buffer);
    if (buffer === undefined) {
      this.#cells[ACTIVE] = lastId | 0;
      this.#cells[DONE] = lastId | 0;
    }
  }

  // ---- The caller's side ----

  /** Marks request `id` as cancelled: the worker skips it if it has not started it yet. */
  mark(id: number): void {
    Atomics.store(this.#cells, MARKS + (id & MASK), id | 0);
  }

  /** Where request `id` stands. Read after {@link mark}: `'queued'` then means the worker will skip it. */
  progress(id: number): RequestProgress {
    if (compareIds(Atomics.load(this.#cells, DONE), id) >= 0) return 'done';
    return compareIds(Atomics.load(this.#cells, ACTIVE), id) >= 0 ? 'running' : 'queued';
  }

  /** The id of the request the worker started last. */
  get active(): number {
    return Atomics.load(this.#cells, ACTIVE);
  }

  /** Whether the connection was inside a transaction (its own BEGIN, or a script's) after its last finished request. */
  get inTransaction(): boolean {
    return Atomics.load(this.#cells, IN_TRANSACTION) === 1;
  }

  // ---- The worker's side ----

  /** Records that request `id` starts; returns true when it was cancelled and must be skipped. */
  begin(id: number): boolean {
    Atomics.store(this.#cells, ACTIVE, id | 0);
    return Atomics.load(this.#cells, MARKS + (id & MASK)) === (id | 0);
  }

  /** Records that request `id` has finished (answered or skipped), and whether a transaction is open after it. */
  end(id: number, inTransaction: boolean): void {
    Atomics.store(this.#cells, IN_TRANSACTION, inTransaction ? 1 : 0);
    Atomics.store(this.#cells, DONE, id | 0);
  }
}
