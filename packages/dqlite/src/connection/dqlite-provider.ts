import { ErrorCodes, RapsqliteError, type AuthorizerRules, type QueryOptions } from '@rapsqlite/engine';
import {
  closedError,
  deadlockError,
  unsupportedError,
  type AcquireRequest,
  type ConnectionLease,
  type ConnectionProvider,
  type FunctionRegistration,
} from '@rapsqlite/engine/plugin';
import type { DqliteConnection } from './dqlite-connection.ts';

/** A lease with what the provider must undo when it comes back. */
interface DqliteLease extends ConnectionLease {
  readonly connection: DqliteConnection;
  /** It holds a streaming cursor on its connection. */
  readonly cursor: boolean;
}

interface Waiter {
  readonly exclusive: boolean;
  readonly start: number;
  readonly options: QueryOptions;
  readonly grant: (lease: DqliteLease) => void;
  readonly fail: (error: RapsqliteError) => void;
}

/**
 * The connections of a dqlite handle: one writer and `readers` reader connections, all to the leader (dqlite serves
 * every query from its leader). Writes and transactions go to the writer in arrival order — a transaction holds it
 * alone, since dqlite refuses a second writer with `SQLITE_BUSY` at once instead of waiting — while reads outside
 * transactions spread over the readers, pipelined. A read-only transaction takes a reader for itself.
 */
export class DqliteProvider implements ConnectionProvider {
  readonly routes = true;
  readonly tracksCalls = true;
  readonly path: string;
  readonly #writer: DqliteConnection;
  readonly #readers: readonly DqliteConnection[];
  readonly #readYourWrites: boolean;
  /** The transaction holding the writer, if any. */
  #exclusive: DqliteLease | undefined;
  readonly #waiting: Waiter[] = [];
  /** Readers held by read-only transactions, and the calls waiting for one to be free. */
  readonly #heldReaders = new Set<DqliteConnection>();
  readonly #readerWaiting: Waiter[] = [];
  /** Whether statements are read-only, as preparing them told. */
  readonly #learned = new Map<string, boolean>();
  #closing: Promise<void> | undefined;

  constructor(path: string, writer: DqliteConnection, readers: readonly DqliteConnection[], readYourWrites: boolean) {
    this.path = path;
    this.#writer = writer;
    this.#readers = readers;
    this.#readYourWrites = readYourWrites;
  }

  get primary(): DqliteConnection {
    return this.#writer;
  }

  /** Every connection, the writer first. */
  get connections(): readonly DqliteConnection[] {
    return [this.#writer, ...this.#readers];
  }

  get closing(): boolean {
    return this.#closing !== undefined;
  }

  /** Transactions and calls waiting for the writer. */
  get waiting(): number {
    return this.#waiting.length + this.#readerWaiting.length;
  }

  #lease(connection: DqliteConnection, exclusive: boolean, cursor: boolean): DqliteLease {
    return { connection, generation: connection.generation, active: true, exclusive, options: undefined, cursor };
  }

