import { ErrorCodes } from '../errors/codes.ts';
import { deadlockError } from '../errors/catalogue.ts';
import { RapsqliteError } from '../errors/rapsqlite-error.ts';
import type { AuthorizerRules } from '../native/authorizer-rules.ts';
import type { QueryOptions } from '../types.ts';
import type { AcquireRequest, ConnectionLease, ConnectionProvider, FunctionRegistration } from './connection.ts';
import type { AttachSpec } from '../worker/tools/attach.ts';
import type { WorkerConnection } from './worker-connection.ts';

interface Waiter {
  readonly exclusive: boolean;
  readonly grant: (lease: ConnectionLease) => void;
  readonly fail: (error: RapsqliteError) => void;
  readonly start: number;
  readonly options: QueryOptions;
}

/**
 * The provider of one connection (what `open()` gives): calls outside a transaction go straight to the connection,
 * which pipelines them; a transaction takes the connection for itself, and calls made meanwhile wait in arrival
 * order, honouring their `signal` and `timeoutMs`.
 */
export class SingleConnectionProvider implements ConnectionProvider {
  readonly routes = false;
  readonly tracksCalls = false;
  readonly #connection: WorkerConnection;
  /** The transaction's lease, while one holds the connection. */
  #exclusive: ConnectionLease | undefined;
  #shared: ConnectionLease;
  readonly #waiting: Waiter[] = [];
  #closing: Promise<void> | undefined;

  constructor(connection: WorkerConnection) {
    this.#connection = connection;
    this.#shared = this.#newLease();
  }

  get path(): string {
    return this.#connection.info.path;
  }

  get primary(): WorkerConnection {
    return this.#connection;
  }

  get closing(): boolean {
    return this.#closing !== undefined;
  }

  #newLease(exclusive = false): ConnectionLease {
    return { connection: this.#connection, generation: this.#connection.generation, active: true, exclusive, options: undefined };
  }

  acquire(request: AcquireRequest): ConnectionLease | Promise<ConnectionLease> {
    if (this.#closing !== undefined) throw new RapsqliteError(ErrorCodes.CLOSED, 'The database is closed', { sql: request.sql });
    if (this.#exclusive === undefined && this.#waiting.length === 0) {
      if (request.exclusive) return this.#grantExclusive();
      // One lease object per worker generation serves every call outside a transaction: nothing to allocate.
      if (this.#shared.generation !== this.#connection.generation) this.#shared = this.#newLease();
      return this.#shared;
    }
    const held = request.held;
    if (held !== undefined && held.active && held === this.#exclusive) throw deadlockError(request.sql);
    return this.#wait(request);
  }

  #grantExclusive(): ConnectionLease {
    const lease = this.#newLease(true);
    this.#exclusive = lease;
    this.#connection.pin(true);
    return lease;
  }

  #wait(request: AcquireRequest): Promise<ConnectionLease> {
    const { signal, timeoutMs } = request.options;
    if (signal?.aborted === true) return Promise.reject(cancelled(signal.reason, request.sql, undefined));
    return new Promise<ConnectionLease>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const settle = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const drop = (error: RapsqliteError): void => {
        const at = this.#waiting.indexOf(waiter);
        if (at === -1) return;
        this.#waiting.splice(at, 1);
        settle();
        reject(error);
        // A waiter that left the head of the queue may have been the only thing in front of others.
        if (at === 0 && this.#exclusive === undefined) this.#wake();
      };
      const onAbort = (): void => drop(cancelled(signal?.reason, request.sql, undefined));
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
      this.#waiting.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs !== undefined) timer = setTimeout(() => drop(cancelled(undefined, request.sql, timeoutMs)), timeoutMs);
    });
  }

  release(lease: ConnectionLease): void {
    if (lease !== this.#exclusive) return;
    lease.active = false;
    this.#exclusive = undefined;
    this.#connection.pin(false);
    this.#wake();
  }

  /** Wakes waiting calls in order, up to and including the next waiting transaction. */
  #wake(): void {
    for (let waiter = this.#waiting.shift(); waiter !== undefined; waiter = this.#waiting.shift()) {
      const waited = performance.now() - waiter.start;
      if (waiter.exclusive) {
        // Granted synchronously, so nothing woken later can slip in before its BEGIN.
        waiter.grant(withOptions(this.#grantExclusive(), waiter.options, waited));
        return;
      }
      if (this.#shared.generation !== this.#connection.generation) this.#shared = this.#newLease();
      waiter.grant(withOptions(this.#shared, waiter.options, waited));
    }
  }

  async register(spec: FunctionRegistration): Promise<void> {
    if (this.#closing !== undefined) throw new RapsqliteError(ErrorCodes.CLOSED, 'The database is closed');
    await this.#connection.execute({ kind: 'register', sql: '', extra: spec });
    this.#connection.addFunction(spec);
  }

  async setAuthorizer(rules: AuthorizerRules | null): Promise<void> {
    if (this.#closing !== undefined) throw new RapsqliteError(ErrorCodes.CLOSED, 'The database is closed');
    await this.#connection.execute({ kind: 'authorize', sql: '', extra: rules });
    this.#connection.setAuthorizer(rules);
  }

  async attach(spec: AttachSpec): Promise<void> {
    if (this.#closing !== undefined) throw new RapsqliteError(ErrorCodes.CLOSED, 'The database is closed');
    const config = this.#connection.config;
    await this.#connection.execute({ kind: 'attach', sql: '', extra: { spec, readonly: config.readonly, journalMode: config.journalMode, synchronous: config.synchronous } });
    this.#connection.setAttachment(spec.alias, spec);
  }

  async detach(alias: string): Promise<void> {
    if (this.#closing !== undefined) throw new RapsqliteError(ErrorCodes.CLOSED, 'The database is closed');
    await this.#connection.execute({ kind: 'detach', sql: '', extra: alias });
    this.#connection.setAttachment(alias, undefined);
  }

  interrupt(error: RapsqliteError): boolean {
    return this.#connection.interrupt(error);
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    // The transaction and the calls already queued behind it finish first; then everything in flight.
    while (this.#exclusive !== undefined || this.#waiting.length > 0) {
      await new Promise<void>((resolve) =>
        this.#waiting.push({ exclusive: false, start: performance.now(), options: {}, grant: () => resolve(), fail: () => resolve() }),
      );
    }
    await this.#connection.close();
  }
}

/** The lease with the call's deadline shortened by the time it waited (a transaction's own lease is kept as is). */
function withOptions(lease: ConnectionLease, options: QueryOptions, waited: number): ConnectionLease {
  const deadline = options.timeoutMs;
  if (deadline === undefined || waited < 1) return lease;
  const shortened = { ...options, timeoutMs: Math.max(1, deadline - waited) };
  if (lease.exclusive) {
    lease.options = shortened;
    return lease;
  }
  return { ...lease, options: shortened };
}

function cancelled(reason: unknown, sql: string, timeoutMs: number | undefined): RapsqliteError {
  return timeoutMs === undefined
    ? new RapsqliteError(ErrorCodes.ABORTED, 'The call was cancelled', { sql, cause: reason })
    : new RapsqliteError(ErrorCodes.TIMEOUT, `The call did not finish within ${timeoutMs} ms`, { sql });
}
