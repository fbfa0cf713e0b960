import { AsyncResource } from 'node:async_hooks';
import type { EventEmitter } from 'node:events';
import type { Database as EngineDatabase } from '@rapsqlite/engine';
import { sqliteError, type Sqlite3Error } from './errors.ts';
import type { AnyFunction } from './invoke.ts';

/**
 * How a failed entry reports: `true` when it called a callback, `false` when it had none (the database then emits
 * `'error'`), `undefined` when it is dropped silently (an operation of a statement whose preparation already failed).
 */
export type FailOutcome = boolean | undefined;

/** Calls a callback either now (errors propagate to the caller, as from a native call) or safely (from the queue). */
export type Caller = (fn: AnyFunction, self: unknown, args: readonly unknown[]) => void;

/** One call queued at the database: what to do when its turn comes, and how to fail it when it never will. */
export interface Entry {
  run(): void;
  fail(err: Sqlite3Error, call: Caller): FailOutcome;
}

/** Something running that `interrupt()` must stop between its requests (an `each` or a statement's open cursor). */
export interface Interruptible {
  interrupted: boolean;
}

/**
 * A place in a database's callback order: callbacks fire in the order their calls were issued. What a slot runs when
 * its turn comes is either `fire`, or `handler(slot)` with the call's outcome in the slot's own fields (a statement's
 * results: no closure per call).
 */
export class Slot {
  ready = false;
  fire: (() => void) | undefined = undefined;
  handler: ((slot: Slot) => void) | undefined = undefined;
  /** For `handler`: who made the call, its callback, and what to give it. */
  owner: unknown = undefined;
  callback: AnyFunction | undefined = undefined;
  kind = 0;
  value: unknown = undefined;
  changes = 0;
  /** The `trace` and `profile` events of the call, emitted just before its callback. */
  observed: (() => void) | undefined = undefined;
  onHead: (() => void) | undefined = undefined;
  /** The slot taken after this one (the order is a linked list: nothing to allocate or shift per call). */
  next: Slot | undefined = undefined;

  /** The async resource the callback runs in (see {@link ResourceType}), made in the caller's context. */
  readonly context: AsyncResource;

  constructor(context: AsyncResource) {
    this.context = context;
  }
}

/**
 * The async_hooks type of the resource that keeps a caller's async context for a call queued behind the gate. One
 * `AsyncResource` each, entered with `runInAsyncScope`: what
 * `AsyncResource.bind` and `AsyncLocalStorage.snapshot()` do, without the bound function they define properties on
 * (measured: ~3 µs each, against ~50 ns).
 */
const QUEUED_RESOURCE = 'rapsqlite.sqlite3.Queued';

/**
 * The async_hooks type of the resource an operation's callback runs in, node-sqlite3's name for the async work of that
 * operation (`sqlite3.Statement.Run`, …): tools that measure a query from its resource's `init` to its callback find
 * it under the same name. One per call, made when the call takes its turn, so it carries the caller's async context.
 */
export type ResourceType =
  | 'sqlite3.Database.Exec'
  | 'sqlite3.Statement.Prepare'
  | 'sqlite3.Statement.Bind'
  | 'sqlite3.Statement.Get'
  | 'sqlite3.Statement.Run'
  | 'sqlite3.Statement.All'
  | 'sqlite3.Statement.Each'
  | 'sqlite3.Statement.Reset'
  | 'sqlite3.Statement.Finalize';

/** A call held behind the gate, with the async context it was made in. */
class Deferred extends AsyncResource implements Entry {
  readonly #entry: Entry;

  constructor(entry: Entry) {
    super(QUEUED_RESOURCE);
    this.#entry = entry;
  }

