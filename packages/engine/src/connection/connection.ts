/**
 * The one contract between a handle and what runs its SQL. A {@link Connection} runs requests (one worker thread and
 * its better-sqlite3 connection today; a remote server later); a {@link ConnectionProvider} hands connections out
 * for operations and takes them back (one connection with its transaction queue, or a pool's router over a writer
 * and readers). A handle is the query API plus one middleware chain plus a provider; the chain runs above the
 * provider, so middleware sees an operation before any connection is chosen.
 */
import type { RapsqliteError } from '../errors/rapsqlite-error.ts';
import type { ConnectionInfo, OperationKind } from '../middleware/operation.ts';
import type { AuthorizerRules } from '../native/authorizer-rules.ts';
import type { IntegerMode, QueryOptions, Row, RunManyResult, RunResult, ValuesResult } from '../types.ts';
import type { WorkerInspection } from '../operations/inspect.ts';
import type { AttachSpec } from '../worker/tools/attach.ts';
import type { BackupResult } from '../worker/tools/backup.ts';
import type { StatementInfo } from '../worker/protocol.ts';

/** What a connection can be asked to do: the query kinds, the cursor steps, and the connection's own settings. */
export const REQUEST_KINDS = [
  'run',
  'get',
  'all',
  'values',
  'exec',
  'runMany',
  'prepare',
  'iterOpen',
  'iterNext',
  'iterClose',
  'register',
  'invalidate',
  'close',
  'authorize',
  'inspect',
  'backup',
  'abortTask',
  'serialize',
  'attach',
  'detach',
  'rekey',
  'watchChanges',
  'limit',
  'loadExtension',
] as const;

/** One of {@link REQUEST_KINDS}. */
export type RequestKind = (typeof REQUEST_KINDS)[number];

/** A chunk of a cursor's rows. */
export interface CursorChunk {
  readonly rows: Row[];
  readonly done: boolean;
}

/** The result each request kind resolves with, decoded on the caller's thread. */
export interface RequestResults {
  run: RunResult;
  get: Row | undefined;
  all: Row[];
  values: ValuesResult;
  exec: undefined;
  runMany: RunManyResult;
  prepare: StatementInfo;
  iterOpen: CursorChunk & { readonly cursor: number };
  iterNext: CursorChunk;
  iterClose: undefined;
  register: undefined;
  invalidate: undefined;
  close: undefined;
  authorize: undefined;
  inspect: WorkerInspection;
  backup: BackupResult;
  abortTask: undefined;
  serialize: Buffer;
  attach: undefined;
  detach: undefined;
  rekey: undefined;
  watchChanges: undefined;
  limit: number;
  loadExtension: undefined;
}

/**
 * Lets a caller cancel a request it made: the connection fills in `id` when it takes the request; `cancelled` stops
 * a request not made yet. `sqliteNs` receives the time spent inside SQLite when statement timing is on.
 */
export interface Ticket {
  id: number;
  cancelled: RapsqliteError | undefined;
  sqliteNs?: number;
}

/** One request, as a record: what to run, with what, and how to read integers back. */
export interface ConnectionRequest<K extends RequestKind = RequestKind> {
  readonly kind: K;
  readonly sql: string;
  readonly params?: unknown;
  /** How integers come back. Default `'number'`. */
  readonly integers?: IntegerMode;
  /** Kind-specific data: a cursor id, a chunk size, a function registration, authorizer rules. */
  readonly extra?: unknown;
  /** Sent inside a transaction that holds the connection: it dies with the connection's session, never replayed. */
  readonly inTransaction?: boolean;
  readonly ticket?: Ticket | undefined;
  /** Receives the request's partial answers other than rows (a backup's progress), on the caller's thread. */
  readonly onPartial?: ((progress: unknown) => void) | undefined;
}

