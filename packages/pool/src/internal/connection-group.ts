import { ErrorCodes, RapsqliteError, type ConnectionRole, type Database, type OperationKind } from '@rapsqlite/engine';
import type { WorkerConnection } from '@rapsqlite/engine/plugin';
import { PoolErrorCodes, poolError } from '../errors.ts';
import type { ConnectionGroupStats } from '../stats.ts';
import type { CallCost } from './call-costs.ts';

/**
 * A connection whose oldest call has run this long without an answer is stalled: a new call is not pipelined behind
 * it while another connection can take it (it waits in the queue for the first connection that answers instead).
 */
export const STALL_MS = 2;

/** The longest delay a Node timer takes. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/** One connection of the pool: an engine database without middleware (handles with middleware are made from it). */
export interface Slot {
  readonly role: ConnectionRole;
  /** The engine connection id, as middleware sees it in `op.connection.id`. */
  readonly id: number;
  /** The pool's own handle on the connection, for housekeeping. */
  readonly raw: Database;
  /** The connection the pool's leases hand out. */
  readonly connection: WorkerConnection;
  readonly createdAt: number;
  /** Calls holding the connection: user calls and the pool's own (probes, pings, recovery). */
  running: number;
  /** A transaction holds the connection: nothing else may be sent. */
  exclusive: boolean;
  state: 'ready' | 'recovering' | 'closed';
  /** When `running` last fell to 0. */
  idleSince: number;
  /** When `running` last rose from 0. */
  busySince: number;
  /** When the last user call or ping finished, for keep-alive. */
  lastActive: number;
  /** Calls in flight that routing watches: every call but transactions, cursors and the pool's own. */
  calls: number;
  /**
   * Open cursors holding a lease on this connection. Their statement keeps the connection's read snapshot, so a read
   * sent there would not see a write acknowledged since the cursor opened: routing takes it last.
   */
  cursors: number;
  /** Of those, the ones known to be slow, and the ones never measured yet. */
  slowCalls: number;
  unknownCalls: number;
  /**
   * When the connection last made progress on those calls (one answered, or the first was sent): a connection
   * answers in order, so this is when its oldest call in flight started to run.
   */
  progressAt: number;
}

/** How a call counts for routing: watched with its cost, or not watched (transactions, cursors, the pool's own). */
export type Watch = CallCost | undefined;

interface Waiter {
  readonly kind: OperationKind;
  readonly exclusive: boolean;
  readonly watch: Watch;
  readonly since: number;
  /** When the call gives up waiting (`since` + the limit's milliseconds). */
  readonly deadline: number;
  readonly limits: WaitLimits;
  readonly resolve: (slot: Slot) => void;
  readonly reject: (reason: unknown) => void;
  cleanup: (() => void) | undefined;
  settled: boolean;
}

/** How a queued call gives up. */
export interface WaitLimits {
  /** Milliseconds before the call fails. */
  readonly ms: number;
  /** The code it fails with: the pool's acquire timeout, or the engine's call deadline when that is shorter. */
  readonly code: string;
  readonly signal: AbortSignal | undefined;
  readonly sql: string;
}

/** What a group tells the pool. */
export interface GroupHooks {
  /** A call had to wait: the pool may open another connection. */
  readonly onEnqueue: (group: ConnectionGroup, kind: OperationKind) => void;
  readonly onTimeout: (group: ConnectionGroup, kind: OperationKind, waitMs: number) => void;
  readonly onReject: (group: ConnectionGroup, kind: OperationKind) => void;
  /** A call was sent to a connection already running one (pipelining): the pool may open another connection. */
  readonly onShare: (group: ConnectionGroup) => void;
}

/**
 * The connections of one role and the calls waiting for them, in arrival order. A connection takes up to
 * `pipelining` calls at once, or one transaction alone. The head of the queue is served first, so a transaction
 * waiting for an idle connection is not overtaken by the calls behind it.
 *
 * When the group has (or may open) more than one connection, a call is never pipelined behind a call known to be slow
 * or behind one that has run longer than {@link STALL_MS}: an idle connection comes first, then a busy one whose calls
 * are all fast, then one running a call never measured; failing all of these the call waits for the first connection
 * that answers (and the pool opens another reader if it may).
 */
export class ConnectionGroup {
  readonly role: ConnectionRole;
  readonly min: number;
  readonly max: number;
  readonly #pipelining: number;
  readonly #maxQueue: number;
  readonly #hooks: GroupHooks;
  readonly slots: Slot[] = [];
  /** Connections being opened. */
  creating = 0;
  #queue: Waiter[] = [];
  #head = 0;
  #pending = 0;
  /**
   * One timer for every waiting call, set for the earliest deadline it knows of (a timer per call cost a Timeout
   * object and two timer-list operations for each call that waited); it expires what is due and sets itself again.
   */
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;
  created = 0;
  destroyed = 0;
  timeouts = 0;
  rejected = 0;
  acquired = 0;

