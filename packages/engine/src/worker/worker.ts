/**
 * The worker thread: owns one better-sqlite3 connection and answers batches of requests from its connection on the
 * caller's thread. Everything that touches SQLite happens here, never on the caller's thread. What each request
 * does lives in its handler (`../operations/`); this file opens the connection and runs the message loop.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { CancelTable } from '../connection/cancel-table.ts';
import { ErrorCodes } from '../errors/codes.ts';
import type { AuthorizerRules } from '../native/authorizer-rules.ts';
import { loadCompanion, type Companion } from '../native/companion.ts';
import type { ReplyChannel, WorkerRequest } from '../operations/handler.ts';
import { CODES, HANDLERS } from '../operations/table.ts';
import { loadDriver, type DriverConstructor, type DriverDatabase, type DriverStatement } from './driver.ts';
import { replayAttachments, type AttachTarget } from './tools/attach.ts';
import { applyKey, loadCipherDriver, type CipherTarget } from './tools/encryption.ts';
import { loadExtensions, refuseSqlExtensionLoading, type ExtensionHost } from './tools/extensions.ts';
import { openImage, type BufferDriverConstructor } from './tools/serialize.ts';
import { REQUEST_SLOTS, Status, type IntModeCode, type WorkerConfig, type WorkerHello } from './protocol.ts';
import { PollGate } from './poll-gate.ts';
import { WorkerSession } from './session.ts';
import { pumpChanges, replayLimits, watching } from './hooks.ts';
import { registerFunction, runInitModule } from './user-code.ts';
import { toWire } from './wire-error.ts';
import { WorkerError } from './worker-error.ts';

/** After this long inside one batch, replies so far are sent, so fast answers do not wait behind a slow query. */
const FLUSH_AFTER_MS = 2;
const CLOSE = CODES.close;
const PREPARE = CODES.prepare;
const REGISTER = CODES.register;
/** A request that ran this long is slow: the next time, the replies before it are sent before it starts. */
const SLOW_MS = 1;
/** SQL texts whose last request was slow, at most this many (the oldest is forgotten first). */
const SLOW_LIMIT = 256;
const slowSql = new Map<string, true>();

/**
 * Whether a request may run long: its SQL was slow last time, or is not prepared on this connection yet (a script,
 * a statement seen for the first time). Replies already made are sent before such a request starts, so that the
 * answers to fast requests in the same batch do not wait for it.
 */
function mayRunLong(sql: string): boolean {
  if (sql === '') return false;
  if (slowSql.size > 0 && slowSql.has(sql)) return true;
  // Without a statement cache every statement is prepared anew: only what was slow counts.
  return session.cache.capacity > 0 && !session.cache.has(sql);
}

/** Remembers whether the request of `sql` that just ran for `ms` was slow. */
function noteDuration(sql: string, ms: number): void {
  if (ms > SLOW_MS) {
    if (sql === '' || slowSql.has(sql)) return;
    if (slowSql.size >= SLOW_LIMIT) slowSql.delete(slowSql.keys().next().value as string);
    slowSql.set(sql, true);
  } else if (slowSql.size > 0) {
    slowSql.delete(sql);
  }
}

const port = parentPort;
if (port === null) throw new Error('rapsqlite: worker.ts must run in a worker thread');
const config = workerData as WorkerConfig;
const table = new CancelTable(config.cancelBuffer);
let session!: WorkerSession;

let replies: unknown[] = [];

function flush(): void {
  if (replies.length === 0) return;
  port!.postMessage(replies);
  replies = [];
}

/** Sends the parts of a large answer (an `all` of many rows) ahead of its last part, in order. */
const reply = {
  id: 0,
  partial(payload: unknown): void {
    flush();
    port!.postMessage([reply.id, Status.partial, payload, 0]);
  },
} satisfies ReplyChannel & { id: number };

function channelFor(id: number): ReplyChannel {
  return {
    partial(payload: unknown): void {
      flush();
      port!.postMessage([id, Status.partial, payload, 0]);
    },
  };
}

// Prepared at open, before an authorizer is installed: SQLite authorizes statements when they are prepared.
let schemaVersion: DriverStatement | undefined;
let schemaTouch: DriverStatement | undefined;
let knownSchema: unknown;

/**
 * Forgets cached statements when another connection (a pool's writer, another process) changed the schema: SQLite
 * recompiles them by itself, but the column names cached with them would go stale (after a RENAME COLUMN, say).
 */
function checkSchema(): void {
  if (schemaVersion === undefined || schemaTouch === undefined) return;
  try {
    const version = schemaVersion.get();
    if (version !== knownSchema) {
      if (knownSchema !== undefined) {
        // The pragma reads the cookie but does not reload the connection's schema, against which new statements
        // compile; a statement that reads a table trips over the new cookie and makes SQLite reload it.
        schemaTouch.get();
        session.cache.clear();
        session.noteSchemaChange();
      }
      knownSchema = version;
    }
  } catch {
    // The check must never take the worker down (SQLite may refuse to re-prepare these statements under a new
    // authorizer after a schema change): it stops, and statements keep the column names they were prepared with.
    schemaVersion = undefined;
  }
}

