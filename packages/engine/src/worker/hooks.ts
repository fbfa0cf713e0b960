/**
 * Connection hooks in the worker, through the native companion: SQLite's update hook (`db.onChange()`) and
 * `sqlite3_limit` (`db.limit()`). The update hook records changes in the companion while a statement runs (it cannot
 * call JavaScript from inside `sqlite3_step`); after each request the worker takes them and sends them, in order,
 * right behind the request's own reply, as partial answers of each `watchChanges` request (a background request that
 * lasts as long as the subscription). The caller's thread therefore calls the listeners before the request's promise
 * continuation runs.
 */
import { createRequire } from 'node:module';
import { ErrorCodes } from '../errors/codes.ts';
import type { ReplyChannel } from '../operations/handler.ts';
import { Status, type WorkerConfig } from './protocol.ts';
import type { WorkerSession } from './session.ts';
import { toWire } from './wire-error.ts';
import { WorkerError } from './worker-error.ts';

/** The companion's hook functions (`native/src/hooks.c`). */
interface NativeHooks {
  watchChanges(slot: number, on: boolean): void;
  takeChanges(slot: number, max: number): unknown[] | undefined;
  limit(slot: number, id: number, value: number): number;
}

/**
 * Changes per partial answer. All of a request's changes travel in the message that carries its reply, so that every
 * listener has run before the caller's continuation; chunks keep each array the structured clone copies small.
 */
const CHUNK = 1024;

/** The first partial answer of a `watchChanges` request: the hook is installed. */
export const WATCH_READY = 0;

let native: NativeHooks | null | undefined;
/** Ids of the `watchChanges` requests running in this worker. */
const watches = new Set<number>();

function hooks(session: WorkerSession, what: string): NativeHooks {
  const companion = session.companion;
  if (companion === undefined) throw new WorkerError(ErrorCodes.UNSUPPORTED, `${what} needs the native companion, which is not available`);
  if (native === undefined) {
    // The binary is already loaded in this thread: requiring it again returns the same exports.
    const raw = createRequire(import.meta.url)(companion.extensionPath) as Partial<NativeHooks>;
    native = typeof raw.watchChanges === 'function' && typeof raw.takeChanges === 'function' && typeof raw.limit === 'function' ? (raw as NativeHooks) : null;
  }
  if (native === null) throw new WorkerError(ErrorCodes.UNSUPPORTED, `${what} needs a newer build of the native companion (rebuild it with node native/build.mjs)`);
  return native;
}

/** Starts watch `id`: installs the update hook and says so; the request is answered when the watch ends. */
export function startWatch(session: WorkerSession, id: number, reply: ReplyChannel): Promise<void> {
  hooks(session, 'db.onChange()').watchChanges(session.slot, true);
  watches.add(id);
  reply.partial(WATCH_READY);
  // Answered by pumpChanges (synchronously, so that a watch ended by close() is answered before the port closes).
  return new Promise<void>(() => undefined);
}

/** True while a watch runs in this worker. */
export function watching(): boolean {
  return watches.size > 0;
}

/**
 * After each request: sends the changes it made to every watch (behind its reply), and answers the watches that were
 * cancelled (`abortTask`) or end with the connection (`closing`).
 */
export function pumpChanges(session: WorkerSession, closing: boolean, push: (id: number, status: number, payload: unknown, ns: number) => void): void {
  const slot = session.slot;
  try {
    if (!closing) {
      const take = hooks(session, 'db.onChange()');
      let batch = take.takeChanges(slot, CHUNK);
      while (batch !== undefined) {
        for (const id of watches) push(id, Status.partial, batch, 0);
        batch = take.takeChanges(slot, CHUNK);
      }
    }
    for (const id of watches) {
      if (!closing && session.abortReason(id) === undefined) continue;
      watches.delete(id);
      push(id, Status.ok, undefined, 0);
    }
    if (watches.size === 0 && !closing) hooks(session, 'db.onChange()').watchChanges(slot, false);
  } catch (err) {
    for (const id of watches) push(id, Status.error, toWire(err), 0);
    watches.clear();
  }
}

/** `db.limit(id, value)`: sets an SQLite limit (a negative value only reads it) and returns its previous value. */
export function setLimit(session: WorkerSession, id: number, value: number): number {
  return hooks(session, 'db.limit()').limit(session.slot, id, value);
}

/** Applies the limits a replaced worker had (the `limits` of its configuration). */
export function replayLimits(session: WorkerSession, config: WorkerConfig): void {
  for (const [id, value] of config.limits ?? []) setLimit(session, id, value);
}
