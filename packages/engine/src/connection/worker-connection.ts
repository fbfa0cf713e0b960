import { Worker } from 'node:worker_threads';
import { ErrorCodes } from '../errors/codes.ts';
import { RapsqliteError } from '../errors/rapsqlite-error.ts';
import type { ConnectionInfo, ConnectionRole } from '../middleware/operation.ts';
import { loadCompanion, type Companion } from '../native/companion.ts';
import type { RequestHandler } from '../operations/handler.ts';
import { CODES, HANDLERS } from '../operations/table.ts';
import { isReadOnlySql } from '../sql/classify.ts';
import type { Row } from '../types.ts';
import { IntMode, REQUEST_SLOTS, Status, type IntModeCode, type RowsPayload, type WireError, type WorkerConfig, type WorkerHello } from '../worker/protocol.ts';
import { CANCEL_RING, CancelTable, type RequestProgress } from './cancel-table.ts';
import type { Connection, ConnectionRequest, CursorChunk, FunctionRegistration, RequestKind, RequestResults, Ticket } from './connection.ts';
import { restoreBuffers, rowFactory, type RowFactory } from './rows.ts';
import { fastParams, FastKind, FastStatus, registerFast, unregisterFast, type FastReceiver } from './fast-path.ts';
import { toWire } from '../worker/wire-error.ts';
import { SCHEMA_CHANGE } from '../operations/run.ts';
import type { AttachSpec } from '../worker/tools/attach.ts';
import type { KeySpec } from '../worker/tools/encryption.ts';

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

/** A request from the moment it is made until it is answered, cancelled or lost with its worker. */
interface Call {
  readonly id: number;
  readonly handler: RequestHandler;
  readonly code: number;
  readonly sql: string;
  readonly params: unknown;
  readonly mode: IntModeCode;
  readonly extra: unknown;
  readonly ticket: Ticket | undefined;
  /** Sent inside a transaction that holds the connection: it dies with its worker, never replayed. */
  readonly inTx: boolean;
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
  /** Rows of an `all` that arrived in earlier messages. */
  chunks: Row[][] | undefined;
  /** Set when the call was cancelled while running: its `SQLITE_INTERRUPT` (or any failure) is reported as this. */
  abortError: RapsqliteError | undefined;
  /** Posted to the current worker; false while it waits in the outbox. */
  posted: boolean;
  /** Already rejected (cancelled before it started, or abandoned while running): its reply only updates shapes. */
  abandoned: boolean;
  /** Replaces the worker if the cancelled call is still running when it fires. */
  grace: ReturnType<typeof setTimeout> | undefined;
  /** Receives partial answers other than rows (a backup's progress). */
  readonly onPartial: ((progress: unknown) => void) | undefined;
  /** Sent through the companion's fast path (see `fast-path.ts`), not as a message. */
  fast: boolean;
}

/** How the caller's side of a connection behaves; fixed at open. */
export interface ConnectionSettings {
  /**
   * After a running call is cancelled, how long to wait for SQLite to stop it before the worker is replaced (a call
   * stuck in a user function or a lock wait cannot be interrupted). Infinity never replaces it.
   */
  readonly cancelGraceMs: number;
}

let nextConnectionId = 1;

/** Rebuilds an error that crossed the thread boundary as data. */
export function fromWire(wire: WireError, sql: string | undefined): RapsqliteError {
  const err = new RapsqliteError(wire.code, wire.message, { sql });
  if (wire.index !== undefined) Object.defineProperty(err, 'index', { value: wire.index, enumerable: true });
  return err;
}

/**
 * Whether `call` may have changed the database for good. Errs towards yes: a read taken for a write is only reported
 * as of unknown outcome. Inside a transaction nothing is durable before its COMMIT.
 */
function mayWrite(call: Call): boolean {
  const writes = call.handler.writes;
  if (writes === 'never') return false;
  if (call.inTx) return call.sql === 'COMMIT';
  return writes === 'always' || !isReadOnlySql(call.sql);
}

/** Whether a call that a dead worker finished (its answer lost) may run again on the replacement. */
function replayable(call: Call): boolean {
  if (call.inTx) return false;
  return call.handler.harmless || (call.handler.writes === 'sql' && isReadOnlySql(call.sql));
}