  run(): void {
    this.runInAsyncScope(this.#entry.run, this.#entry);
  }

  fail(err: Sqlite3Error, call: Caller): FailOutcome {
    return this.runInAsyncScope(this.#entry.fail, this.#entry, err, call);
  }
}

function fireSlot(slot: Slot): void {
  if (slot.handler !== undefined) slot.handler(slot);
  else slot.fire?.();
}

/** The lifecycle of a node-sqlite3 Database. */
export type CoreState = 'opening' | 'open' | 'closing' | 'closed' | 'failed';

export const callNow: Caller = (fn, self, args) => {
  fn.apply(self, args as unknown[]);
};

/**
 * The state every object made from one node-sqlite3 Database shares: the engine database, the gate that holds calls
 * while it opens or while an exclusive operation runs (`wait`, `close`, an `each`), and the count of issued
 * operations whose callbacks have not run yet.
 *
 * Calls issued through the gate reach the engine in call order, and the engine's single worker runs them in that order:
 * node-sqlite3's `serialize()` order. Its parallel mode allows any order, so this order is one of its valid schedules.
 */
export class DatabaseCore {
  readonly owner: EventEmitter;
  engine: EngineDatabase | undefined;
  state: CoreState = 'opening';
  /** Prepared, unfinalized statements: `close()` fails with SQLITE_BUSY while there are any, as in SQLite. */
  liveStatements = 0;
  /** Backups not finished (their handle is open): same rule. */
  liveBackups = 0;
  /** The open callback is running (the gate still holds the calls queued during the open). */
  inOpenCallback = false;
  trace = false;
  profile = false;
  serialized = false;
  /** `'change'` listeners want the engine's update hook. */
  changeListening = false;
  readonly running = new Set<Interruptible>();
  /** Reasons to hold calls (opening, an exclusive operation, an each, learning a statement's shape): open at 0. */
  #blocks = 1;
  #deferred: Deferred[] = [];
  #pending = 0;
  #drainWaiters: Array<() => void> = [];
  /** Slots not fired yet, oldest first. */
  #head: Slot | undefined = undefined;
  #tail: Slot | undefined = undefined;
  #flushQueued = false;

  constructor(owner: EventEmitter) {
    this.owner = owner;
  }

  /** True when a call may run at once: open, nothing held, nothing queued. */
  canRunNow(): boolean {
    return this.#blocks === 0 && this.#deferred.length === 0 && this.state === 'open';
  }

  /** Runs `entry` now, or queues it (in the caller's async context) behind the gate. */
  schedule(entry: Entry): void {
    switch (this.state) {
      case 'failed':
        // node-sqlite3 never calls back after a failed open: its queue is never processed.
        return;
      case 'closed': {
        const err = sqliteError('SQLITE_MISUSE', 'Database is closed');
        if (entry.fail(err, callNow) === false) this.owner.emit('error', err);
        return;
      }
      default:
        if (this.#blocks > 0 || this.#deferred.length > 0) {
          this.#deferred.push(new Deferred(entry));
        } else {
          entry.run();
        }
    }
  }

  /**
   * Schedules a callback-only operation (`wait`) to run alone: after every issued operation has called back. Calls
   * made from inside it run at once, as they do from node-sqlite3's, then the calls queued behind it.
   */
  exclusive(task: () => void, fail: Entry['fail']): void {
    this.schedule({
      run: () => {
        this.block();
        void this.drained().then(() => {
          this.#blocks--;
          try {
            task();
          } finally {
            this.#pump();
          }
        });
      },
      fail,
    });
  }

  /** Schedules asynchronous work to run alone, with later calls held until it has finished. */
  exclusiveAsync(task: () => Promise<void>, fail: Entry['fail']): void {
    this.schedule({
      run: () => {
        this.block();
        void this.drained()
          .then(task)
          .finally(() => this.unblock());
      },
      fail,
    });
  }

  /** Holds later calls until the matching {@link unblock}. */
  block(): void {
    this.#blocks++;
  }

  /** Releases one hold; with none left, held calls go, in order, until one of them holds again. */
  unblock(): void {
    this.#blocks--;
    this.#pump();
  }

  #pump(): void {
    if (this.state === 'closed' || this.state === 'failed') return;
    while (this.#blocks === 0 && this.#deferred.length > 0) (this.#deferred.shift() as Deferred).run();
  }

  /** Drops held calls after a failed open: node-sqlite3 never calls them back. */
  abandon(): void {
    this.state = 'failed';
    this.#deferred = [];
  }

  /** Fails every held call after the database closed, emitting one `'error'` when none of them had a callback. */
  rejectDeferred(err: Sqlite3Error, call: Caller): void {
    const entries = this.#deferred;
    this.#deferred = [];
    let called = false;
    let uncalled = false;
    for (const entry of entries) {
      const outcome = entry.fail(err, call);
      if (outcome === true) called = true;
      else if (outcome === false) uncalled = true;
    }
    if (uncalled && !called) call(this.owner.emit as AnyFunction, this.owner, ['error', err]);
  }

  /** Operations that can move `sqlite3_changes()`, numbered in the connection's order (which is the call order). */
  #seq = 0;
  /** `sqlite3_changes()` as the DML run numbered `#changesSeq` left it. */
  #changes = 0;
  #changesSeq = 0;
  /** The last operation after which this package cannot tell `sqlite3_changes()` (an exec, a failed write, DML read). */
  #unknownSeq = 0;

  /** Numbers an operation that sets `sqlite3_changes()` (a DML run): see {@link changesSet}. */
  nextSeq(): number {
    return ++this.#seq;
  }

  /** Operation `seq` (by default, one issued now) may have moved `sqlite3_changes()` in a way this package does not see. */
  changesUnknown(seq = ++this.#seq): void {
    if (seq > this.#unknownSeq) this.#unknownSeq = seq;
  }

  /** The DML run numbered `seq` completed, leaving `sqlite3_changes()` at `count` unless something later moved it. */
  changesSet(seq: number, count: number): void {
    if (seq > this.#changesSeq && seq > this.#unknownSeq) {
      this.#changes = count;
      this.#changesSeq = seq;
    }
  }

  /**
   * `sqlite3_changes()` for a statement issued now that does not change it (node-sqlite3's `this.changes` for BEGIN,
   * CREATE, a SELECT through run()), when this package knows it: nothing else is in flight (the slot firing now, if
   * any, has completed) and the last operation that moved it was a DML run that reported its count. Else undefined,
   * and the caller asks SQLite.
   */
  knownChanges(): number | undefined {
    const inFlight = this.#pending - (this.#flushing ? 1 : 0);
    return inFlight === 1 && this.running.size === 0 && this.#changesSeq > this.#unknownSeq ? this.#changes : undefined;
  }

  /** An operation was issued: its callback is due. */
  begin(): void {
    this.#pending++;
  }

  /** An operation's callback ran (or was dropped). */
  end(): void {
    if (--this.#pending === 0 && this.#drainWaiters.length > 0) {
      const waiters = this.#drainWaiters;
      this.#drainWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  /**
   * Takes the next place in the callback order. Every issued operation takes one, so its callback runs after those of
   * the operations issued before it (node-sqlite3's serialized order), even when its result is known at once.
   */
  slot(type: ResourceType): Slot {
    this.begin();
    const slot = new Slot(new AsyncResource(type));
    if (this.#tail === undefined) this.#head = slot;
    else this.#tail.next = slot;
    this.#tail = slot;
    return slot;
  }

  /**
   * Marks a slot's result ready. Callbacks fire in slot order, each in its slot's async resource (made in the caller's
   * context: AsyncLocalStorage sees the caller, async_hooks a resource named as node-sqlite3 names it). A slot at the
   * head fires at once; one that must wait for earlier slots, or whose result is known while its call is still being
   * made (`soon`), fires later, never inside the call that made it.
   */
  ready(slot: Slot, fire: () => void, soon = false): void {
    slot.fire = fire;
    this.settle(slot, soon);
  }

  /** {@link ready} for a slot whose `handler` (or `fire`) is set. */
  settle(slot: Slot, soon = false): void {
    slot.ready = true;
    if (!soon && this.#head === slot && !this.#flushing) {
      this.#flush();
      return;
    }
    if (this.#head === slot && !this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(this.#flush);
    }
  }

  #flushing = false;

  readonly #flush = (): void => {
    this.#flushQueued = false;
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      for (let slot = this.#head; slot !== undefined && slot.ready; slot = this.#head) {
        this.#head = slot.next;
        if (slot.next === undefined) this.#tail = undefined;
        slot.next = undefined;
        try {
          slot.context.runInAsyncScope(fireSlot, null, slot);
        } finally {
          this.end();
        }
      }
    } finally {
      this.#flushing = false;
    }
    const head = this.#head;
    if (head?.onHead !== undefined) {
      const wake = head.onHead;
      head.onHead = undefined;
      wake();
    }
  };

  /** Resolves when every earlier slot has fired, so this one's callbacks may run (an `each` streams its rows then). */
  whenHead(slot: Slot): Promise<void> {
    if (this.#head === slot) return Promise.resolve();
    return new Promise((resolve) => (slot.onHead = resolve));
  }

  get pending(): number {
    return this.#pending;
  }

  /** Resolves once every issued operation has called back. */
  drained(): Promise<void> {
    if (this.#pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }
}

const cores = new WeakMap<object, DatabaseCore>();

/** The core of a node-sqlite3 Database object, or undefined when `value` is not one. */
export function coreOf(value: unknown): DatabaseCore | undefined {
  return typeof value === 'object' && value !== null ? cores.get(value) : undefined;
}

/** Links a Database object to its core. */
export function attachCore(owner: object, core: DatabaseCore): void {
  cores.set(owner, core);
}
