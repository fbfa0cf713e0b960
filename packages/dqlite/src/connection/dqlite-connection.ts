import { ErrorCodes, RapsqliteError, type ColumnInfo, type ConnectionInfo, type ConnectionRole, type IntegerMode, type Row, type SqlValue, type StatementInfo } from '@rapsqlite/engine';
import { assertOneStatement, bindValues, closedError, statementPlan, unsupportedError, type Connection, type ConnectionRequest, type RequestKind, type RequestResults, type Ticket } from '@rapsqlite/engine/plugin';
import { isReadOnlySql } from '@rapsqlite/engine/sql';
import { expectResponse, readNodes, type Cluster, type DqliteNode } from '../cluster/cluster.ts';
import { DqliteErrorCodes, leaderLostError, noLeaderError, serverError } from '../errors.ts';
import type { ResolvedDqliteOptions } from '../options.ts';
import { LEADERSHIP_LOST_CODE, NOT_LEADER_CODE, RequestType, ResponseType, ROWS_DONE } from '../protocol/constants.ts';
import { MessageReader } from '../protocol/reader.ts';
import { readRowid, readRows, writeParams, type RowDecoding } from '../protocol/values.ts';
import { Consumed, type ResponseHandler, type WireSocket } from '../protocol/wire-socket.ts';
import { MessageWriter } from '../protocol/writer.ts';
import { RowMakers, type RowMaker } from './rows.ts';

/** What a call is, besides the engine's request kinds: the cluster's own requests. */
type CallKind = RequestKind | 'cluster' | 'transfer';

/** One session: a registered socket to the leader with the database open on it. */
interface Session {
  readonly socket: WireSocket;
  readonly db: number;
  /** Calls sent on it and not settled. */
  readonly calls: Set<Call>;
  /** Cursors still streaming on it. */
  readonly streams: Set<Stream>;
  /** A call that must run alone (a runMany's transaction, a prepare): nothing else is sent until it settles. */
  barrier: Call | undefined;
  /** The node stopped leading: nothing more is sent; the socket closes once what is in flight has answered. */
  retiring: boolean;
  /** Reading is paused because a cursor's consumer is behind. */
  paused: boolean;
}

interface Call {
  readonly id: number;
  readonly kind: CallKind;
  readonly sql: string;
  /** The values to bind (runMany: one list per set). */
  readonly values: SqlValue[] | SqlValue[][];
  readonly integers: IntegerMode;
  readonly extra: unknown;
  readonly inTx: boolean;
  /** Could change the database for good if it ran (outside a transaction, or a COMMIT). */
  readonly durable: boolean;
  /** Must run alone on its session. */
  readonly composite: boolean;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  state: 'queued' | 'sent' | 'done';
  session: Session | undefined;
  /** runMany outside a transaction: its COMMIT was sent. */
  committing: boolean;
  /** Already answered (cancelled): whatever the server says is dropped. */
  abandoned: boolean;
  /** Settles with the call (never rejects), for `drained()`. */
  settled: Promise<void> | undefined;
}

/** A cursor: a query whose rows stream in while the consumer takes them a chunk at a time. */
interface Stream {
  readonly id: number;
  readonly session: Session;
  readonly chunkSize: number;
  readonly sql: string;
  rows: unknown[][];
  head: number;
  make: RowMaker | undefined;
  done: boolean;
  error: RapsqliteError | undefined;
  /** Closed by its consumer: the rest of its rows are read and dropped. */
  discard: boolean;
  /** An INTERRUPT was sent for it, right behind it. */
  interrupted: boolean;
  waiter: { readonly resolve: (chunk: { rows: Row[]; done: boolean }) => void; readonly reject: (error: unknown) => void } | undefined;
}

/** Thrown inside a call's run when its session went away; the call was already settled or queued again. */
class SessionLost extends Error {}

const PREPARE_WRITE_OPS = new Set(['VUpdate', 'VCreate', 'VDestroy', 'Vacuum', 'JournalMode']);
/** A cursor's consumer this far behind stops the reading, so memory stays bounded (TCP holds the server back). */
const HIGH_WATER = 4096;
const MANY_SAVEPOINT = 'rapsqlite_many';

let nextConnectionId = 1_000_001;
let nextCursorId = 1;

function notAQuery(sql: string): RapsqliteError {
  return new RapsqliteError(ErrorCodes.NOT_A_QUERY, 'This statement returns no rows: use run() or exec()', { sql });
}