  constructor(role: ConnectionRole, limits: { min: number; max: number; pipelining: number; maxQueue: number }, hooks: GroupHooks) {
    this.role = role;
    this.min = limits.min;
    this.max = limits.max;
    this.#pipelining = limits.pipelining;
    this.#maxQueue = limits.maxQueue;
    this.#hooks = hooks;
  }

  /** Calls waiting for a connection. */
  get pending(): number {
    return this.#pending;
  }

  /** True when no call runs or waits (the pool's own calls included). */
  get quiet(): boolean {
    return this.#pending === 0 && this.slots.every((s) => s.running === 0);
  }

  /**
   * A connection for a call: at once when one is free and nobody waits before, else a promise that resolves in
   * arrival order, or rejects on timeout, abort, or a full queue.
   */
  acquire(kind: OperationKind, exclusive: boolean, limits: WaitLimits, watch?: Watch): Slot | Promise<Slot> {
    if (this.#pending === 0) {
      const slot = this.#pick(exclusive);
      if (slot !== undefined) {
        this.#grant(slot, exclusive, watch);
        return slot;
      }
    }
    if (limits.signal?.aborted === true) return Promise.reject(aborted(limits.signal, limits.sql));
    if (this.#pending >= this.#maxQueue) {
      this.rejected++;
      this.#hooks.onReject(this, kind);
      return Promise.reject(poolError(PoolErrorCodes.QUEUE_FULL, `${this.#pending} calls already wait for a ${this.role} (maxQueue)`, limits.sql));
    }
    return new Promise<Slot>((resolve, reject) => {
      const since = performance.now();
      const waiter: Waiter = { kind, exclusive, watch, since, deadline: since + limits.ms, limits, resolve, reject, cleanup: undefined, settled: false };
      this.#armTimer(waiter.deadline);
      const signal = limits.signal;
      if (signal !== undefined) {
        const onAbort = () => {
          if (this.#drop(waiter)) reject(aborted(signal, limits.sql));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        waiter.cleanup = () => signal.removeEventListener('abort', onAbort);
      }
      this.#queue.push(waiter);
      this.#pending++;
      this.#hooks.onEnqueue(this, kind);
    });
  }

  /** Gives a connection back and serves the queue; `watch` as the call was acquired with. */
  release(slot: Slot, exclusive: boolean, watch?: Watch): void {
    if (exclusive) slot.exclusive = false;
    slot.running--;
    const now = performance.now();
    slot.lastActive = now;
    if (slot.running === 0) slot.idleSince = now;
    if (watch !== undefined) {
      slot.calls--;
      if (watch === 'slow') slot.slowCalls--;
      else if (watch === 'unknown') slot.unknownCalls--;
      slot.progressAt = now;
    }
    this.dispatch();
  }

  /** Takes a connection for one of the pool's own calls, only if one is idle now. */
  takeIdle(slot: Slot): boolean {
    if (slot.state !== 'ready' || slot.running !== 0 || slot.exclusive) return false;
    this.#grant(slot, false, undefined);
    return true;
  }

  /** Adds an opened connection and serves the queue. */
  add(slot: Slot): void {
    this.slots.push(slot);
    this.created++;
    this.dispatch();
  }

  /** Removes a connection from the group (it no longer takes calls); `count` adds it to `destroyed`. */
  remove(slot: Slot, count = true): void {
    const at = this.slots.indexOf(slot);
    if (at !== -1) this.slots.splice(at, 1);
    if (count) this.destroyed++;
  }

  /** Serves waiting calls while connections are free. */
  dispatch(): void {
    while (this.#pending > 0) {
      const waiter = this.#queue[this.#head];
      if (waiter === undefined) break;
      if (waiter.settled) {
        this.#head++;
        continue;
      }
      const slot = this.#pick(waiter.exclusive);
      if (slot === undefined) break;
      this.#head++;
      this.#drop(waiter);
      this.#grant(slot, waiter.exclusive, waiter.watch);
      waiter.resolve(slot);
    }
    if (this.#pending === 0) {
      if (this.#queue.length > 0) this.#queue = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      // Served waiters are dropped once they are most of the array, so a long queue is not copied every 1 024 calls.
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Fails every waiting call (no connection can ever serve them). */
  rejectAll(reason: unknown): void {
    for (let i = this.#head; i < this.#queue.length; i++) {
      const waiter = this.#queue[i] as Waiter;
      if (this.#drop(waiter)) waiter.reject(reason);
    }
    this.#queue = [];
    this.#head = 0;
    this.#clearTimer();
  }

  stats(): ConnectionGroupStats {
    let idle = 0;
    let running = 0;
    let requests = 0;
    for (const slot of this.slots) {
      if (slot.running === 0) idle++;
      running += slot.running;
      requests += slot.connection.requests;
    }
    let maxWaitMs = 0;
    for (let i = this.#head; i < this.#queue.length; i++) {
      const waiter = this.#queue[i] as Waiter;
      if (!waiter.settled) {
        maxWaitMs = performance.now() - waiter.since;
        break;
      }
    }
    return {
      total: this.slots.length,
      idle,
      used: this.slots.length - idle,
      creating: this.creating,
      running,
      pending: this.#pending,
      maxWaitMs,
      min: this.min,
      max: this.max,
      created: this.created,
      destroyed: this.destroyed,
      timeouts: this.timeouts,
      rejected: this.rejected,
      acquired: this.acquired,
      requests,
    };
  }

  /**
   * The connection for the next call: the first idle one (the oldest first, so newer ones go idle and are reaped);
   * else, for a call that may share one, the busy one with the fewest calls among those whose calls are all known to
   * be fast, then among those running a call never measured, and last the ones holding an open cursor (whose snapshot
   * a read there would share). With alternatives (more than one connection, or room to open one), a connection running
   * a slow call, or one whose oldest call has run past {@link STALL_MS}, is skipped.
   */
  #pick(exclusive: boolean): Slot | undefined {
    let best: Slot | undefined;
    let bestRank = 3;
    const avoid = this.max > 1;
    let now = 0;
    for (const slot of this.slots) {
      if (slot.state !== 'ready' || slot.exclusive) continue;
      if (slot.running === 0) return slot;
      if (exclusive || slot.running >= this.#pipelining) continue;
      let rank = 0;
      if (avoid && slot.calls > 0) {
        if (slot.slowCalls > 0) continue;
        if (now === 0) now = performance.now();
        if (now - slot.progressAt > STALL_MS) continue;
        if (slot.unknownCalls > 0) rank = 1;
      }
      if (slot.cursors > 0) rank = 2;
      if (rank < bestRank || (rank === bestRank && slot.running < (best as Slot).running)) {
        best = slot;
        bestRank = rank;
      }
    }
    return best;
  }

  #grant(slot: Slot, exclusive: boolean, watch: Watch): void {
    const now = slot.running === 0 || watch !== undefined ? performance.now() : 0;
    if (slot.running === 0) slot.busySince = now;
    else this.#hooks.onShare(this);
    slot.running++;
    if (exclusive) slot.exclusive = true;
    if (watch !== undefined) {
      if (slot.calls++ === 0) slot.progressAt = now;
      if (watch === 'slow') slot.slowCalls++;
      else if (watch === 'unknown') slot.unknownCalls++;
    }
  }

  /** Takes a waiter out of the queue's accounting; false when it had already left. */
  #drop(waiter: Waiter): boolean {
    if (waiter.settled) return false;
    waiter.settled = true;
    // Nobody waits any more: the timer must not keep the process alive until a deadline that no longer matters.
    if (--this.#pending === 0) this.#clearTimer();
    waiter.cleanup?.();
    return true;
  }

  /** Makes sure the timer fires by `deadline`. */
  #armTimer(deadline: number): void {
    if (deadline >= this.#timerAt) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = deadline;
    // Node clamps a delay past 2^31 − 1 ms to 1 ms; a later deadline is reached by setting the timer again.
    this.#timer = setTimeout(this.#expire, Math.min(MAX_DELAY_MS, Math.max(0, deadline - performance.now())));
  }

  #clearTimer(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  /** Fails the waiting calls whose deadline has come (in arrival order), then sets the timer for the next one. */
  readonly #expire = (): void => {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    // Node's timers count whole milliseconds: one may fire a fraction of a millisecond before the deadline it was set for.
    const now = performance.now() + 1;
    let next = Infinity;
    for (let i = this.#head; i < this.#queue.length; i++) {
      const waiter = this.#queue[i] as Waiter;
      if (waiter.settled) continue;
      if (waiter.deadline > now) {
        if (waiter.deadline < next) next = waiter.deadline;
        continue;
      }
      this.#drop(waiter);
      const waitMs = performance.now() - waiter.since;
      const limits = waiter.limits;
      this.timeouts++;
      this.#hooks.onTimeout(this, waiter.kind, waitMs);
      const message =
        limits.code === PoolErrorCodes.ACQUIRE_TIMEOUT
          ? `No ${this.role} became free within ${limits.ms} ms (acquireTimeoutMs)`
          : `The call's deadline of ${limits.ms} ms passed while it waited for a ${this.role}`;
      waiter.reject(new RapsqliteError(limits.code, message, { sql: limits.sql }));
    }
    if (next !== Infinity && this.#pending > 0) this.#armTimer(next);
  };
}

function aborted(signal: AbortSignal, sql: string): RapsqliteError {
  return new RapsqliteError(ErrorCodes.ABORTED, 'The call was cancelled while it waited for a connection', { sql, cause: signal.reason });
}
