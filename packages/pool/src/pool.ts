import { Database, type AuthorizerRules, type Middleware, type RapsqliteError } from '@rapsqlite/engine';
import { invalidArgument, type AcquireRequest, type AttachSpec, type ConnectionLease, type ConnectionProvider, type FunctionRegistration } from '@rapsqlite/engine/plugin';
import type { CheckpointMode, CheckpointResult, PoolEventMap, PoolEventName } from './events.ts';
import { CHECKPOINT_MODES } from './events.ts';
import type { Lease, PoolCore, Target } from './internal/pool-core.ts';
import type { Slot } from './internal/connection-group.ts';
import type { PoolStats } from './stats.ts';
import type { PoolDiagnosis } from './diagnostics/diagnosis.ts';

/** A lease the engine holds: the pool's own lease on a slot, with the connection the engine runs requests on. */
interface PoolLease extends ConnectionLease {
  readonly pool: Lease;
}

/**
 * The pool as the engine's handle sees it: a connection provider that routes each operation to the writer or a
 * reader and holds it for the call (or for a whole transaction, or an open cursor).
 */
class PoolProvider implements ConnectionProvider {
  readonly routes = true;
  readonly tracksCalls = true;
  readonly #core: PoolCore;

  constructor(core: PoolCore) {
    this.#core = core;
  }

  get path(): string {
    return this.#core.path;
  }

  get primary(): Slot['connection'] {
    return this.#core.writerSlot.connection;
  }

  get closing(): boolean {
    return this.#core.closing;
  }

  acquire(request: AcquireRequest): ConnectionLease | Promise<ConnectionLease> {
    try {
      // Taken before any wait, while the application's frames are still on the stack (leak detection only).
      const stack = this.#core.diagnostics.captureStack(request.kind, request.exclusive);
      const target: Target = request.exclusive ? (request.access === 'read' ? 'readTx' : 'writeTx') : request.access;
      // The transaction whose callback makes this call, while it holds its connection.
      const holder = request.held as PoolLease | undefined;
      const held = holder !== undefined && holder.active ? holder.pool : undefined;
      const pending = this.#core.acquire(request.kind, request.sql, target, request.options, held);
      // A connection free now is handed over in this tick; only a call that waits costs a promise.
      if (pending instanceof Promise) return pending.then((lease) => this.#engineLease(lease, request, stack));
      return this.#engineLease(pending, request, stack);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #engineLease(lease: Lease, request: AcquireRequest, stack: string | undefined): PoolLease {
    const connection = lease.slot.connection;
    if (request.kind === 'iterate') this.#core.holdCursor(lease, true);
    this.#core.diagnostics.watch(lease, request.kind, request.sql, stack);
    // A transaction holds its connection: its worker is never replaced on purpose while it runs.
    if (request.exclusive) connection.pin(true);
    const engineLease: PoolLease = { connection, generation: connection.generation, active: true, exclusive: request.exclusive, options: lease.options, pool: lease };
    return engineLease;
  }

  release(lease: ConnectionLease, error?: unknown): void {
    const held = lease as PoolLease;
    if (!held.active) return;
    held.active = false;
    this.#core.diagnostics.unwatch(held.pool);
    if (held.exclusive) held.connection.pin(false);
    if (held.pool.cursor) this.#core.holdCursor(held.pool, false);
    this.#core.release(held.pool, error);
  }

  learn(sql: string, readonly: boolean): void {
    this.#core.routes.set(sql, readonly);
  }

  register(spec: FunctionRegistration): Promise<void> {
    return this.#core.register(spec);
  }

  setAuthorizer(rules: AuthorizerRules | null): Promise<void> {
    return this.#core.setAuthorizer(rules);
  }

  attach(spec: AttachSpec): Promise<void> {
    return this.#core.attach(spec);
  }

  detach(alias: string): Promise<void> {
    return this.#core.detach(alias);
  }

  interrupt(error: RapsqliteError): boolean {
    return this.#core.interrupt(error);
  }

  close(): Promise<void> {
    return this.#core.close();
  }
}

/**
 * A pool over one SQLite file in WAL mode: one writer connection and read-only reader connections, each a worker
 * thread — the engine's `Database` handle over a pool instead of one connection, plus the pool's own methods
 * (statistics, events, checkpoints). Reads of read-only statements run on readers in parallel; writes, scripts and
 * transactions run on the writer; `transaction(cb, { readonly: true })` runs on a reader with one snapshot. Create
 * it with {@link createPool}.
 *
 * The middleware chain runs above routing, as on any handle: a middleware sees an operation before a connection is
 * chosen (a mock touches none, a span includes the wait for one), and reads `op.connection` (`'writer'` or
 * `'reader'`, and which) once `next` has settled.
 */
export class Pool extends Database {
  readonly #core: PoolCore;

  /** @internal Use {@link createPool}. */
  constructor(core: PoolCore, middleware: readonly Middleware[]) {
    super({ provider: new PoolProvider(core), settings: core.settings }, middleware);
    this.#core = core;
  }

  /** @internal */
  protected override derive(middleware: readonly Middleware[]): Pool {
    return new Pool(this.#core, middleware);
  }

  /** Always false: a pool writes through its writer. Each reader connection is read-only. */
  override get readonly(): boolean {
    return false;
  }

  /**
   * Runs `PRAGMA wal_checkpoint(mode)` on the writer after the writes queued before it, and reports the outcome.
   * The pool already checkpoints by itself (see `checkpointIntervalMs` and `walStarvationBytes`); this is for
   * tests, backups and shutdown scripts. The mode is SQLite's, in either case (`'truncate'` or `'TRUNCATE'`).
   */
  checkpoint(mode: CheckpointMode | Uppercase<CheckpointMode> = 'passive'): Promise<CheckpointResult> {
    const lower = typeof mode === 'string' ? (mode.toLowerCase() as CheckpointMode) : mode;
    if (!CHECKPOINT_MODES.includes(lower)) return Promise.reject(invalidArgument(`Unknown checkpoint mode "${String(mode)}"`));
    return this.#core.checkpoint(lower);
  }

  /** A snapshot of the connections, the queues and the WAL, for metrics. */
  stats(): PoolStats {
    return this.#core.stats();
  }

  /**
   * A diagnostic snapshot: every connection's state, age, generation and the calls holding it (their statement
   * summaries and how long they have held it, leaks marked), the queues and their oldest waiter, the WAL.
   *
   * @example
   * ```ts
   * app.get('/health/db', () => pool.diagnose());
   * ```
   */
  diagnose(): PoolDiagnosis {
    return this.#core.diagnostics.diagnose();
  }

  /** Listens to a pool event; see {@link PoolEventMap} for the payloads. Shared by every handle of the pool. */
  on<E extends PoolEventName>(event: E, listener: (payload: PoolEventMap[E]) => void): this {
    this.#core.on(event, listener);
    return this;
  }

  /** Listens to the next occurrence of a pool event only. */
  once<E extends PoolEventName>(event: E, listener: (payload: PoolEventMap[E]) => void): this {
    this.#core.once(event, listener);
    return this;
  }

  /** Removes a listener added with {@link on} or {@link once}. */
  off<E extends PoolEventName>(event: E, listener: (payload: PoolEventMap[E]) => void): this {
    this.#core.off(event, listener);
    return this;
  }
}