function outcomeUnknown(sql: string, cause: unknown): RapsqliteError {
  return new RapsqliteError(
    ErrorCodes.OUTCOME_UNKNOWN,
    'The write was sent to the dqlite leader, which went away (or the call was cancelled) before it answered: it may or may not have been committed',
    { sql, cause },
  );
}

function leaderCode(error: unknown): number | undefined {
  const errno = (error as { errno?: unknown } | undefined)?.errno;
  return errno === NOT_LEADER_CODE || errno === LEADERSHIP_LOST_CODE ? errno : undefined;
}

/** Whether a call may have changed the database for good, should it have run. */
function isDurable(kind: CallKind, sql: string, inTx: boolean): boolean {
  if (inTx) return kind === 'run' && /^\s*(COMMIT|END)\b/i.test(sql);
  switch (kind) {
    case 'exec':
    case 'runMany':
      return true;
    case 'run':
    case 'get':
    case 'all':
    case 'values':
    case 'iterOpen':
      return !isReadOnlySql(sql);
    default:
      return false;
  }
}

/**
 * One connection to the leader of a dqlite cluster, as the engine's {@link Connection}: it pipelines requests on one
 * socket, decodes dqlite's typed rows, streams cursors with backpressure, and carries on across a change of leader —
 * requests not yet sent (and reads that were) go to the new leader, a write sent without an answer fails with
 * `ERR_RAPSQLITE_OUTCOME_UNKNOWN`, and a transaction's statements fail with `ERR_RAPSQLITE_DQLITE_LEADER_LOST`.
 */
export class DqliteConnection implements Connection {
  readonly info: ConnectionInfo;
  readonly interruptible = false;
  readonly #cluster: Cluster;
  readonly #options: ResolvedDqliteOptions;
  readonly #writer = new MessageWriter();
  readonly #makers = new RowMakers();
  #generation = 0;
  #session: Session | undefined;
  #connecting: Promise<void> | undefined;
  #outbox: Call[] = [];
  readonly #calls = new Map<number, Call>();
  readonly #streams = new Map<number, Stream>();
  #nextId = 1;
  #closing: Promise<void> | undefined;
  readonly #idle: Array<() => void> = [];
  /** Sessions that ended, for statistics. */
  #lost = 0;
  #lastConnectError: unknown;

  constructor(cluster: Cluster, options: ResolvedDqliteOptions, role: ConnectionRole) {
    this.#cluster = cluster;
    this.#options = options;
    this.info = Object.freeze({ role, id: nextConnectionId++, path: options.url });
  }