/** Whether a call, if it was running when its worker died, may have opened a transaction on that connection. */
function mayOpenTransaction(call: Call): boolean {
  return call.code === EXEC || /^\s*(BEGIN|SAVEPOINT)\b/i.test(call.sql);
}

const EXEC = CODES.exec;
const RUN = CODES.run;
const GET = CODES.get;
const ALL = CODES.all;
const REGISTER = CODES.register;
const CLOSE = CODES.close;
const ITER_CLOSE = CODES.iterClose;
const ITER_NEXT = CODES.iterNext;
const ITER_OPEN = CODES.iterOpen;

/**
 * One worker thread and its better-sqlite3 connection, seen from the caller's thread: batches requests into
 * messages, decodes replies, cancels requests, serializes transactions, and replaces the worker when it dies.
 */
export class WorkerConnection implements Connection, FastReceiver {
  readonly info: ConnectionInfo;
  readonly #config: WorkerConfig;
  readonly #settings: ConnectionSettings;
  #worker: Worker | undefined;
  #table!: CancelTable;
  #generation = 0;
  #ready: Promise<void> | undefined;
  #nextId = 1;
  /** Every call not yet settled with its worker, in id order (posted ones first, then those in the outbox). */
  readonly #calls = new Map<number, Call>();
  /** Calls waiting to be posted, in id order. */
  #outbox: Call[] = [];
  #flushQueued = false;
  /** The worker has answered every call up to this id. */
  #answered = 0;
  /** Calls posted to the current worker and not yet answered. */
  #inFlight = 0;
  /** Calls whose callers still wait (not abandoned): while there are any, the worker keeps the process alive. */
  #live = 0;
  #shapes: RowFactory[] = [];
  /** A transaction holds the connection: its worker is never replaced on purpose. */
  #pinned = false;
  /** Cursors open in the current worker (an `iterate` not finished nor closed). */
  readonly #cursors = new Set<number>();
  #closed = false;
  #closing: Promise<void> | undefined;
  #deathCause: unknown;
  #slot: number | undefined;
  readonly #companion: Companion | undefined;
  /** Calls may take the companion's fast path on the current worker (its slot is registered for the replies). */
  #fast = false;
  /** The call on the fast path now (at most one, and only while no other call is unsettled). */
  #fastCall: Call | undefined;
  /**
   * Whether a transaction was open after the last fast call, while no message reply came after it (the shared
   * table then knows better); undefined otherwise.
   */
  #fastTx: boolean | undefined;
  #fastCalls = 0;

  private constructor(config: WorkerConfig, role: ConnectionRole, settings: ConnectionSettings) {
    this.#config = config;
    this.#settings = settings;
    this.info = Object.freeze({ role, id: nextConnectionId++, path: config.path });
    this.#companion = config.companion ? loadCompanion() : undefined;
  }

