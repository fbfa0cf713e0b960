/**
 * The caller's side of the companion's native fast path.
 *
 * A call awaited on its own pays a message round trip: the worker's wake-up, the MessagePort on both threads, the
 * worker's JavaScript. Measured on an awaited point query, the worker thread spent ~20 µs of CPU per call where
 * node-sqlite3's thread-pool thread spends ~13 µs. So, while the worker's JavaScript is idle, its thread waits
 * inside the companion (`fastServe`), which runs simple statements itself and answers the caller's thread through a
 * Node-API threadsafe function. The connection keeps one thread: the worker's.
 *
 * What goes this way (decided here, per call): a `get`, `all` or `run` with positional parameters of the plain
 * types (null, number, bigint within 64 bits, string, bytes), without a signal or deadline, on a connection with
 * nothing else in flight (so that order never depends on which way a call went), and no schema change (whose
 * statement cache the worker's JavaScript must clear). The companion itself hands back (status `fallback`,
 * nothing run) what it does not handle exactly as better-sqlite3 would: named parameters, a parameter count that
 * does not match, a script of several statements, `get` on a statement that returns no rows. Everything else, and
 * anything while the worker's JavaScript is busy or its event loop has work, takes the message path.
 */
import type { Companion } from '../native/companion.ts';

/** The companion's request kinds. */
export const FastKind = { run: 0, get: 1, all: 2 } as const;
/** The companion's reply statuses. */
export const FastStatus = { ok: 0, error: 1, fallback: 2 } as const;

/** A connection that receives fast-path replies for its slot. */
export interface FastReceiver {
  onFast(id: number, status: number, payload: unknown, inTransaction: boolean): void;
}

const receivers = new Map<number, FastReceiver>();
let ready: Companion | undefined;
let refused = false;

/**
 * Makes `receiver` the recipient of the replies for `slot` (each thread has its own channel for the replies to what
 * it submitted). Returns false when the companion refused to make this thread's channel.
 */
export function registerFast(companion: Companion, slot: number, receiver: FastReceiver): boolean {
  if (ready === undefined) {
    if (refused) return false;
    try {
      companion.fastInit((replySlot, id, status, payload, inTransaction) => receivers.get(replySlot)?.onFast(id, status, payload, inTransaction));
    } catch {
      refused = true;
      return false;
    }
    // A worker waiting inside the companion would make the process's exit wait for its next timeout.
    process.once('exit', () => companion.fastKickAll());
    ready = companion;
  }
  receivers.set(slot, receiver);
  return true;
}

/** Stops delivering replies for `slot` (its worker is gone). */
export function unregisterFast(slot: number): void {
  receivers.delete(slot);
}

const BUFFER_PROTO = Buffer.prototype;
const BYTES_PROTO = Uint8Array.prototype;

/**
 * The positional parameters to send the fast way, or undefined when they must take the message path. A lone value
 * binds as the first parameter, as on the message path.
 */
export function fastParams(params: unknown): unknown[] | undefined {
  if (params === undefined) return [];
  const list = Array.isArray(params) ? (params as unknown[]) : [params];
  for (let i = 0; i < list.length; i++) {
    const value = list[i];
    switch (typeof value) {
      case 'number':
      case 'string':
        continue;
      case 'bigint':
        if (BigInt.asIntN(64, value) !== value) return undefined;
        continue;
      case 'object': {
        if (value === null) continue;
        const proto = Object.getPrototypeOf(value) as unknown;
        if (proto === BUFFER_PROTO || proto === BYTES_PROTO) continue;
        return undefined;
      }
      default:
        return undefined;
    }
  }
  return list;
}