  get generation(): number {
    return this.#generation;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** True while a session to the leader is open. */
  get connected(): boolean {
    return this.#session !== undefined;
  }

  /** Calls waiting to be sent. */
  get queued(): number {
    return this.#outbox.length;
  }

  /** Calls sent and not answered. */
  get inFlight(): number {
    return this.#session?.calls.size ?? 0;
  }

  /** Open cursors that still stream. */
  get cursors(): number {
    return this.#session?.streams.size ?? 0;
  }

  /** Sessions lost or retired so far (each a failover, or a leader that stepped down). */
  get sessionsLost(): number {
    return this.#lost;
  }

  /** Connects now (a handle opens its writer eagerly, so a wrong address fails at open). */
  connect(): Promise<void> {
    if (this.#session !== undefined) return Promise.resolve();
    this.#ensureSession();
    return (this.#connecting ?? Promise.resolve()).then(() => {
      if (this.#session === undefined) throw this.#lastConnectError ?? leaderLostError(undefined, undefined);
    });
  }

  execute<K extends RequestKind>(request: ConnectionRequest<K>): Promise<RequestResults[K]> {
    const kind = request.kind as RequestKind;
    switch (kind) {
      case 'iterNext':
        return this.#nextChunk(request.extra as number) as Promise<RequestResults[K]>;
      case 'iterClose':
        this.#closeStream(request.extra as number);
        return Promise.resolve(undefined as RequestResults[K]);
      case 'close':
        return this.close() as Promise<RequestResults[K]>;
      case 'invalidate':
        return Promise.resolve(undefined as RequestResults[K]);
      case 'register':
        return Promise.reject(unsupportedError('User functions run where the engine runs: a dqlite server cannot load JavaScript functions'));
      case 'authorize':
        if (request.extra === null || request.extra === undefined) return Promise.resolve(undefined as RequestResults[K]);
        return Promise.reject(unsupportedError('The authorizer needs the native companion inside the engine: a dqlite server has none'));
      default:
        return this.#enqueue(kind, request) as Promise<RequestResults[K]>;
    }
  }

  /** The cluster's nodes and roles, asked of the leader. */
  listNodes(): Promise<DqliteNode[]> {
    return this.#enqueue('cluster', { kind: 'run', sql: '' }) as Promise<DqliteNode[]>;
  }

  /** Asks the leader to hand leadership to node `id`. */
  transfer(id: bigint): Promise<void> {
    return this.#enqueue('transfer', { kind: 'run', sql: '', extra: id }) as Promise<void>;
  }

  #enqueue(kind: CallKind, request: ConnectionRequest): Promise<unknown> {
    if (this.#closing !== undefined) return Promise.reject(closedError('database', request.sql));
    if (request.ticket?.cancelled !== undefined) return Promise.reject(request.ticket.cancelled);
    let values: SqlValue[] | SqlValue[][];
    try {
      values = this.#bind(kind, request);
    } catch (err) {
      return Promise.reject(err);
    }
    const id = this.#nextId++;
    if (request.ticket !== undefined) request.ticket.id = id;
    const inTx = request.inTransaction === true;
    let created: Call | undefined;
    const promise = new Promise((resolve, reject) => {
      const call: Call = {
        id,
        kind,
        sql: request.sql,
        values,
        integers: request.integers ?? 'number',
        extra: request.extra,
        inTx,
        durable: isDurable(kind, request.sql, inTx),
        composite: kind === 'runMany' || kind === 'prepare',
        resolve,
        reject,
        state: 'queued',
        session: undefined,
        committing: false,
        abandoned: false,
        settled: undefined,
      };
      created = call;
      this.#calls.set(id, call);
      this.#outbox.push(call);
    });
    (created as Call).settled = promise.then(
      () => undefined,
      () => undefined,
    );
    this.#pump();
    return promise;
  }

  /** Checks the SQL and binds the parameters on the caller's side, before anything is sent. */
  #bind(kind: CallKind, request: ConnectionRequest): SqlValue[] | SqlValue[][] {
    const sql = request.sql;
    switch (kind) {
      case 'exec':
      case 'cluster':
      case 'transfer':
        return [];
      case 'prepare': {
        const plan = statementPlan(sql);
        assertOneStatement(plan, sql);
        return [];
      }
      case 'runMany': {
        const plan = statementPlan(sql);
        assertOneStatement(plan, sql);
        const lists = request.params as readonly unknown[];
        return lists.map((params, index) => {
          try {
            return bindValues(plan, params, sql);
          } catch (err) {
            Object.defineProperty(err, 'index', { value: index, enumerable: true });
            throw err;
          }
        });
      }
      default: {
        const plan = statementPlan(sql);
        assertOneStatement(plan, sql);
        return bindValues(plan, request.params, sql);
      }
    }
  }

  // ---- Sessions ----

  #ensureSession(): void {
    if (this.#session !== undefined || this.#connecting !== undefined) return;
    const deadline = performance.now() + this.#options.leaderTimeoutMs;
    this.#connecting = this.#connect(deadline).then(
      (session) => {
        this.#connecting = undefined;
        this.#lastConnectError = undefined;
        if (this.#closing !== undefined && this.#outbox.length === 0) {
          session.socket.destroy();
          this.#checkIdle();
          return;
        }
        this.#session = session;
        this.#pump();
      },
      (error: unknown) => {
        this.#connecting = undefined;
        this.#lastConnectError = error;
        const waiting = this.#outbox;
        this.#outbox = [];
        for (const call of waiting) this.#finish(call, error, undefined);
        this.#checkIdle();
      },
    );
  }