/**
 * Time spent in SQLite by the request that started at `started` (a `performance.now()` reading), in nanoseconds, when
 * statement timing is on: SQLite's own statement timings from the companion's trace hook, or else the worker's clock
 * around the driver call (which then includes better-sqlite3's row building). 0 when timing is off.
 */
function elapsedNs(started: number): number {
  if (!config.statementTiming) return 0;
  if (session.companion !== undefined) return session.companion.takeProfile(session.slot).totalNs;
  return Math.round((performance.now() - started) * 1e6);
}

/** Ends request `id`: the cancellation table learns it finished, and whether a transaction is open after it. */
function finish(id: number, code: number): void {
  const companion = session.companion;
  if (companion !== undefined && code !== CLOSE) companion.setActive(session.slot, 0);
  if (watching()) pumpChanges(session, code === CLOSE, (...entry) => replies.push(...entry));
  table.end(id, code !== CLOSE && session.db.inTransaction);
}

/** Processes a batch from `start`; returns a promise if it had to wait for an asynchronous request. */
function processBatch(batch: unknown[], start: number): Promise<void> | undefined {
  let flushedAt = performance.now();
  let mark = flushedAt;
  // With the companion, a schema change is noticed after a statement ran (see WorkerSession.probesSchema), which
  // spares every batch a read transaction; a prepare reports column names before anything runs, so it still reads
  // the schema cookie.
  if (start === 0 && !session.probesSchema) checkSchema();
  const { db, companion, slot, cursors } = session;
  for (let i = start; i < batch.length; i += REQUEST_SLOTS) {
    const id = batch[i] as number;
    const code = batch[i + 1] as number;
    // Marked active before the cancel mark is read: the caller's thread writes the mark before it interrupts, so a
    // cancellation either finds the mark here or finds this request active and interrupts it.
    if (companion !== undefined) companion.setActive(slot, id);
    if (table.begin(id)) {
      finish(id, code);
      replies.push(id, Status.error, { code: ErrorCodes.ABORTED, message: 'Cancelled before it started', name: 'RapsqliteError' }, 0);
      continue;
    }
    const handler = HANDLERS[code];
    if (code === REGISTER) fastPath = false;
    if (code === PREPARE && session.probesSchema) checkSchema();
    const request: WorkerRequest = { id, sql: batch[i + 2] as string, params: batch[i + 3], mode: batch[i + 4] as IntModeCode, extra: batch[i + 5] };
    if (replies.length > 0 && mayRunLong(request.sql)) {
      flush();
      flushedAt = performance.now();
      mark = flushedAt;
    }
    // better-sqlite3 refuses writes while an iterator is open; SQLite itself allows them. Unsafe mode is enabled
    // only around such a request, because it also turns off SQLite's defensive mode.
    const unsafe = cursors.size > 0 && handler !== undefined && handler.writes !== 'never';
    if (unsafe) db.unsafeMode(true);
    const started = config.statementTiming ? performance.now() : 0;
    let payload: unknown;
    try {
      if (handler === undefined) throw new WorkerError(ErrorCodes.INTERNAL, `Unknown request ${code}`);
      reply.id = id;
      // A background request replies later, between other requests: it gets a channel of its own.
      payload = handler.execute(session, request, handler.background === true ? channelFor(id) : reply);
    } catch (err) {
      session.settleShapes(false);
      replies.push(id, Status.error, toWire(err, request.sql, request.params), elapsedNs(started));
      finishSync(id, code, unsafe);
      mark = performance.now();
      continue;
    }
    session.settleShapes(true);
    if (payload instanceof Promise && handler?.background === true) {
      // A background request (a backup) goes on between the next requests; its answer comes when it ends. For the
      // cancellation table it has finished: the worker has moved on.
      finishSync(id, code, unsafe);
      backgrounds++;
      payload.then(
        (result: unknown) => {
          backgrounds--;
          replies.push(id, Status.ok, result, 0);
          flush();
        },
        (err: unknown) => {
          backgrounds--;
          replies.push(id, Status.error, toWire(err, request.sql, undefined), 0);
          flush();
        },
      );
      continue;
    }
    if (payload instanceof Promise) {
      // An asynchronous request (a function module to import): answer what came before, then wait for it.
      flush();
      return payload.then(
        () => {
          finishSync(id, code, unsafe);
          replies.push(id, Status.ok, undefined, 0);
          flush();
          return processBatch(batch, i + REQUEST_SLOTS);
        },
        (err: unknown) => {
          finishSync(id, code, unsafe);
          replies.push(id, Status.error, toWire(err, request.sql, undefined), 0);
          flush();
          return processBatch(batch, i + REQUEST_SLOTS);
        },
      );
    }
    replies.push(id, Status.ok, payload, elapsedNs(started));
    finishSync(id, code, unsafe);
    const now = performance.now();
    noteDuration(request.sql, now - mark);
    mark = now;
    if (now - flushedAt > FLUSH_AFTER_MS) {
      flush();
      // Sending the replies is not the next request's time.
      flushedAt = mark = performance.now();
    }
  }
  // The last replies go out in drain(): right before the worker waits in the companion, if it does, so that a caller
  // who sends the next call as soon as it has this answer finds the companion serving.
  if (batch[batch.length - REQUEST_SLOTS + 1] === CLOSE) {
    flush();
    closed = true;
    port!.close();
  }
  return undefined;
}