/** A connection: runs requests in order, one session (SQLite connection) at a time. */
export interface Connection {
  /** Its role, id and path. */
  readonly info: ConnectionInfo;
  /**
   * Increases each time the connection loses its session (a dead or replaced worker): a transaction or a cursor of
   * an older generation is gone, and the next request runs on a new session with the same settings.
   */
  readonly generation: number;
  /** True once `close()` was called. */
  readonly closed: boolean;
  /** True when a running request can be interrupted in place (the native companion). */
  readonly interruptible: boolean;
  /** Runs a request and resolves with its decoded result. Requests made in the same tick may travel together. */
  execute<K extends RequestKind>(request: ConnectionRequest<K>): Promise<RequestResults[K]>;
  /** Cancels the request `ticket` names; see docs/cancellation.md for what each state of the request gives. */
  cancel(ticket: Ticket, error: RapsqliteError): void;
  /** Interrupts whatever runs now; false when nothing ran or it cannot be interrupted. */
  interrupt(error: RapsqliteError): boolean;
  /** Cancels every request of the transaction that holds the connection (its deadline passed). */
  cancelTransaction(error: RapsqliteError): void;
  /** Tells the connection a transaction holds it (true) or no longer does: it is then never replaced on purpose. */
  pin(pinned: boolean): void;
  /** Lets requests in flight finish, then ends the session. Idempotent. */
  close(): Promise<void>;
}

/** A connection handed out for one operation (or a whole transaction, or an open cursor). */
export interface ConnectionLease {
  readonly connection: Connection;
  /** The connection's generation when it was handed out: a transaction whose connection moved on is dead. */
  readonly generation: number;
  /** True while the operation may use it. */
  active: boolean;
  /** Held by one operation alone (a transaction) until it is released. */
  readonly exclusive: boolean;
  /**
   * The call's options as the provider adjusted them (a deadline shortened by the time spent waiting), or undefined
   * when unchanged.
   */
  options: QueryOptions | undefined;
}

/** What a handle asks a provider for. */
export interface AcquireRequest {
  readonly kind: OperationKind;
  readonly sql: string;
  /** The operation needs the connection to itself until it is released: a transaction. */
  readonly exclusive: boolean;
  /** Whether the operation may change the database, as far as the caller's thread can tell from the SQL text. */
  readonly access: 'read' | 'write';
  /** The call's options (`signal`, `timeoutMs`, and any the provider understands, such as `readYourWrites`). */
  readonly options: QueryOptions;
  /** The lease of the transaction whose callback makes this call, if any: waiting for it would never end. */
  readonly held: ConnectionLease | undefined;
}

/** Hands out connections for operations and takes them back; owns the connections' shared settings. */
export interface ConnectionProvider {
  /** The path of the database it serves. */
  readonly path: string;
  /** True when it routes reads and writes to different connections, so the handle classifies SQL for it. */
  readonly routes: boolean;
  /**
   * True when it needs every lease back, calls outside transactions included (it counts calls per connection).
   * False lets the handle skip `release` for them: a single connection's hot path then allocates nothing for it.
   */
  readonly tracksCalls: boolean;
  /** The connection that answers for the provider (the single connection, a pool's writer). */
  readonly primary: Connection;
  /** True once `close()` was called. */
  readonly closing: boolean;
  /**
   * A connection for an operation: at once when one is free, else when one frees up, honouring the call's `signal`
   * and `timeoutMs` while it waits. Fails with `ERR_RAPSQLITE_TRANSACTION_DEADLOCK` when it would wait for `held`.
   */
  acquire(request: AcquireRequest): ConnectionLease | Promise<ConnectionLease>;
  /** Takes a connection back; `error` is the operation's failure, if it failed. */
  release(lease: ConnectionLease, error?: unknown): void;
  /** Learns what preparing a statement told about it (whether it is read-only), for routing. */
  learn?(sql: string, readonly: boolean): void;
  /** Registers a user function on every connection, present and future. */
  register(spec: FunctionRegistration): Promise<void>;
  /** Installs (or removes) an authorizer on every connection, present and future. */
  setAuthorizer(rules: AuthorizerRules | null): Promise<void>;
  /** Attaches a database on every connection, present and future (absent: the provider cannot). */
  attach?(spec: AttachSpec): Promise<void>;
  /** Detaches it from every connection (absent: the provider cannot). */
  detach?(alias: string): Promise<void>;
  /** Interrupts whatever every connection runs now; true when something was interrupted. */
  interrupt(error: RapsqliteError): boolean;
  /** Lets queued and running work finish, then closes every connection. Idempotent. */
  close(): Promise<void>;
}

/** A user function or aggregate as a connection registers it: a module the worker imports and the export to use. */
export interface FunctionRegistration {
  readonly kind: 'function' | 'aggregate';
  readonly name: string;
  /** An absolute file URL or a bare package specifier, imported inside the worker. */
  readonly module: string;
  readonly export: string;
  readonly deterministic?: boolean;
  readonly varargs?: boolean;
  readonly directOnly?: boolean;
  readonly innocuous?: boolean;
  readonly bigintArguments: boolean;
}