  async #connect(deadline: number): Promise<Session> {
    let refused: unknown;
    for (;;) {
      let socket: WireSocket;
      try {
        socket = await this.#cluster.connectLeader(deadline);
      } catch (err) {
        // A leader that refused to open the database says more than "no leader found".
        if (refused !== undefined && (err as { code?: unknown }).code === DqliteErrorCodes.NO_LEADER) throw noLeaderError(this.#options.leaderTimeoutMs, refused);
        throw err;
      }
      try {
        const opened = await socket.call(this.#writer.reset().text(this.#options.database).uint64(0).text('').finish(RequestType.open));
        const db = expectResponse(opened.type, opened.body, ResponseType.db).uint32();
        const setup = [
          ...(this.#options.foreignKeys ? ['PRAGMA foreign_keys = ON'] : []),
          // A reader refuses writes, as a pool's readers do: a read-only transaction cannot write by mistake.
          ...(this.info.role === 'reader' ? ['PRAGMA query_only = ON'] : []),
          ...this.#options.pragmas,
        ];
        for (const sql of setup) {
          const done = await socket.call(this.#writer.reset().uint64(db).text(sql).finish(RequestType.execSql));
          expectResponse(done.type, done.body, ResponseType.result, sql);
        }
        const session: Session = { socket, db, calls: new Set(), streams: new Set(), barrier: undefined, retiring: false, paused: false };
        socket.onClose((error) => this.#onLost(session, error));
        return session;
      } catch (err) {
        socket.destroy();
        // The node stopped leading between the question and the open: look again.
        if (leaderCode(err) === undefined || performance.now() >= deadline) throw err;
        refused = err;
      }
    }
  }

  /** The session's socket is gone: settle what it carried, by what may have happened to it. */
  #onLost(session: Session, cause: Error): void {
    if (this.#session === session) {
      this.#session = undefined;
      this.#generation++;
    }
    if (!session.retiring) this.#lost++;
    session.retiring = true;
    const calls = [...session.calls].sort((a, b) => a.id - b.id);
    session.calls.clear();
    session.barrier = undefined;
    for (const call of calls) this.#classify(call, true, cause);
    for (const stream of session.streams) {
      stream.error ??= leaderLostError(stream.sql, cause);
      stream.done = true;
      this.#serve(stream);
    }
    session.streams.clear();
    if (this.#outbox.length > 0) this.#ensureSession();
    this.#checkIdle();
  }

  /** The node answered that it does not (or no longer) lead: send nothing more there, and find the leader. */
  #retire(session: Session): void {
    if (session.retiring) return;
    session.retiring = true;
    this.#lost++;
    if (this.#session === session) {
      this.#session = undefined;
      this.#generation++;
    }
    this.#closeIfDrained(session);
  }

  #closeIfDrained(session: Session): void {
    if (session.retiring && session.calls.size === 0 && session.streams.size === 0) session.socket.destroy(new Error('The node no longer leads'));
  }

  /**
   * A call whose session went away (or whose node refused it as not the leader): `ran` says it may have run. Durable
   * writes that may have run fail as of unknown outcome; other calls outside a transaction go to the next leader;
   * calls of a transaction fail with the transaction.
   */
  #classify(call: Call, ran: boolean, cause: unknown): void {
    if (call.state !== 'sent') return;
    call.session = undefined;
    if (call.abandoned) {
      call.state = 'done';
      this.#calls.delete(call.id);
      return;
    }
    const mayHaveCommitted = ran && call.durable && (call.kind !== 'runMany' || call.committing);
    if (mayHaveCommitted) {
      this.#finish(call, outcomeUnknown(call.sql, cause), undefined);
      return;
    }
    if (call.inTx) {
      this.#finish(call, leaderLostError(call.sql, cause), undefined);
      return;
    }
    call.state = 'queued';
    call.committing = false;
    let at = 0;
    while (at < this.#outbox.length && (this.#outbox[at] as Call).id < call.id) at++;
    this.#outbox.splice(at, 0, call);
    this.#ensureSession();
  }

  #finish(call: Call, error: unknown, value: unknown): void {
    if (call.state === 'done') return;
    call.state = 'done';
    call.session = undefined;
    this.#calls.delete(call.id);
    if (call.abandoned) return;
    if (error === undefined) call.resolve(value);
    else call.reject(error);
  }

  #pump(): void {
    const session = this.#session;
    if (session === undefined) {
      if (this.#outbox.length > 0) this.#ensureSession();
      this.#updateRef();
      return;
    }
    const depth = this.#options.pipelining;
    while (this.#outbox.length > 0 && session.barrier === undefined && session.calls.size < depth) {
      const call = this.#outbox[0] as Call;
      if (call.composite && session.calls.size > 0) break;
      this.#outbox.shift();
      call.state = 'sent';
      call.session = session;
      session.calls.add(call);
      if (call.composite) session.barrier = call;
      this.#run(call, session).then(
        (value) => this.#settle(call, session, undefined, value),
        (error: unknown) => this.#settle(call, session, error ?? new Error('undefined was thrown'), undefined),
      );
    }
    this.#updateRef();
  }