function finishSync(id: number, code: number, unsafe: boolean): void {
  if (unsafe) session.db.unsafeMode(false);
  finish(id, code);
}

const inbox: unknown[][] = [];
let draining = false;
/** Background requests running (a backup, a change watch): they need the event loop between requests. */
let backgrounds = 0;
/** Serve the companion's fast path while idle; off once JavaScript user functions exist on the connection. */
let fastPath = config.fastPath && config.functions.length === 0;
let closed = false;
/** How long one wait inside the companion lasts at most: its cached statements are finalized when it returns. */
const SERVE_MS = 100;
const SERVE_KICKED = 1;

const SPIN_MS = config.spinMicros / 1000;
const gate = new PollGate();

function drain(): void {
  draining = true;
  // This drain ends by serving the companion if it may: a resumption queued for that is not needed (and its immediate
  // would count as the event loop's work).
  cancelResume();
  let serve: boolean;
  for (;;) {
    for (let batch = inbox.shift(); batch !== undefined; batch = inbox.shift()) {
      const pending = processBatch(batch, 0);
      if (pending !== undefined) {
        void pending.then(drain);
        return;
      }
    }
    // The companion polls instead, for fast calls and (through its kick) for messages.
    serve = fastPath && !closed && session.companion !== undefined && mayServe();
    if (serve) break;
    flush();
    if (SPIN_MS <= 0 || closed) break;
    // A caller awaiting one query at a time sends the next one right after our answer. Polling the port for a few
    // tens of microseconds picks it up without the cost of the thread falling asleep and being woken (measured here:
    // a bare round trip falls from ~24 µs to ~9 µs); an idle connection stops polling after SPIN_MS. When every core
    // is busy, polling takes a core the caller needs, and the gate says to sleep instead (see poll-gate.ts).
    const now = performance.now();
    if (!gate.allows(now)) break;
    const until = now + SPIN_MS;
    let next: { message: unknown } | undefined;
    while ((next = receiveMessageOnPort(port!)) === undefined && performance.now() < until);
    if (next === undefined) break;
    inbox.push(next.message as unknown[]);
  }
  draining = false;
  if (serve) serveFast(true);
  flush();
}

/**
 * Whether the worker's JavaScript may hand its thread to the companion: nothing of its own waits for the event loop
 * (a background request, an open cursor, a change watch), and no timer or handle of user code does either (the
 * port to the caller is the only handle of an idle worker).
 */
function mayServe(): boolean {
  if (backgrounds > 0 || session.cursors.size > 0 || watching()) return false;
  const resources = process.getActiveResourcesInfo();
  return resources.length === 0 || (resources.length === 1 && resources[0] === 'MessagePort');
}

/**
 * Waits for requests inside the companion, which runs the fast path's calls on this thread (see
 * `connection/fast-path.ts`), until the caller's thread posts a message (it then kicks the companion) or the
 * event loop has work. The message is already in the port's queue when the kick arrives: the event loop delivers it
 * before the immediate that comes back here.
 */
function serveFast(mayServeChecked = false): void {
  const companion = session.companion;
  // A resumption already queued is this one (its immediate would count as the event loop's work).
  cancelResume();
  if (companion === undefined || (!mayServeChecked && !mayServe())) return;
  // A message that arrived before the worker reached this point is handled first.
  const next = receiveMessageOnPort(port!);
  if (next !== undefined) {
    inbox.push(next.message as unknown[]);
    drain();
    return;
  }
  for (;;) {
    const spin = SPIN_MS > 0 && gate.allows(performance.now()) ? config.spinMicros : 0;
    flush();
    const outcome = companion.fastServe(session.slot, spin, SERVE_MS);
    if (outcome === SERVE_KICKED) {
      resume = setImmediate(resumeFast);
      return;
    }
    // A timeout (the statements it cached are finalized): wait again unless the event loop has work meanwhile, or
    // a message came without its kick.
    if (outcome !== 0 || !mayServe()) return;
    const late = receiveMessageOnPort(port!);
    if (late !== undefined) {
      inbox.push(late.message as unknown[]);
      drain();
      return;
    }
  }
}