  acquire(request: AcquireRequest): DqliteLease | Promise<DqliteLease> {
    if (this.#closing !== undefined) throw closedError('database', request.sql);
    let access = request.access;
    if (access === 'write' && !request.exclusive && this.#learned.get(request.sql) === true) access = 'read';
    if (access === 'read' && this.#readers.length > 0) {
      if (request.exclusive) return this.#readTransaction(request);
      const readYourWrites = request.options.readYourWrites ?? this.#readYourWrites;
      const reader = this.#pickReader();
      const lease = this.#lease(reader, false, request.kind === 'iterate');
      if (!readYourWrites) return lease;
      return this.#writer.drained().then(() => lease);
    }
    if (this.#exclusive === undefined && this.#waiting.length === 0) {
      if (!request.exclusive) return this.#lease(this.#writer, false, false);
      return this.#grantWriter();
    }
    const held = request.held;
    if (held !== undefined && held.active && held === this.#exclusive) throw deadlockError(request.sql);
    return this.#wait(this.#waiting, request);
  }

  /** The reader with the least work, cursors counting most (a second cursor waits behind the first one's rows). */
  #pickReader(): DqliteConnection {
    let best: DqliteConnection | undefined;
    let bestLoad = Infinity;
    for (const reader of this.#readers) {
      if (this.#heldReaders.has(reader)) continue;
      const load = reader.cursors * 1000 + reader.inFlight + reader.queued;
      if (load < bestLoad) {
        best = reader;
        bestLoad = load;
      }
    }
    // Every reader is held by a read-only transaction: the writer serves the read.
    return best ?? this.#writer;
  }

  #readTransaction(request: AcquireRequest): DqliteLease | Promise<DqliteLease> {
    const free = this.#readers.find((reader) => !this.#heldReaders.has(reader) && reader.cursors === 0);
    if (free !== undefined && this.#readerWaiting.length === 0) {
      this.#heldReaders.add(free);
      return this.#lease(free, true, false);
    }
    const held = request.held as DqliteLease | undefined;
    if (held !== undefined && held.active && held.exclusive && this.#heldReaders.has(held.connection) && this.#heldReaders.size === this.#readers.length) {
      throw deadlockError(request.sql);
    }
    return this.#wait(this.#readerWaiting, request);
  }

  #grantWriter(): DqliteLease {
    const lease = this.#lease(this.#writer, true, false);
    this.#exclusive = lease;
    return lease;
  }

  #wait(queue: Waiter[], request: AcquireRequest): Promise<DqliteLease> {
    const { signal, timeoutMs } = request.options;
    if (signal?.aborted === true) return Promise.reject(new RapsqliteError(ErrorCodes.ABORTED, 'The call was cancelled', { sql: request.sql, cause: signal.reason }));
    return new Promise<DqliteLease>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const settle = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const drop = (error: RapsqliteError): void => {
        const at = queue.indexOf(waiter);
        if (at === -1) return;
        queue.splice(at, 1);
        settle();
        reject(error);
        if (at === 0) this.#wake();
      };
      const onAbort = (): void => drop(new RapsqliteError(ErrorCodes.ABORTED, 'The call was cancelled', { sql: request.sql, cause: signal?.reason }));
      const waiter: Waiter = {
        exclusive: request.exclusive,
        start: performance.now(),
        options: request.options,
        grant: (lease) => {
          settle();
          resolve(lease);
        },
        fail: (error) => {
          settle();
          reject(error);
        },
      };
      queue.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => drop(new RapsqliteError(ErrorCodes.TIMEOUT, `The call did not finish within ${timeoutMs} ms`, { sql: request.sql })), timeoutMs);
      }
    });
  }

  release(lease: ConnectionLease): void {
    const held = lease as DqliteLease;
    if (!held.active) return;
    held.active = false;
    if (held === this.#exclusive) {
      this.#exclusive = undefined;
      this.#wake();
    } else if (held.exclusive && this.#heldReaders.delete(held.connection)) {
      this.#wake();
    }
  }

  /** Wakes waiting calls in order: on the writer up to and including the next transaction; on readers while one is free. */
  #wake(): void {
    while (this.#exclusive === undefined && this.#waiting.length > 0) {
      const waiter = this.#waiting.shift() as Waiter;
      const lease = waiter.exclusive ? this.#grantWriter() : this.#lease(this.#writer, false, false);
      waiter.grant(withWaited(lease, waiter));
    }
    while (this.#readerWaiting.length > 0) {
      const free = this.#readers.find((reader) => !this.#heldReaders.has(reader) && reader.cursors === 0);
      if (free === undefined) break;
      const waiter = this.#readerWaiting.shift() as Waiter;
      this.#heldReaders.add(free);
      waiter.grant(withWaited(this.#lease(free, true, false), waiter));
    }
  }

  learn(sql: string, readonly: boolean): void {
    if (this.#learned.size >= 2000) this.#learned.delete(this.#learned.keys().next().value as string);
    this.#learned.set(sql, readonly);
  }

  register(_spec: FunctionRegistration): Promise<void> {
    return Promise.reject(unsupportedError('User functions run where the engine runs: a dqlite server cannot load JavaScript functions'));
  }

  setAuthorizer(rules: AuthorizerRules | null): Promise<void> {
    if (rules === null) return Promise.resolve();
    return Promise.reject(unsupportedError('The authorizer needs the native companion inside the engine: a dqlite server has none'));
  }

  interrupt(error: RapsqliteError): boolean {
    let stopped = false;
    for (const connection of this.connections) stopped = connection.interrupt(error) || stopped;
    return stopped;
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    // The transaction holding the writer and the calls queued behind it finish first.
    while (this.#exclusive !== undefined || this.#waiting.length > 0 || this.#heldReaders.size > 0 || this.#readerWaiting.length > 0) {
      await new Promise<void>((resolve) => setTimeout(resolve, 5));
    }
    await Promise.all(this.connections.map((connection) => connection.close()));
  }
}

/** The lease with the call's deadline shortened by the time it waited. */
function withWaited(lease: DqliteLease, waiter: Waiter): DqliteLease {
  const deadline = waiter.options.timeoutMs;
  const waited = performance.now() - waiter.start;
  if (deadline !== undefined && waited >= 1) lease.options = { ...waiter.options, timeoutMs: Math.max(1, deadline - waited) };
  return lease;
}
