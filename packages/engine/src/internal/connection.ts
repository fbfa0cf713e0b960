import { AsyncLocalStorage } from 'node:async_hooks';
import { Worker } from 'node:worker_threads';
import { ErrorCodes } from '../errors/codes.ts';
import { RapsqliteError } from '../errors/rapsqlite-error.ts';
import type { ConnectionInfo, ConnectionRole } from '../middleware/operation.ts';
import type { Row } from '../types.ts';
import {
  CANCEL_SLOTS,
  Op,
  Status,
  type IntModeCode,
  type OpCode,
  type RowsPayload,
  type WireError,
  type WorkerConfig,
  type WorkerHello,
} from '../worker/protocol.ts';
import { loadCompanion, type Companion } from '../native/companion.ts';
import { restoreBuffers, rowFactory, type RowFactory } from './rows.ts';

/** Requests per message at most: a bound on how long the worker and the caller spend on one message. */
const MAX_BATCH = 512;

// Sources run by type stripping (tests, Node 24) load the .ts worker; the published build loads the compiled one.
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? '../worker/worker.ts' : '../worker/worker.js', import.meta.url);

/**
 * Starts a worker. Workers inherit the parent's execArgv, but `--input-type` (from `node -e`) makes loading the worker
 * file fail, and Node refuses some per-process flags in workers (`--expose-gc`, some of `node --test`'s). Such flags
 * are left out: they concern the parent process, not the worker's SQLite connection.
 */
function startWorker(workerData: WorkerConfig): Worker {
  let execArgv = process.execArgv.filter((arg) => !arg.startsWith('--input-type'));
  for (let attempt = 0; ; attempt++) {
    try {
      const argv = execArgv.length === process.execArgv.length ? {} : { execArgv };
      return new Worker(WORKER_URL, { workerData, ...argv, stdout: false, stderr: false });
    } catch (err) {
      const refused = (err as { code?: string }).code === 'ERR_WORKER_INVALID_EXEC_ARGV' ? invalidFlags(err as Error) : [];
      if (attempt > 0 || refused.length === 0) throw err;
      execArgv = execArgv.filter((arg) => !refused.some((flag) => arg === flag || arg.startsWith(`${flag}=`)));
    }
  }
}

/** The flags named by Node's "Initiated Worker with invalid execArgv flags: --a, --b" message. */
function invalidFlags(err: Error): string[] {
  const list = err.message.split(': ')[1] ?? '';
  return list.split(/,\s*/).map((flag) => flag.trim()).filter((flag) => flag.startsWith('-'));
}

interface Pending {
  readonly op: OpCode;
  readonly sql: string;
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
  /** Rows of an `all` that arrived in earlier messages. */
  chunks: Row[][] | undefined;
  /** Set when the call was cancelled while running: its `SQLITE_INTERRUPT` is reported as this error. */
  abortError: RapsqliteError | undefined;
  readonly ticket: Ticket | undefined;
}

/** Tells a cancellable caller which request carries its call (0 until sent), and stops a call still waiting to be sent. */
export interface Ticket {
  id: number;
  cancelled: RapsqliteError | undefined;
  /** Nanoseconds the request spent inside SQLite, when statement timing is on. */
  sqliteNs?: number;
}

/** The lease a transaction holds on a connection: while it is active, only its own operations are sent. */
export interface Lease {
  readonly connection: Connection;
  active: boolean;
  /** Increases with each worker; a lease from a dead worker's time can no longer commit. */
  readonly generation: number;
}

/** Tells which transaction callback (if any) the current async context runs inside, to detect self-deadlock. */
export const leaseContext = new AsyncLocalStorage<Lease>();

let nextConnectionId = 1;

/** Rebuilds an error that crossed the thread boundary as data. */
export function fromWire(wire: WireError, sql: string | undefined): RapsqliteError {
  const err = new RapsqliteError(wire.code, wire.message, { sql });
  if (wire.index !== undefined) Object.defineProperty(err, 'index', { value: wire.index, enumerable: true });
  return err;
}

/**
 * One worker thread and its better-sqlite3 connection, seen from the caller's thread: batches requests into
 * messages, decodes replies, serializes transactions, and replaces the worker when it dies.
 */
export class Connection {
  readonly info: ConnectionInfo;
  readonly #config: WorkerConfig;
  readonly #cancelMarks: Int32Array;
  #worker: Worker | undefined;
  #generation = 0;
  #ready: Promise<void> | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  #outbox: unknown[] = [];
  #flushQueued = false;
  #shapes: RowFactory[] = [];
  #lease: Lease | undefined;
  readonly #waiting: Array<{ readonly transaction: boolean; readonly wake: (lease?: Lease) => void }> = [];
  #closed = false;
  #closing: Promise<void> | undefined;
  #deathCause: unknown;
  #slot: number | undefined;
  readonly #companion: Companion | undefined;