let resume: ReturnType<typeof setImmediate> | undefined;

function cancelResume(): void {
  if (resume === undefined) return;
  clearImmediate(resume);
  resume = undefined;
}

function resumeFast(): void {
  resume = undefined;
  if (!draining && inbox.length === 0 && fastPath && !closed) serveFast();
}

/**
 * Sets the journal mode, waiting up to the busy timeout when another connection converts the same new file at the
 * same moment: both hold a shared lock and want an exclusive one, and SQLite answers one of them SQLITE_BUSY at once
 * rather than calling its busy handler (which would deadlock). Two processes opening a new file together met it.
 */
function setJournalMode(db: DriverDatabase, mode: string, busyTimeoutMs: number): void {
  const deadline = performance.now() + busyTimeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      db.pragma(`journal_mode = ${mode}`);
      return;
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'SQLITE_BUSY' || performance.now() >= deadline) throw err;
      Atomics.wait(pause, 0, 0, 5);
    }
  }
}

let opened: { close(): unknown } | undefined;

async function init(): Promise<void> {
  const Driver = config.key === undefined ? loadDriver() : loadCipherDriver<DriverConstructor>();
  const options = { readonly: config.readonly, timeout: config.busyTimeoutMs };
  const db =
    config.image === undefined ? new Driver(config.path, options) : openImage(Driver as unknown as BufferDriverConstructor<DriverDatabase>, config.image, options);
  opened = db;
  // The key comes before any other statement: SQLite cannot read an encrypted file's first page without it.
  if (config.key !== undefined) applyKey(db as unknown as CipherTarget, config.key);
  db.defaultSafeIntegers(true);
  // Schemas are not trusted: a malicious schema cannot call functions with side effects from views or triggers.
  db.pragma('trusted_schema = OFF');
  if (config.journalMode !== undefined && !config.readonly) setJournalMode(db, config.journalMode, config.busyTimeoutMs);
  // better-sqlite3 reopens an existing WAL file at NORMAL without saying so; the level is always set explicitly.
  db.pragma(`synchronous = ${config.synchronous}`);
  db.pragma(`foreign_keys = ${config.foreignKeys ? 'ON' : 'OFF'}`);
  for (const pragma of config.pragmas) db.pragma(pragma);
  // Only the C API loads extensions (the companion, the extensions option); SQL's load_extension() is refused.
  loadExtensions(db as unknown as ExtensionHost, config.extensions);
  refuseSqlExtensionLoading(db as unknown as ExtensionHost);
  replayAttachments(db as unknown as AttachTarget, config.attach, {
    readonly: config.readonly,
    journalMode: config.journalMode,
    synchronous: config.synchronous,
  });
  for (const sql of config.init) db.exec(sql);
  if (config.initModule !== undefined) await runInitModule(db, config.initModule, { path: config.path, readonly: config.readonly });
  schemaVersion = db.prepare('PRAGMA schema_version').pluck();
  schemaTouch = db.prepare('SELECT 1 FROM sqlite_schema LIMIT 1').pluck();
  let companion: Companion | undefined;
  let slot = 0;
  if (config.companion) {
    companion = loadCompanion();
    if (companion !== undefined) {
      try {
        db.loadExtension(companion.extensionPath, companion.entryPoint);
        slot = Number(db.prepare(companion.slotSql).pluck().get());
      } catch {
        // The companion binds to one SQLite copy per process: a connection on another copy (an encrypting driver
        // beside better-sqlite3) runs without it, as when it is not built.
        companion = undefined;
        slot = 0;
      }
    }
  }
  session = new WorkerSession(db, companion, slot, config.statementCacheSize);
  if (config.authorizer !== undefined && config.authorizer !== null) {
    if (companion === undefined) throw new WorkerError(ErrorCodes.UNSUPPORTED, 'The authorizer needs the native companion, which is not available');
    companion.setAuthorizer(slot, config.authorizer as AuthorizerRules);
  }
  for (const spec of config.functions) await registerFunction(session, spec);
  replayLimits(session, config);
}

init().then(
  () => {
    port.on('message', (batch: unknown[]) => {
      inbox.push(batch);
      if (!draining) drain();
    });
    port.postMessage({ type: 'ready', slot: session.companion === undefined ? undefined : session.slot } satisfies WorkerHello);
    // Idle from the start: the first call may take the fast path.
    resume = setImmediate(resumeFast);
  },
  (err: unknown) => {
    port.postMessage({ type: 'init-error', error: toWire(err) } satisfies WorkerHello);
    try {
      opened?.close();
    } catch {
      // The connection may never have opened; nothing else to release.
    }
    port.close();
  },
);
