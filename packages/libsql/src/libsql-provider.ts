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
import { LibsqlErrorCodes } from './errors.ts';
import type { LibsqlConnection } from './libsql-connection.ts';

interface Waiter {
  readonly exclusive: boolean;
  readonly start: number;
  readonly options: QueryOptions;
  readonly grant: (lease: ConnectionLease) => void;
}

/** One lane: a connection, the transaction holding it, and the calls waiting behind that transaction. */
class Lane {
  readonly connection: LibsqlConnection;
  exclusive: ConnectionLease | undefined;
  readonly waiting: Waiter[] = [];

  constructor(connection: LibsqlConnection) {
    this.connection = connection;
  }
}

/** What the provider needs to bring an embedded replica up to date. */
export interface ReplicaSync {
  /** Pulls the primary's changes into the replica. */
  sync(): Promise<unknown>;
}

/**
 * The connections of a libSQL handle: a writer lane (the primary) where writes and transactions run in arrival
 * order, one transaction at a time, and a reader lane for reads outside transactions — the same client, or an
 * embedded replica read locally. With a replica and `readYourWrites`, a read first syncs the replica when the writer
 * has committed since the last sync, so it sees the handle's own writes.
 */
export class LibsqlProvider implements ConnectionProvider {
  readonly routes = true;
  readonly tracksCalls = true;
  readonly path: string;
  readonly #writer: Lane;
  readonly #reader: Lane;
  readonly #replica: ReplicaSync | undefined;
  readonly #readYourWrites: boolean;
  #syncedAt = 0;
  #syncing: Promise<void> | undefined;
  /** Syncs the replica went through, for statistics. */
  syncs = 0;
  #closing: Promise<void> | undefined;

  constructor(path: string, writer: LibsqlConnection, reader: LibsqlConnection, replica: ReplicaSync | undefined, readYourWrites: boolean) {
    this.path = path;
    this.#writer = new Lane(writer);
    this.#reader = new Lane(reader);
    this.#replica = replica;
    this.#readYourWrites = readYourWrites;
  }

  get primary(): LibsqlConnection {
    return this.#writer.connection;
  }

  get reader(): LibsqlConnection {
    return this.#reader.connection;
  }

  get closing(): boolean {
    return this.#closing !== undefined;
  }

  get waiting(): number {
    return this.#writer.waiting.length + this.#reader.waiting.length;
  }

  acquire(request: AcquireRequest): ConnectionLease | Promise<ConnectionLease> {
    if (this.#closing !== undefined) throw closedError('database', request.sql);
    if (request.access === 'read') {
      const lane = this.#reader;
      const readYourWrites = (request.options.readYourWrites ?? this.#readYourWrites) && this.#replica !== undefined;
      if (request.exclusive) return readYourWrites ? this.#fresh().then(() => this.#take(lane, request)) : this.#take(lane, request);
      const lease = this.#shared(lane);
      return readYourWrites ? this.#fresh().then(() => lease) : lease;
    }
    return this.#take(this.#writer, request);
  }

  /** Brings the replica up to the writer's last commit, one sync at a time. */
  async #fresh(): Promise<void> {
    const writes = this.#writer.connection.writes;
    while (this.#syncedAt < writes) {
      if (this.#syncing === undefined) {
        const target = this.#writer.connection.writes;
        this.#syncing = (async () => {
          try {
            await (this.#replica as ReplicaSync).sync();
            this.syncs++;
            this.#syncedAt = Math.max(this.#syncedAt, target);
          } catch (err) {
            throw new RapsqliteError(LibsqlErrorCodes.SYNC, 'Syncing the embedded replica failed; the read did not run', { cause: err });
          } finally {
            this.#syncing = undefined;
          }
        })();
      }
      await this.#syncing;
    }
  }

  #shared(lane: Lane): ConnectionLease {
    return { connection: lane.connection, generation: 0, active: true, exclusive: false, options: undefined };
  }

  #take(lane: Lane, request: AcquireRequest): ConnectionLease | Promise<ConnectionLease> {
    if (lane.exclusive === undefined && lane.waiting.length === 0) return request.exclusive ? this.#grant(lane) : this.#shared(lane);
    const held = request.held;
    if (held !== undefined && held.active && held === lane.exclusive) throw deadlockError(request.sql);
    const { signal, timeoutMs } = request.options;
    if (signal?.aborted === true) return Promise.reject(new RapsqliteError(ErrorCodes.ABORTED, 'The call was cancelled', { sql: request.sql, cause: signal.reason }));
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const drop = (error: RapsqliteError): void => {
        const at = lane.waiting.indexOf(waiter);
        if (at === -1) return;
        lane.waiting.splice(at, 1);
        done();
        reject(error);
        if (at === 0) this.#wake(lane);
      };
      const onAbort = (): void => drop(new RapsqliteError(ErrorCodes.ABORTED, 'The call was cancelled', { sql: request.sql, cause: signal?.reason }));
      const waiter: Waiter = {
        exclusive: request.exclusive,
        start: performance.now(),
        options: request.options,
        grant: (lease) => {
          done();
          resolve(lease);
        },
      };
      lane.waiting.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => drop(new RapsqliteError(ErrorCodes.TIMEOUT, `The call did not finish within ${timeoutMs} ms`, { sql: request.sql })), timeoutMs);
      }
    });
  }

  #grant(lane: Lane): ConnectionLease {
    const lease: ConnectionLease = { connection: lane.connection, generation: 0, active: true, exclusive: true, options: undefined };
    lane.exclusive = lease;
    return lease;
  }

  release(lease: ConnectionLease): void {
    if (!lease.active) return;
    lease.active = false;
    for (const lane of [this.#writer, this.#reader]) {
      if (lane.exclusive !== lease) continue;
      lane.exclusive = undefined;
      this.#wake(lane);
    }
  }

  #wake(lane: Lane): void {
    while (lane.exclusive === undefined && lane.waiting.length > 0) {
      const waiter = lane.waiting.shift() as Waiter;
      const lease = waiter.exclusive ? this.#grant(lane) : this.#shared(lane);
      const deadline = waiter.options.timeoutMs;
      const waited = performance.now() - waiter.start;
      if (deadline !== undefined && waited >= 1) lease.options = { ...waiter.options, timeoutMs: Math.max(1, deadline - waited) };
      waiter.grant(lease);
    }
  }

  register(_spec: FunctionRegistration): Promise<void> {
    return Promise.reject(unsupportedError('User functions run where the engine runs: a libSQL server cannot load JavaScript functions'));
  }

  setAuthorizer(rules: AuthorizerRules | null): Promise<void> {
    if (rules === null) return Promise.resolve();
    return Promise.reject(unsupportedError('The authorizer needs the native companion inside the engine: libSQL has none'));
  }

  interrupt(): boolean {
    return false;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const lane of [this.#writer, this.#reader]) {
        while (lane.exclusive !== undefined || lane.waiting.length > 0) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      // The reader may share the writer's client, which the writer closes: the reader goes first.
      await this.#reader.connection.close();
      await this.#writer.connection.close();
    })();
    return this.#closing;
  }
}