  private constructor(config: WorkerConfig, role: ConnectionRole) {
    this.#config = config;
    this.#cancelMarks = new Int32Array(config.cancelBuffer);
    this.info = Object.freeze({ role, id: nextConnectionId++, path: config.path });
    this.#companion = config.companion ? loadCompanion() : undefined;
  }

  /** Starts a worker and waits until its connection is open and configured. */
  static async open(config: Omit<WorkerConfig, 'cancelBuffer'>, role: ConnectionRole): Promise<Connection> {
    const connection = new Connection(
      { ...config, cancelBuffer: new SharedArrayBuffer(CANCEL_SLOTS * Int32Array.BYTES_PER_ELEMENT) },
      role,
    );
    connection.#spawn();
    await connection.#ready;
    return connection;
  }

  /** The configuration new workers get; `addFunction` extends it so that replacements replay it. */
  get config(): WorkerConfig {
    return this.#config;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The worker generation: it increases each time a worker exits. */
  get generation(): number {
    return this.#generation;
  }

  /** Remembers the authorizer rules so that every future worker installs them. */
  setAuthorizer(rules: unknown): void {
    (this.#config as { authorizer: unknown }).authorizer = rules;
  }

  /** Remembers a function registration so that every future worker replays it. */
  addFunction(spec: WorkerConfig['functions'][number]): void {
    (this.#config as { functions: WorkerConfig['functions'] }).functions = [...this.#config.functions, spec];
  }

  #spawn(): void {
    const worker = startWorker(this.#config);
    const generation = this.#generation;
    this.#worker = worker;
    this.#shapes = [];
    worker.unref();
    this.#ready = new Promise<void>((resolve, reject) => {
      worker.once('message', (hello: WorkerHello) => {
        if (hello.type === 'ready') {
          this.#slot = hello.slot;
          worker.on('message', (replies: unknown[]) => this.#onReplies(replies));
          resolve();
        } else {
          const err = fromWire(hello.error, undefined);
          this.#deathCause = err;
          reject(err);
        }
      });
      worker.once('exit', () => reject(this.#deathCause ?? new RapsqliteError(ErrorCodes.WORKER_DIED, 'The worker exited during start-up')));
    });
    // Without a handler a rejected start-up promise that nobody awaits would crash the process.
    this.#ready.catch(() => undefined);
    worker.on('error', (err) => {
      this.#deathCause = err;
    });
    worker.on('exit', () => this.#onExit(worker, generation));
    if (this.#pending.size > 0) worker.ref();
  }

  /**
   * Sends a request and resolves with its decoded result. Requests issued in the same tick travel in one message.
   * The caller has already checked the lease (see {@link whenFree}).
   */
  request(op: OpCode, sql: string, params: unknown, mode: IntModeCode, extra?: unknown, ticket?: Ticket): Promise<unknown> {
    if (this.#closed && op !== Op.close && op !== Op.iterClose) {
      return Promise.reject(new RapsqliteError(ErrorCodes.CLOSED, 'The database is closed', { sql }));
    }
    if (this.#worker === undefined) this.#spawn();
    const id = this.#nextId++;
    if (ticket !== undefined) ticket.id = id;
    if (this.#pending.size === 0) this.#worker!.ref();
    this.#outbox.push(id, op, sql, params, mode, extra);
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(this.#flush);
    }
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { op, sql, resolve, reject, chunks: undefined, abortError: undefined, ticket });
    });
  }

  /** Closes a cursor in the worker. Outside the lease rules: it touches no data. */
  closeCursor(cursor: number): Promise<unknown> {
    return this.request(Op.iterClose, '', undefined, 0, cursor);
  }

  /** True when the native companion is loaded into this connection, so a running statement can be interrupted. */
  get interruptible(): boolean {
    return this.#companion !== undefined && this.#slot !== undefined;
  }

  /**
   * Cancels request `id` with `error`. A request the worker has not started is skipped and rejected now. A running
   * one is interrupted through the companion and rejects with `error` once SQLite stops it (or resolves, if it
   * finished first). Without the companion, a running read is abandoned (rejected now; its result is dropped) and
   * its worker replaced when nothing else depends on it; a running write cannot be stopped and is left to finish.
   */
  abort(id: number, error: RapsqliteError, write: boolean): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    const first = this.#pending.keys().next();
    const running = first.done !== true && first.value === id;
    if (!running) {
      Atomics.store(this.#cancelMarks, id & (CANCEL_SLOTS - 1), id);
      this.#settle(id);
      pending.reject(error);
      return;
    }
    if (this.#companion !== undefined && this.#slot !== undefined) {
      // The mark first, then the interrupt: the worker marks a request active before it reads the mark, so one of the
      // two always reaches it, however the threads interleave.
      pending.abortError = error;
      Atomics.store(this.#cancelMarks, id & (CANCEL_SLOTS - 1), id);
      this.#companion.interrupt(this.#slot, id);
      return;
    }
    if (write) return;
    this.#settle(id);
    pending.reject(error);
    // Replacing the worker stops the query, but only when no other call or transaction would die with it.
    const worker = this.#worker;
    if (this.#pending.size === 0 && this.#lease === undefined && worker !== undefined) {
      // Forget the worker now, so the next call starts a new one instead of posting to one that is terminating.
      this.#worker = undefined;
      this.#generation++;
      void worker.terminate();
    }
  }

  /**
   * Interrupts whatever the connection runs now (`db.interrupt()`). Returns false when nothing was running or the
   * companion is not available.
   */
  interruptRunning(error: RapsqliteError): boolean {
    const first = this.#pending.entries().next();
    if (first.done === true) return false;
    const [id, pending] = first.value;
    if (this.#companion === undefined || this.#slot === undefined) return false;
    pending.abortError = error;
    return this.#companion.interrupt(this.#slot, id);
  }

  readonly #flush = (): void => {
    this.#flushQueued = false;
    const outbox = this.#outbox;
    if (outbox.length === 0) return;
    const worker = this.#worker ?? (this.#spawn(), this.#worker!);
    const slots = 6 * MAX_BATCH;
    if (outbox.length <= slots) {
      this.#outbox = [];
      worker.postMessage(outbox);
      return;
    }
    for (let at = 0; at < outbox.length; at += slots) worker.postMessage(outbox.slice(at, at + slots));
    this.#outbox = [];
  };

  #settle(id: number): void {
    this.#pending.delete(id);
    if (this.#pending.size === 0 && !this.#closed) this.#worker?.unref();
  }

  #onReplies(replies: unknown[]): void {
    for (let i = 0; i < replies.length; i += 4) {
      const id = replies[i] as number;
      const pending = this.#pending.get(id);
      if (pending === undefined) continue; // cancelled earlier: the answer has nobody to go to
      const status = replies[i + 1] as number;
      const payload = replies[i + 2];
      if (status === Status.partial) {
        (pending.chunks ??= []).push(this.#rows(payload as RowsPayload));
        continue;
      }
      this.#settle(id);
      if (pending.ticket !== undefined) pending.ticket.sqliteNs = replies[i + 3] as number;
      if (status === Status.error) {
        const wire = payload as WireError;
        if (pending.abortError !== undefined && (wire.code === 'SQLITE_INTERRUPT' || wire.code === ErrorCodes.ABORTED)) {
          pending.reject(pending.abortError);
        } else {
          pending.reject(fromWire(wire, pending.sql));
        }
        continue;
      }
      try {
        pending.resolve(this.#decode(pending, payload));
      } catch (err) {
        pending.reject(err);
      }
    }
  }

  #rows(payload: RowsPayload): Row[] {
    const [shape, names, width, values, blobs] = payload;
    if (names !== 0) this.#shapes[shape] = rowFactory(names);
    const make = this.#shapes[shape] as RowFactory;
    if (blobs === 1) restoreBuffers(values);
    const count = values.length / width;
    const out = new Array<Row>(count);
    for (let i = 0; i < count; i++) out[i] = make(values, i * width);
    return out;
  }

  #decode(pending: Pending, payload: unknown): unknown {
    switch (pending.op) {
      case Op.get:
        return payload === undefined ? undefined : this.#rows(payload as RowsPayload)[0];
      case Op.all: {
        const last = this.#rows(payload as RowsPayload);
        return pending.chunks === undefined ? last : pending.chunks.concat([last]).flat();
      }
      case Op.run: {
        const [changes, lastInsertRowid] = payload as [number, number | bigint];
        return { changes, lastInsertRowid };
      }
      case Op.runMany: {
        const [changes, lastInsertRowid, count] = payload as [number, number | bigint, number];
        return { changes, lastInsertRowid, count };
      }
      case Op.values: {
        const [columns, rows, blobs] = payload as [unknown, unknown[][], 0 | 1];
        if (blobs === 1) for (const row of rows) restoreBuffers(row);
        return { columns, rows };
      }
      case Op.iterOpen: {
        const [cursor, rows, done] = payload as [number, RowsPayload, 0 | 1];
        return { cursor, rows: this.#rows(rows), done: done === 1 };
      }
      case Op.iterNext: {
        const [rows, done] = payload as [RowsPayload, 0 | 1];
        return { rows: this.#rows(rows), done: done === 1 };
      }
      default:
        return payload;
    }
  }

  #onExit(worker: Worker, generation: number): void {
    if (this.#worker === worker) this.#worker = undefined;
    if (this.#closed && this.#pending.size === 0) return;
    const cause = this.#deathCause;
    this.#deathCause = undefined;
    if (generation !== this.#generation) return;
    // A new generation at death, not at the next spawn: until then, a transaction or cursor of the dead worker must
    // already see that its connection is gone, or its next statement would run on the replacement outside any transaction.
    this.#generation++;
    const lease = this.#lease;
    if (lease !== undefined && lease.generation === generation) lease.active = false;
    const pending = [...this.#pending];
    this.#pending.clear();
    for (const [, p] of pending) {
      // A write that was sent may have committed before the worker died: the caller must not assume either way.
      const unknownOutcome = p.op === Op.run || p.op === Op.runMany || p.op === Op.exec;
      const code = cause instanceof RapsqliteError && cause.code === ErrorCodes.ABORTED ? cause.code : unknownOutcome ? ErrorCodes.OUTCOME_UNKNOWN : ErrorCodes.WORKER_DIED;
      const message =
        code === ErrorCodes.OUTCOME_UNKNOWN
          ? 'The worker died after the statement was sent; it may or may not have been committed'
          : code === ErrorCodes.ABORTED
            ? 'The call was cancelled'
            : 'The worker died while the call was in flight';
      p.reject(new RapsqliteError(code, message, { sql: p.sql, cause }));
    }
  }

  // ---- Transactions: one lease at a time; other calls wait in arrival order. ----

  /** The active lease, if a transaction holds the connection. */
  get lease(): Lease | undefined {
    return this.#lease;
  }

  /**
   * Resolves when a call outside any transaction may be sent: at once (undefined) when no transaction holds the
   * connection and nobody waits before it, otherwise in arrival order. Fails fast when called from inside the
   * callback of the transaction that holds the lease, which would otherwise wait forever.
   */
  whenFree(sql: string): Promise<void> | undefined {
    if (this.#lease === undefined && this.#waiting.length === 0) return undefined;
    this.#checkDeadlock(sql);
    return new Promise((resolve) => this.#waiting.push({ transaction: false, wake: () => resolve() }));
  }

  /** Takes the connection for a transaction, after the transactions and calls that asked before. */
  acquire(): Lease | Promise<Lease> {
    if (this.#lease === undefined && this.#waiting.length === 0) return (this.#lease = this.#newLease());
    this.#checkDeadlock('BEGIN');
    return new Promise((resolve) => this.#waiting.push({ transaction: true, wake: resolve as (lease?: Lease) => void }));
  }

  /** Gives the connection back and wakes waiting calls in order, up to and including the next waiting transaction. */
  release(lease: Lease): void {
    lease.active = false;
    if (this.#lease !== lease) return;
    this.#lease = undefined;
    for (let waiter = this.#waiting.shift(); waiter !== undefined; waiter = this.#waiting.shift()) {
      if (waiter.transaction) {
        // Granted synchronously, so nothing woken later can slip in before its BEGIN.
        waiter.wake((this.#lease = this.#newLease()));
        return;
      }
      waiter.wake();
    }
  }

  #newLease(): Lease {
    return { connection: this, active: true, generation: this.#generation };
  }

  #checkDeadlock(sql: string): void {
    const store = leaseContext.getStore();
    if (store !== undefined && store.active && store.connection === this) {
      throw new RapsqliteError(
        ErrorCodes.TRANSACTION_DEADLOCK,
        'Called the database from inside its own transaction callback; use the `tx` argument instead (the call would wait for the transaction forever)',
        { sql },
      );
    }
  }

  // ---- Closing ----

  /** True once `close()` was called: new calls are refused, queued ones still run. */
  get closing(): boolean {
    return this.#closing !== undefined;
  }

  /** Lets queued work finish, then closes the connection and stops the worker. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    // Wait for the transaction and calls already queued behind the lease, then for everything in flight.
    while (this.#lease !== undefined || this.#waiting.length > 0) {
      await new Promise<void>((resolve) => this.#waiting.push({ transaction: false, wake: () => resolve() }));
    }
    this.#closed = true;
    const worker = this.#worker;
    if (worker === undefined) return;
    // Keep the process alive until the worker has really gone, so the file is closed before the caller moves on.
    worker.ref();
    try {
      await this.request(Op.close, '', undefined, 0);
    } catch {
      // A worker that died during close has released its connection through better-sqlite3's cleanup hook.
    }
    await new Promise<void>((resolve) => {
      if (this.#worker !== worker) return resolve();
      worker.once('exit', () => resolve());
    });
  }
}