  #settle(call: Call, session: Session, error: unknown, value: unknown): void {
    if (call.session !== session || call.state !== 'sent') return;
    session.calls.delete(call);
    if (session.barrier === call) session.barrier = undefined;
    const code = leaderCode(error);
    if (code !== undefined) {
      this.#retire(session);
      this.#classify(call, code === LEADERSHIP_LOST_CODE, error);
    } else if (!(error instanceof SessionLost)) {
      this.#finish(call, error, value);
    }
    this.#closeIfDrained(session);
    this.#pump();
    this.#checkIdle();
  }

  #updateRef(): void {
    const socket = this.#session?.socket;
    if (socket === undefined) return;
    if (this.#calls.size > 0 || this.#streams.size > 0 || this.#outbox.length > 0) socket.ref();
    else socket.unref();
  }

  // ---- Requests ----

  /** Sends one request whose response is one message, and reads it. */
  #request(session: Session, message: Buffer, expected: number, sql: string | undefined): Promise<MessageReader> {
    this.#beforeSend(session);
    return new Promise((resolve, reject) => {
      session.socket.send(message, {
        message(type, body) {
          try {
            resolve(expectResponse(type, body, expected, sql));
          } catch (err) {
            reject(err);
          }
          return Consumed.Done;
        },
        lost: () => reject(new SessionLost()),
      });
    });
  }

  /** A request queued behind a paused cursor: the cursor's rows must be read (and kept) so the server goes on. */
  #beforeSend(session: Session): void {
    if (session.paused) {
      session.paused = false;
      session.socket.resume();
    }
  }

  #execSql(session: Session, sql: string, values: readonly SqlValue[]): Promise<MessageReader> {
    const writer = this.#writer.reset().uint64(session.db).text(sql);
    const schema = writeParams(writer, values, sql);
    return this.#request(session, writer.finish(RequestType.execSql, schema), ResponseType.result, sql);
  }

  async #run(call: Call, session: Session): Promise<unknown> {
    switch (call.kind) {
      case 'run': {
        const reader = await this.#execSql(session, call.sql, call.values as SqlValue[]);
        const lastInsertRowid = readRowid(reader, call.integers);
        return { changes: reader.uint64(), lastInsertRowid };
      }
      case 'exec':
        await this.#execSql(session, call.sql, []);
        return undefined;
      case 'get':
      case 'all':
      case 'values':
        return this.#query(call, session);
      case 'iterOpen':
        return this.#openStream(call, session);
      case 'runMany':
        return this.#runMany(call, session);
      case 'prepare':
        return this.#prepare(call, session);
      case 'cluster': {
        const reader = await this.#request(session, this.#writer.reset().uint64(1).finish(RequestType.cluster), ResponseType.servers, undefined);
        const nodes = readNodes(reader.body);
        this.#cluster.learn(nodes);
        return nodes;
      }
      case 'transfer':
        await this.#request(session, this.#writer.reset().uint64(call.extra as bigint).finish(RequestType.transfer), ResponseType.empty, undefined);
        return undefined;
      default:
        throw new RapsqliteError(ErrorCodes.INTERNAL, `Unexpected request kind ${call.kind}`);
    }
  }

  #decoding(call: { integers: IntegerMode; sql: string }): RowDecoding {
    return { integers: call.integers, typed: this.#options.typedValues, sql: call.sql };
  }

  /** A query read to its end: every row (`all`, `values`) or the first (`get`). */
  #query(call: Call, session: Session, sql = call.sql, values = call.values as SqlValue[]): Promise<unknown> {
    const decoding = this.#decoding(call);
    const rows: unknown[][] = [];
    let columns: string[] = [];
    let failure: unknown;
    const limit = call.kind === 'get' ? 1 : Infinity;
    const writer = this.#writer.reset().uint64(session.db).text(sql);
    const schema = writeParams(writer, values, sql);
    this.#beforeSend(session);
    return new Promise((resolve, reject) => {
      session.socket.send(writer.finish(RequestType.querySql, schema), {
        message: (type, body) => {
          if (type === ResponseType.failure) {
            const reader = new MessageReader(body);
            const code = reader.uint64();
            const message = reader.text();
            reject(code === 1 && message === 'not an error' ? notAQuery(sql) : serverError(code, message, sql));
            return Consumed.Done;
          }
          try {
            expectResponse(type, body, ResponseType.rows, sql);
            const batch = readRows(body, decoding, failure === undefined ? rows : undefined, limit);
            columns = batch.columns;
            failure ??= batch.error;
            if (!batch.done) return Consumed.More;
          } catch (err) {
            reject(err);
            throw err;
          }
          if (failure !== undefined) reject(failure);
          else resolve(this.#shape(call.kind, columns, rows));
          return Consumed.Done;
        },
        lost: () => reject(new SessionLost()),
      });
    });
  }

  #shape(kind: CallKind, columns: string[], rows: unknown[][]): unknown {
    if (kind === 'values') {
      const info: ColumnInfo[] = columns.map((name) => columnInfo(name));
      return { columns: info, rows };
    }
    const make = this.#makers.get(columns);
    if (kind === 'get') return rows.length === 0 ? undefined : make(rows[0] as unknown[]);
    const out = new Array<Row>(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = make(rows[i] as unknown[]);
    return out;
  }

  // ---- Cursors ----

  #openStream(call: Call, session: Session): Promise<unknown> {
    const decoding = this.#decoding(call);
    const sql = call.sql;
    const stream: Stream = {
      id: nextCursorId++,
      session,
      chunkSize: Math.max(1, Number(call.extra) || 256),
      sql,
      rows: [],
      head: 0,
      make: undefined,
      done: false,
      error: undefined,
      discard: false,
      interrupted: false,
      waiter: undefined,
    };
    const writer = this.#writer.reset().uint64(session.db).text(sql);
    const schema = writeParams(writer, call.values as SqlValue[], sql);
    this.#beforeSend(session);
    return new Promise((resolve, reject) => {
      let opened = false;
      stream.waiter = {
        resolve: (chunk) => {
          opened = true;
          if (!chunk.done) {
            this.#streams.set(stream.id, stream);
          }
          resolve({ cursor: stream.id, rows: chunk.rows, done: chunk.done });
        },
        reject: (error) => {
          opened = true;
          reject(error);
        },
      };
      session.streams.add(stream);
      const handler: ResponseHandler = {
        message: (type, body) => {
          const consumed = this.#onStreamMessage(stream, type, body, decoding);
          if (consumed !== Consumed.More) {
            session.streams.delete(stream);
            if (stream.discard) this.#streams.delete(stream.id);
            this.#closeIfDrained(session);
            this.#updateRef();
          }
          return consumed;
        },
        lost: () => {
          if (!opened) {
            opened = true;
            session.streams.delete(stream);
            reject(new SessionLost());
          }
        },
      };
      session.socket.send(writer.finish(RequestType.querySql, schema), handler);
    });
  }

  #onStreamMessage(stream: Stream, type: number, body: Buffer, decoding: RowDecoding): Consumed {
    if (type === ResponseType.empty && stream.interrupted) {
      stream.done = true;
      this.#serve(stream);
      return Consumed.Pass;
    }
    if (type === ResponseType.failure) {
      const reader = new MessageReader(body);
      const code = reader.uint64();
      const message = reader.text();
      stream.error ??= code === 1 && message === 'not an error' ? notAQuery(stream.sql) : serverError(code, message, stream.sql);
      stream.done = true;
      this.#serve(stream);
      return Consumed.Done;
    }
    expectResponse(type, body, ResponseType.rows, stream.sql);
    if (stream.discard || stream.error !== undefined) {
      stream.done = body.length >= 8 && body[body.length - 8] === ROWS_DONE;
    } else {
      const batch = readRows(body, decoding, stream.rows);
      stream.make ??= this.#makers.get(batch.columns);
      stream.error ??= batch.error;
      stream.done = batch.done;
    }
    this.#serve(stream);
    if (!stream.done && !stream.discard && stream.rows.length - stream.head > HIGH_WATER && stream.session.socket.pending === 1 && !stream.session.paused) {
      stream.session.paused = true;
      stream.session.socket.pause();
    }
    return stream.done ? Consumed.Done : Consumed.More;
  }

  /** Hands the waiting consumer a chunk, when one is ready (or the end, or the error). */
  #serve(stream: Stream): void {
    const waiter = stream.waiter;
    if (waiter === undefined) return;
    const available = stream.rows.length - stream.head;
    if (available < stream.chunkSize && !stream.done && stream.error === undefined) return;
    stream.waiter = undefined;
    if (available === 0 && stream.error !== undefined) {
      this.#streams.delete(stream.id);
      waiter.reject(stream.error);
      return;
    }
    const take = Math.min(available, stream.chunkSize);
    const make = stream.make as RowMaker;
    const rows = new Array<Row>(take);
    for (let i = 0; i < take; i++) rows[i] = make(stream.rows[stream.head + i] as unknown[]);
    stream.head += take;
    if (stream.head > 1024 && stream.head * 2 > stream.rows.length) {
      stream.rows = stream.rows.slice(stream.head);
      stream.head = 0;
    }
    const done = stream.done && stream.error === undefined && stream.head === stream.rows.length;
    if (done) this.#streams.delete(stream.id);
    const session = stream.session;
    if (session.paused && stream.rows.length - stream.head < HIGH_WATER / 2) {
      session.paused = false;
      session.socket.resume();
    }
    waiter.resolve({ rows, done });
  }

  #nextChunk(id: number): Promise<{ rows: Row[]; done: boolean }> {
    const stream = this.#streams.get(id);
    if (stream === undefined) return Promise.resolve({ rows: [], done: true });
    if (stream.waiter !== undefined) return Promise.reject(new RapsqliteError(ErrorCodes.INTERNAL, 'A cursor was asked for two chunks at once'));
    return new Promise((resolve, reject) => {
      stream.waiter = { resolve, reject };
      this.#serve(stream);
      this.#updateRef();
    });
  }

  /** Closes a cursor: what it has not read is dropped; a query still streaming is interrupted when nothing follows it. */
  #closeStream(id: number): void {
    const stream = this.#streams.get(id);
    if (stream === undefined) return;
    this.#streams.delete(id);
    stream.rows = [];
    stream.head = 0;
    if (stream.done) return;
    stream.discard = true;
    const session = stream.session;
    if (session.paused) {
      session.paused = false;
      session.socket.resume();
    }
    if (session.socket.pending === 1 && session.socket.current !== undefined && !session.socket.closed) {
      stream.interrupted = true;
      session.socket.send(this.#writer.reset().uint64(session.db).finish(RequestType.interrupt), {
        message: () => Consumed.Done,
        lost: () => undefined,
      });
    }
    this.#updateRef();
  }

  // ---- Composite calls ----

  /**
   * One statement over many parameter sets, all or nothing: in a transaction of its own (or a savepoint inside the
   * caller's), with the sets pipelined, then COMMIT — or ROLLBACK, and the first failing set's error with its index.
   */
  async #runMany(call: Call, session: Session): Promise<unknown> {
    const sets = call.values as SqlValue[][];
    const frame = call.inTx
      ? { begin: `SAVEPOINT ${MANY_SAVEPOINT}`, commit: `RELEASE ${MANY_SAVEPOINT}`, rollback: [`ROLLBACK TO ${MANY_SAVEPOINT}`, `RELEASE ${MANY_SAVEPOINT}`] }
      : { begin: 'BEGIN IMMEDIATE', commit: 'COMMIT', rollback: ['ROLLBACK'] };
    if (sets.length === 0) return { changes: 0, lastInsertRowid: 0, count: 0 };
    // BEGIN first, alone: were it to fail, pipelined statements would each commit on their own.
    await this.#execSql(session, frame.begin, []);
    let changes = 0;
    let last: number | bigint = 0;
    let failure: unknown;
    const window = this.#options.pipelining;
    for (let start = 0; start < sets.length && failure === undefined && !call.abandoned; start += window) {
      const batch = sets.slice(start, start + window).map((values) => this.#execSql(session, call.sql, values));
      const settled = await Promise.allSettled(batch);
      for (let i = 0; i < settled.length; i++) {
        const outcome = settled[i] as PromiseSettledResult<MessageReader>;
        if (outcome.status === 'rejected') {
          if (outcome.reason instanceof SessionLost || leaderCode(outcome.reason) !== undefined) throw outcome.reason;
          failure = outcome.reason;
          Object.defineProperty(failure, 'index', { value: start + i, enumerable: true });
          break;
        }
        last = readRowid(outcome.value, call.integers);
        changes += outcome.value.uint64();
      }
    }
    if (failure !== undefined || call.abandoned) {
      for (const sql of frame.rollback) await this.#execSql(session, sql, []).catch((err: unknown) => {
        if (err instanceof SessionLost) throw err;
      });
      throw failure ?? new RapsqliteError(ErrorCodes.ABORTED, 'The call was cancelled', { sql: call.sql });
    }
    if (!call.inTx) call.committing = true;
    try {
      await this.#execSql(session, frame.commit, []);
    } catch (err) {
      // A refused COMMIT (a deferred constraint) leaves the transaction open: close it.
      if (!(err instanceof SessionLost) && leaderCode(err) === undefined) {
        for (const sql of frame.rollback) await this.#execSql(session, sql, []).catch(() => undefined);
      }
      throw err;
    }
    return { changes, lastInsertRowid: last, count: sets.length };
  }

  /**
   * What a statement is, without running it: `EXPLAIN` compiles it on the server (a compile error fails here) and
   * shows whether it returns rows and writes; a read's column names come from running it wrapped in `LIMIT 0`.
   */
  async #prepare(call: Call, session: Session): Promise<StatementInfo> {
    const plan = statementPlan(call.sql);
    const first = plan.first;
    const nulls = new Array<SqlValue>(plan.count).fill(null);
    const probe = { ...call, kind: 'all' as const, integers: 'number' as IntegerMode };
    if (/^\s*EXPLAIN\b/i.test(first)) {
      const columns = await this.#columnsOf(probe, session, first, nulls);
      return { reader: true, readonly: true, columns };
    }
    const program = (await this.#query({ ...probe, integers: 'auto' }, session, `EXPLAIN ${first}`, [])) as Row[];
    let reader = false;
    let readonly = true;
    for (const op of program) {
      const name = op['opcode'];
      if (name === 'ResultRow') reader = true;
      else if ((name === 'Transaction' && op['p2'] !== 0) || PREPARE_WRITE_OPS.has(name as string)) readonly = false;
    }
    if (!reader) return { reader, readonly, columns: [] };
    let columns: ColumnInfo[] = [];
    if (isReadOnlySql(first)) columns = await this.#columnsOf(probe, session, `SELECT * FROM (\n${first}\n) LIMIT 0`, nulls).catch(() => []);
    else if (readonly) columns = await this.#columnsOf(probe, session, first, nulls).catch(() => []);
    return { reader, readonly, columns };
  }

  async #columnsOf(probe: Call, session: Session, sql: string, values: SqlValue[]): Promise<ColumnInfo[]> {
    const result = (await this.#query({ ...probe, kind: 'values' }, session, sql, values)) as { columns: ColumnInfo[] };
    return result.columns;
  }

  // ---- Cancellation ----

  cancel(ticket: Ticket, error: RapsqliteError): void {
    const call = this.#calls.get(ticket.id);
    if (call !== undefined) this.#cancelCall(call, error);
  }

  #cancelCall(call: Call, error: RapsqliteError): void {
    if (call.state === 'done' || call.abandoned) return;
    if (call.state === 'queued') {
      this.#outbox.splice(this.#outbox.indexOf(call), 1);
      this.#finish(call, error, undefined);
      this.#checkIdle();
      return;
    }
    // Sent: the server will run it whatever happens now. Its answer is dropped when it comes.
    const mayCommit = call.durable && !call.inTx && (call.kind !== 'runMany' || call.committing);
    call.abandoned = true;
    this.#calls.delete(call.id);
    call.reject(mayCommit ? outcomeUnknown(call.sql, error) : error);
  }

  /**
   * Rejects the reads running now with `error` (their answers are dropped) and stops streaming cursors; a write that
   * was sent cannot be stopped. Returns whether anything was stopped.
   */
  interrupt(error: RapsqliteError): boolean {
    let stopped = false;
    for (const call of [...this.#calls.values()]) {
      if (call.state === 'sent' && !call.durable && (call.kind === 'get' || call.kind === 'all' || call.kind === 'values' || call.kind === 'iterOpen')) {
        this.#cancelCall(call, error);
        stopped = true;
      }
    }
    for (const stream of [...this.#streams.values()]) {
      if (stream.done) continue;
      stream.error ??= error;
      const waiter = stream.waiter;
      stream.waiter = undefined;
      this.#closeStream(stream.id);
      waiter?.reject(error);
      stopped = true;
    }
    return stopped;
  }

  cancelTransaction(error: RapsqliteError): void {
    for (const call of [...this.#calls.values()]) if (call.inTx) this.#cancelCall(call, error);
  }

  pin(): void {
    // A session is never replaced on purpose, so there is nothing to hold back.
  }

  // ---- Closing ----

  #checkIdle(): void {
    if (this.#calls.size > 0 || this.#outbox.length > 0 || this.#connecting !== undefined) return;
    for (const resolve of this.#idle.splice(0)) resolve();
  }

  /** Resolves once every call made so far has settled. */
  async drained(): Promise<void> {
    await Promise.all([...this.#calls.values()].map((call) => call.settled));
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#idle.push(resolve);
      this.#checkIdle();
    });
    const session = this.#session;
    this.#session = undefined;
    for (const stream of this.#streams.values()) stream.discard = true;
    this.#streams.clear();
    session?.socket.destroy(new Error('The connection was closed'));
  }
}

function columnInfo(name: string): ColumnInfo {
  // dqlite's rows carry column names only: declared types and origins do not cross the wire.
  return { name, type: null, table: null, column: null, database: null };
}