  /** Starts a worker and waits until its connection is open and configured. */
  static async open(config: Omit<WorkerConfig, 'cancelBuffer'>, role: ConnectionRole, settings: ConnectionSettings): Promise<WorkerConnection> {
    const connection = new WorkerConnection({ ...config, cancelBuffer: undefined as never }, role, settings);
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

  /** Requests made on this connection so far (each a round trip to its worker, unless batched with others). */
  get requests(): number {
    return this.#nextId - 1;
  }

  /** Calls answered through the companion's fast path so far (see `fast-path.ts`): for tests and diagnostics. */
  get fastCalls(): number {
    return this.#fastCalls;
  }

  /** The worker generation: it increases each time a worker exits. */
  get generation(): number {
    return this.#generation;
  }

  /** Remembers the authorizer rules so that every future worker installs them. */
  setAuthorizer(rules: unknown): void {
    (this.#config as { authorizer: unknown }).authorizer = rules;
  }

  /** Remembers an attachment (or, with `undefined`, forgets the alias) so that every future worker replays it. */
  setAttachment(alias: string, spec: AttachSpec | undefined): void {
    const kept = this.#config.attach.filter((a) => a.alias.toLowerCase() !== alias.toLowerCase());
    (this.#config as { attach: readonly AttachSpec[] }).attach = spec === undefined ? kept : [...kept, spec];
  }

  /** Remembers the encryption key after a rekey, so that every future worker opens the file with it. */
  setKey(key: KeySpec): void {
    (this.#config as { key: KeySpec | undefined }).key = key;
  }

  /** Remembers a function registration so that every future worker replays it. */
  addFunction(spec: FunctionRegistration): void {
    (this.#config as { functions: WorkerConfig['functions'] }).functions = [...this.#config.functions, spec];
    // SQLite could call JavaScript from any statement now: the fast path, which runs none, is off for good.
    (this.#config as { fastPath: boolean }).fastPath = false;
    this.#fast = false;
  }

  pin(pinned: boolean): void {
    this.#pinned = pinned;
  }

  #spawn(): void {
    // A new table per worker: one that is still terminating can never write into its successor's. Its counters start
    // just before the first request it will get, so ids keep comparing in order.
    const first = this.#outbox[0]?.id ?? this.#nextId;
    this.#table = new CancelTable(undefined, first - 1);
    (this.#config as { cancelBuffer: SharedArrayBuffer }).cancelBuffer = this.#table.buffer;
    const worker = startWorker(this.#config);
    const generation = this.#generation;
    this.#worker = worker;
    this.#shapes = [];
    this.#cursors.clear();
    this.#slot = undefined;
    this.#answered = first - 1;
    this.#inFlight = 0;
    this.#ready = new Promise<void>((resolve, reject) => {
      worker.once('message', (hello: WorkerHello) => {
        if (hello.type === 'ready') {
          this.#slot = hello.slot;
          this.#fast = this.#config.fastPath && this.#companion !== undefined && hello.slot !== undefined && registerFast(this.#companion, hello.slot, this);
          worker.on('message', (replies: unknown[]) => {
            if (this.#worker === worker) this.#onReplies(replies);
          });
          // Adding a 'message' listener refs the worker again: an idle connection must not keep the process alive.
          if (this.#live === 0 && !this.#closed) worker.unref();
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
    // Referenced while it starts (someone awaits it); once ready, only calls in flight keep the process alive.
    worker.ref();
  }

  /** Sends a request and resolves with its decoded result. Requests made in the same tick travel in one message. */
  execute<K extends RequestKind>(request: ConnectionRequest<K>): Promise<RequestResults[K]> {
    const code = CODES[request.kind];
    if (code === ITER_CLOSE) this.#cursors.delete(request.extra as number);
    if (this.#closed && code !== CLOSE && code !== ITER_CLOSE) {
      return Promise.reject(new RapsqliteError(ErrorCodes.CLOSED, 'The database is closed', { sql: request.sql }));
    }
    const id = this.#nextId++;
    const ticket = request.ticket;
    if (ticket !== undefined) ticket.id = id;
    if (code === REGISTER) this.#fast = false;
    return new Promise((resolve, reject) => {
      const call: Call = {
        id,
        handler: HANDLERS[code] as RequestHandler,
        code,
        sql: request.sql,
        params: request.params,
        mode: request.integers === undefined ? IntMode.number : IntMode[request.integers],
        extra: request.extra,
        ticket,
        inTx: request.inTransaction === true,
        resolve: resolve as (value: unknown) => void,
        reject,
        chunks: undefined,
        abortError: undefined,
        posted: false,
        abandoned: false,
        grace: undefined,
        onPartial: request.onPartial,
        fast: false,
      };
      this.#calls.set(id, call);
      if (this.#live++ === 0) this.#worker?.ref();
      if (this.#fast && ticket === undefined && this.#calls.size === 1 && this.#submitFast(call)) return;
      this.#outbox.push(call);
      this.#scheduleFlush();
    });
  }

  /** Sends `call` through the companion's fast path if it qualifies and the worker serves it now. */
  #submitFast(call: Call): boolean {
    const code = call.code;
    const kind = code === GET ? FastKind.get : code === ALL ? FastKind.all : code === RUN ? FastKind.run : -1;
    if (kind < 0 || call.extra !== undefined || SCHEMA_CHANGE.test(call.sql)) return false;
    const params = fastParams(call.params);
    if (params === undefined) return false;
    if (!(this.#companion as Companion).fastSubmit(this.#slot as number, call.id, kind, call.sql, params, call.mode)) return false;
    call.fast = true;
    call.posted = true;
    this.#fastCall = call;
    return true;
  }

  /** A reply of the fast path (see `fast-path.ts`), on the caller's thread. */
  onFast(id: number, status: number, payload: unknown, inTransaction: boolean): void {
    const call = this.#fastCall;
    if (call === undefined || call.id !== id) return;
    this.#fastCall = undefined;
    if (status === FastStatus.fallback) {
      // Nothing ran: the call goes the regular way, ahead of anything queued after it.
      call.fast = false;
      call.posted = false;
      this.#outbox.unshift(call);
      this.#scheduleFlush();
      return;
    }
    this.#fastTx = inTransaction;
    this.#fastCalls++;
    this.#calls.delete(id);
    if (call.abandoned) {
      if (this.#outbox.length > 0) this.#scheduleFlush();
      return;
    }
    this.#release(call);
    if (status === FastStatus.ok) call.resolve(call.code === RUN ? call.handler.decode(payload, { rows: this.#rowsOf, chunks: undefined }) : payload);
    else call.reject(call.abortError ?? fromWire(toWire(payload, call.sql, call.params), call.sql));
    if (this.#outbox.length > 0) this.#scheduleFlush();
  }



  /** True when the native companion is loaded into this connection, so a running statement can be interrupted. */
  get interruptible(): boolean {
    return this.#companion !== undefined && this.#slot !== undefined;
  }

  /**
   * Cancels request `id` with `error`. A request the worker has not started is skipped and rejected now. A running
   * one is interrupted through the companion and rejects with `error` once SQLite stops it (or resolves, if it
   * finished first); if it is still running after the grace period (stuck in a user function or a lock wait), the
   * worker is replaced. Without the companion a running read is abandoned at once and its worker replaced; a running
   * write gets the grace period. A request that has finished keeps its outcome: its answer is on the way.
   */
  cancel(ticket: Ticket, error: RapsqliteError): void {
    const id = ticket.id;
    const call = this.#calls.get(id);
    if (call === undefined || call.abandoned) return;
    if (call.fast) {
      // Running in the companion (a fast call has no signal of its own; a transaction's deadline got here).
      call.abortError = error;
      if (this.#companion !== undefined && this.#slot !== undefined) this.#companion.interrupt(this.#slot, id);
      return;
    }
    if (!call.posted) {
      this.#outbox.splice(this.#outbox.indexOf(call), 1);
      this.#calls.delete(id);
      this.#release(call);
      call.reject(error);
      return;
    }
    if (call.handler.background === true) {
      // A background request runs beside the others: the worker stops it when asked, between its steps.
      call.abortError = error;
      void this.execute({ kind: 'abortTask', sql: '', extra: id }).catch(() => undefined);
      return;
    }
    // The mark first, then the progress: if the worker has not reached the request, it will see the mark.
    this.#table.mark(id);
    const progress = this.#table.progress(id);
    if (progress === 'queued') {
      this.#abandon(call, error);
      return;
    }
    if (progress === 'done') return;
    this.#cancelRunning(call, error);
  }

  /**
   * Interrupts whatever the connection runs now (`db.interrupt()`, a transaction's deadline). Returns false when
   * nothing was running or the companion is not available.
   */
  interrupt(error: RapsqliteError): boolean {
    if (this.#worker === undefined || this.#companion === undefined || this.#slot === undefined) return false;
    const fast = this.#fastCall;
    if (fast !== undefined) {
      fast.abortError = error;
      return this.#companion.interrupt(this.#slot, fast.id);
    }
    const id = this.#table.active;
    const call = this.#calls.get(this.#fullId(id));
    if (call === undefined || !call.posted || call.abandoned || this.#table.progress(call.id) !== 'running') return false;
    call.abortError = error;
    const interrupted = this.#companion.interrupt(this.#slot, call.id);
    this.#armGrace(call);
    return interrupted;
  }

  /**
   * Cancels every request of the transaction holding the connection (its deadline passed): those not started are
   * skipped, the running one is interrupted, as {@link cancel} does for one.
   */
  cancelTransaction(error: RapsqliteError): void {
    for (const call of [...this.#calls.values()]) {
      if (call.inTx && !call.abandoned) this.cancel({ id: call.id, cancelled: undefined }, error);
    }
  }

  /** The full id of a posted call from the 32-bit id the shared table holds. */
  #fullId(id32: number): number {
    return this.#answered + 1 + (((id32 | 0) - ((this.#answered + 1) | 0)) | 0);
  }

  #cancelRunning(call: Call, error: RapsqliteError): void {
    call.abortError = error;
    // sqlite3_interrupt stops every statement running on the connection, and while another caller's cursor is open
    // SQLite keeps failing the statements that follow: with other cursors open, a call is not interrupted in place.
    const others = this.#cursors.size - (call.code === ITER_NEXT && this.#cursors.has(call.extra as number) ? 1 : 0);
    if (this.#companion !== undefined && this.#slot !== undefined && others === 0) {
      this.#companion.interrupt(this.#slot, call.id);
      this.#armGrace(call);
      return;
    }
    if (mayWrite(call)) {
      // Nothing can stop a running write without the companion: it gets the grace period to finish.
      this.#armGrace(call);
      return;
    }
    // A read is abandoned now; replacing its worker stops it, unless a transaction (or the data of an in-memory
    // database) lives on that worker, in which case it runs to its end and its answer is dropped.
    this.#abandon(call, error);
    if (this.#replaceable()) this.#retire(this.#worker as Worker, error);
  }

  /** A worker may be replaced to stop a stuck call unless a transaction holds it or its database lives in it. */
  #replaceable(): boolean {
    const path = this.info.path;
    return this.#worker !== undefined && !this.#pinned && this.#cursors.size === 0 && path !== ':memory:' && path !== '' && !path.includes('mode=memory');
  }

  #armGrace(call: Call): void {
    const graceMs = this.#settings.cancelGraceMs;
    if (call.grace !== undefined || !Number.isFinite(graceMs)) return;
    const worker = this.#worker;
    call.grace = setTimeout(() => {
      call.grace = undefined;
      if (this.#worker !== worker || worker === undefined || this.#calls.get(call.id) !== call) return;
      if (this.#table.progress(call.id) !== 'running') return;
      const path = this.info.path;
      if (path === ':memory:' || path === '' || path.includes('mode=memory')) return;
      this.#retire(worker, call.abortError);
    }, graceMs);
    call.grace.unref();
  }

  /** Rejects a call now; its request stays posted (the worker skips or finishes it) until its reply arrives. */
  #abandon(call: Call, error: RapsqliteError): void {
    call.abandoned = true;
    this.#release(call);
    call.reject(error);
  }

  #release(call: Call): void {
    if (call.grace !== undefined) clearTimeout(call.grace);
    call.grace = undefined;
    if (--this.#live === 0 && !this.#closed) this.#worker?.unref();
  }

  #scheduleFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(this.#flush);
  }

  readonly #flush = (): void => {
    this.#flushQueued = false;
    // A fast call in flight answers soon; what was made after it waits for it, so that order is kept.
    if (this.#outbox.length === 0 || this.#fastCall !== undefined) return;
    if (this.#worker === undefined) this.#spawn();
    const worker = this.#worker as Worker;
    let message: unknown[] = [];
    let taken = 0;
    for (; taken < this.#outbox.length; taken++) {
      const call = this.#outbox[taken] as Call;
      // Never more than CANCEL_RING unanswered requests, so no two in flight share a cancellation slot.
      if (this.#inFlight === 0) this.#answered = call.id - 1;
      else if (call.id - this.#answered > CANCEL_RING) break;
      call.posted = true;
      // A background request answers out of order: it takes no place in the window (the table has let it go).
      if (call.handler.background !== true) this.#inFlight++;
      message.push(call.id, call.code, call.sql, call.params, call.mode, call.extra);
      if (message.length >= REQUEST_SLOTS * MAX_BATCH) {
        worker.postMessage(message);
        message = [];
      }
    }
    if (message.length > 0) worker.postMessage(message);
    this.#outbox = taken === this.#outbox.length ? [] : this.#outbox.slice(taken);
    // A worker waiting in the companion returns to its event loop, where the message is (the kick is remembered if
    // the worker is not waiting yet; it may have served before the fast path was turned off here).
    if (this.#companion !== undefined && this.#slot !== undefined) this.#companion.fastKick(this.#slot);
  };

  #onReplies(replies: unknown[]): void {
    this.#fastTx = undefined;
    for (let i = 0; i < replies.length; i += 4) {
      const id = replies[i] as number;
      const call = this.#calls.get(id);
      if (call === undefined) continue;
      const status = replies[i + 1] as number;
      const payload = replies[i + 2];
      if (status === Status.partial && call.handler.partial !== undefined) {
        try {
          if (!call.abandoned) call.onPartial?.(call.handler.partial(payload));
        } catch {
          // A progress callback that throws must not break the connection's answers; it is the caller's.
        }
        continue;
      }
      if (status === Status.partial) {
        // Decoded even for an abandoned call: a reply may carry the column names of a result shape, sent only once.
        try {
          const rows = this.#rows(payload as RowsPayload);
          if (!call.abandoned) (call.chunks ??= []).push(rows);
        } catch (err) {
          // The call fails now; its last reply still comes, and the replies after this one in the message still count.
          if (!call.abandoned) this.#abandon(call, err as RapsqliteError);
        }
        continue;
      }
      this.#calls.delete(id);
      if (call.handler.background !== true) {
        this.#inFlight--;
        this.#answered = id;
      }
      if (call.abandoned) {
        if (status === Status.ok) {
          this.#learnShapes(call, payload);
          // A cursor opened for a call nobody waits for any more must not stay open in the worker.
          if (call.code === ITER_OPEN) void this.execute({ kind: 'iterClose', sql: '', extra: (payload as [number])[0] }).catch(() => undefined);
        }
        continue;
      }
      this.#release(call);
      if (call.ticket !== undefined) call.ticket.sqliteNs = replies[i + 3] as number;
      if (status === Status.error) {
        // A cursor whose chunk failed was closed by the worker.
        if (call.code === ITER_NEXT) this.#cursors.delete(call.extra as number);
        call.reject(this.#failure(call, payload as WireError));
        continue;
      }
      try {
        const result = this.#decode(call, payload);
        if (call.code === ITER_OPEN || call.code === ITER_NEXT) this.#trackCursor(call, result as CursorChunk & { cursor?: number });
        call.resolve(result);
      } catch (err) {
        call.reject(err);
      }
    }
    if (this.#outbox.length > 0) this.#scheduleFlush();
  }

  #trackCursor(call: Call, chunk: CursorChunk & { cursor?: number }): void {
    const id = call.code === ITER_OPEN ? (chunk.cursor as number) : (call.extra as number);
    if (chunk.done) this.#cursors.delete(id);
    else this.#cursors.add(id);
  }

  /**
   * The error a failed call rejects with. Once a running call is cancelled, a failure (SQLITE_INTERRUPT, or
   * SQLITE_BUSY from an interrupted lock wait) means its statement did not complete and SQLite undid it: it is reported
   * as the cancellation. A script (`exec`) is the exception: the statements before the interrupted one stay applied,
   * so its outcome is unknown unless the worker skipped it before it started.
   */
  #failure(call: Call, wire: WireError): RapsqliteError {
    const abortError = call.abortError;
    if (abortError === undefined) return fromWire(wire, call.sql);
    if (call.code === EXEC && wire.code !== ErrorCodes.ABORTED) {
      return new RapsqliteError(ErrorCodes.OUTCOME_UNKNOWN, 'The script was cancelled while it ran: the statements before the interrupted one may have been applied', {
        sql: call.sql,
        cause: abortError,
      });
    }
    return abortError;
  }

  #learnShapes(call: Call, payload: unknown): void {
    try {
      this.#decode(call, payload);
    } catch {
      // Only the shapes mattered; the call's caller is gone.
    }
  }

  #rows(payload: RowsPayload): Row[] {
    const [shape, names, width, values, blobs] = payload;
    if (names !== 0) this.#shapes[shape] = rowFactory(names);
    const make = this.#shapes[shape];
    if (make === undefined) throw new RapsqliteError(ErrorCodes.INTERNAL, `Result shape ${shape} is unknown`);
    if (blobs === 1) restoreBuffers(values);
    const count = values.length / width;
    const out = new Array<Row>(count);
    for (let i = 0; i < count; i++) out[i] = make(values, i * width);
    return out;
  }

  #decode(call: Call, payload: unknown): unknown {
    return call.handler.decode(payload, { rows: this.#rowsOf, chunks: call.chunks });
  }

  readonly #rowsOf = (payload: RowsPayload): Row[] => this.#rows(payload);

  #onExit(worker: Worker, generation: number): void {
    if (this.#worker !== worker || generation !== this.#generation) return;
    const cause = this.#deathCause;
    this.#deathCause = undefined;
    if (this.#closed && this.#calls.size === 0) {
      this.#worker = undefined;
      this.#endFast();
      return;
    }
    this.#retire(worker, cause);
  }

  /**
   * Settles every call of a worker that died or is being replaced, then forgets it; the next request starts a
   * replacement. What the shared table says the worker reached decides each call's fate: a request it never started
   * is sent again to the replacement (unless it belongs to a transaction, which died with the worker); one it was
   * running, or finished without its answer arriving, fails: `ERR_RAPSQLITE_OUTCOME_UNKNOWN` when it may have written,
   * else its cancellation error or `ERR_RAPSQLITE_WORKER_DIED` (a finished read is simply run again).
   */
  #retire(worker: Worker, cause: unknown): void {
    this.#worker = undefined;
    const fastTx = this.#fastTx;
    this.#endFast();
    const fast = this.#fastCall;
    if (fast !== undefined) {
      // A call in the companion when its worker died: it was running (the companion starts what it takes at once).
      this.#fastCall = undefined;
      this.#calls.delete(fast.id);
      if (!fast.abandoned) {
        this.#release(fast);
        fast.reject(this.#lostError(fast, 'running', cause));
      }
    }
    // A new generation at death, not at the next spawn: until then, a transaction or cursor of the dead worker must
    // already see that its connection is gone, or its next statement would run on the replacement outside any transaction.
    this.#generation++;
    const table = this.#table;
    const running = this.#calls.get(this.#fullId(table.active));
    // Requests after an open transaction (a raw BEGIN, a script) belong to it: they must not run on the replacement.
    const txOpen =
      (fastTx ?? table.inTransaction) ||
      (fast !== undefined && mayOpenTransaction(fast)) ||
      (running !== undefined && table.progress(running.id) === 'running' && mayOpenTransaction(running));
    const requeue: Call[] = [];
    for (const call of this.#calls.values()) {
      if (!call.posted) break;
      call.posted = false;
      if (call.abandoned) {
        this.#calls.delete(call.id);
        continue;
      }
      if (call.code === CLOSE && requeue.length > 0) {
        // Calls queued before close() run on the replacement: so does the close, which then ends it.
        requeue.push(call);
        continue;
      }
      if (call.code === CLOSE || call.code === ITER_CLOSE) {
        // Nothing is left to close on a dead worker.
        this.#calls.delete(call.id);
        this.#release(call);
        call.resolve(undefined);
        continue;
      }
      const progress = table.progress(call.id);
      const again = call.code !== ITER_NEXT && !txOpen && (progress === 'queued' ? !call.inTx : progress === 'done' && replayable(call));
      if (again) {
        requeue.push(call);
        continue;
      }
      this.#calls.delete(call.id);
      this.#release(call);
      call.reject(this.#lostError(call, progress, cause));
    }
    this.#inFlight = 0;
    this.#outbox = requeue.length === 0 ? this.#outbox : [...requeue, ...this.#outbox];
    void worker.terminate();
    if (this.#outbox.length > 0) this.#scheduleFlush();
  }

  /** The current worker is gone: its slot gets no more fast calls, and a wait inside the companion ends. */
  #endFast(): void {
    const slot = this.#slot;
    if (slot !== undefined && this.#companion !== undefined) {
      this.#companion.fastKick(slot);
      unregisterFast(slot);
    }
    this.#fast = false;
    this.#fastTx = undefined;
  }

  #lostError(call: Call, progress: RequestProgress, cause: unknown): RapsqliteError {
    if (progress !== 'queued' && mayWrite(call)) {
      return new RapsqliteError(ErrorCodes.OUTCOME_UNKNOWN, 'The worker died after the statement was sent; it may or may not have been committed', {
        sql: call.sql,
        cause: call.abortError ?? cause,
      });
    }
    if (call.abortError !== undefined) return call.abortError;
    return new RapsqliteError(ErrorCodes.WORKER_DIED, 'The worker died while the call was in flight', { sql: call.sql, cause });
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
    this.#closed = true;
    const worker = this.#worker;
    if (worker === undefined) return;
    // Keep the process alive until the worker has really gone, so the file is closed before the caller moves on.
    worker.ref();
    try {
      await this.execute({ kind: 'close', sql: '' });
    } catch {
      // A worker that died during close has released its connection through better-sqlite3's cleanup hook.
    }
    await new Promise<void>((resolve) => {
      if (this.#worker !== worker) return resolve();
      worker.once('exit', () => resolve());
    });
    // A closed connection holds no result shapes (one with many distinct column lists would otherwise keep them all).
    this.#shapes = [];
  }
}
