import diagnostics from 'node:diagnostics_channel';
import { EventEmitter } from 'node:events';
import { type AuthorizerRules, Database, type DatabaseOptions, ErrorCodes, RapsqliteError, type OperationKind, type QueryOptions } from '@rapsqlite/engine';
import {
  CHANNELS,
  deadlockError,
  emitRapsqliteWarning,
  openConnection,
  publishPoolEvent,
  resolveOptions,
  SingleConnectionProvider,
  type AttachSpec,
  type FunctionRegistration,
  type WorkerConnection,
} from '@rapsqlite/engine/plugin';
import { PoolErrorCodes, poolError } from '../errors.ts';
import type { CheckpointMode, CheckpointResult, CreateReason, DestroyReason, PoolEventMap, PoolEventName, WarningEvent } from '../events.ts';
import type { ResolvedPoolOptions } from '../pool-options.ts';
import type { PoolStats } from '../stats.ts';
import { CallCosts } from './call-costs.ts';
import { ConnectionGroup, type Slot, type WaitLimits, type Watch } from './connection-group.ts';
import { RouteCache } from './route-cache.ts';
import { WalMonitor } from './wal-monitor.ts';
import { WriteBarrier } from './write-barrier.ts';
import { PoolDiagnostics } from '../diagnostics/pool-diagnostics.ts';

/** Where a call goes: a read (reader if its statement is read-only), a write, or a transaction on either role. */
export type Target = 'read' | 'write' | 'readTx' | 'writeTx';

/** A connection held by one call, and what is needed to give it back. */
export interface Lease {
  readonly slot: Slot;
  readonly group: ConnectionGroup;
  readonly exclusive: boolean;
  readonly kind: OperationKind;
  readonly sql: string;
  /** How routing counts the call on its connection (see `ConnectionGroup`); undefined when it does not. */
  readonly watch: Watch;
  /** The write-barrier sequence number of a call on the writer, else 0. */
  readonly seq: number;
  /** When the connection was obtained. */
  readonly start: number;
  /** The call's options, with `timeoutMs` reduced by the time spent waiting. */
  readonly options: CallOptions | undefined;
  /** An open cursor holds the lease (it does not delay `close()`). */
  cursor: boolean;
}

/** The options of a call that matter for routing and waiting. */
export type CallOptions = QueryOptions;

const DEATH_CODES: ReadonlySet<string> = new Set([ErrorCodes.WORKER_DIED, ErrorCodes.OUTCOME_UNKNOWN]);

function isDeath(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && DEATH_CODES.has(code);
}

function closedError(sql: string): RapsqliteError {
  return new RapsqliteError(ErrorCodes.CLOSED, 'The pool is closed', { sql });
}

/**
 * A slot for a connection: the connection the pool's leases hand out, and an engine handle of its own on it for the
 * pool's housekeeping (pings, checkpoints, function registration, closing).
 */
function makeSlot(connection: WorkerConnection, settings: ReturnType<typeof handleSettings>): Slot {
  const raw = new Database({ provider: new SingleConnectionProvider(connection), settings }, []);
  const info = connection.info;
  const now = performance.now();
  return {
    role: info.role,
    id: info.id,
    raw,
    connection,
    createdAt: now,
    running: 0,
    exclusive: false,
    state: 'ready',
    idleSince: now,
    busySince: now,
    lastActive: now,
    calls: 0,
    cursors: 0,
    slowCalls: 0,
    unknownCalls: 0,
    progressAt: now,
  };
}

function handleSettings(options: ReturnType<typeof resolveOptions>) {
  return Object.freeze({ integers: options.integers, timeoutMs: options.timeoutMs, statementTiming: options.statementTiming, readonly: options.readonly });
}

/**
 * The shared state of a pool and of every handle made from it with `with()`: the connections, the queues, routing,
 * read-your-writes, health, WAL maintenance, statistics and events.
 */
export class PoolCore {
  readonly path: string;
  readonly options: ResolvedPoolOptions;
  readonly writer: ConnectionGroup;
  readonly readers: ConnectionGroup;
  readonly barrier = new WriteBarrier();
  readonly routes: RouteCache;
  /** How long calls of each SQL text kept their connection busy, so that fast calls are not queued behind slow ones. */
  readonly costs: CallCosts;
  readonly wal: WalMonitor;
  /** Leak detection, maxLifetimeMs, the replace event and diagnose() (see ../diagnostics). */
  readonly diagnostics: PoolDiagnostics;
  readonly #emitter = new EventEmitter();
  readonly #functions: FunctionRegistration[] = [];
  /** The authorizer every new reader gets: the option's, or the last one set with `authorizer()`. */
  #authorizer: AuthorizerRules | null | undefined;
  readonly #creations = new Set<Promise<unknown>>();
  readonly #drainWaiters: Array<() => void> = [];
  #timer: ReturnType<typeof setInterval> | undefined;
  #ticking = false;
  #closing: Promise<void> | undefined;
  /** Set once the connections start closing: nothing can be served any more. */
  #shut = false;
  #warnings = 0;

  private constructor(path: string, options: ResolvedPoolOptions) {
    this.path = path;
    this.options = options;
    const hooks = {
      onEnqueue: (group: ConnectionGroup, kind: OperationKind) => {
        if (group === this.readers) this.#grow();
        if (this.#observed('enqueue')) this.#emit('enqueue', () => ({ role: group.role, kind, pending: group.pending }));
      },
      onTimeout: (group: ConnectionGroup, kind: OperationKind, waitMs: number) =>
        this.#emit('timeout', () => ({ role: group.role, kind, waitMs, pending: group.pending })),
      onReject: (group: ConnectionGroup, kind: OperationKind) => this.#emit('reject', () => ({ role: group.role, kind, pending: group.pending })),
      // Every reader is busy though it can take more: open another one, one at a time, for the calls to come.
      onShare: (group: ConnectionGroup) => {
        if (group === this.readers && group.creating === 0 && this.#closing === undefined && group.slots.length < group.max) this.#createReader('demand');
      },
    };
    const limits = { pipelining: options.pipelining, maxQueue: options.maxQueue };
    this.writer = new ConnectionGroup('writer', { ...limits, min: 1, max: 1 }, hooks);
    this.readers = new ConnectionGroup('reader', { ...limits, min: options.minReaders, max: options.maxReaders }, hooks);
    this.routes = new RouteCache(options.routeCacheSize);
    this.costs = new CallCosts(Math.max(options.routeCacheSize, 100));
    this.#authorizer = options.connection.authorizer;
    this.wal = new WalMonitor(path, options, {
      onCheckpoint: (result) => this.#emit('checkpoint', () => result),
      onStarvation: (event) => this.#emit('starvation', () => event),
    });
    this.diagnostics = new PoolDiagnostics({
      path,
      options,
      writer: this.writer,
      readers: this.readers,
      isClosing: () => this.#closing !== undefined,
      walStats: () => this.wal.stats(),
      emit: (event, payload) => this.#emit(event, payload),
      listens: (event) => this.#emitter.listenerCount(event) > 0,
      recover: (group, slot) => this.#markDead(group, slot),
      renewReader: (slot) => this.#renewReader(slot),
      openWriter: () => this.#openWriter(),
      swapWriter: (old, next) => this.#swapWriter(old, next),
      discard: (slot) => void slot.raw.close().catch((err: unknown) => this.#warn('close', err)),
    });
  }

  /** Opens the writer (checking WAL mode) and the minimum readers, and starts maintenance. */
  static async create(path: string, options: ResolvedPoolOptions): Promise<PoolCore> {
    const core = new PoolCore(path, options);
    const start = performance.now();
    const limit = options.journalSizeLimit;
    const resolved = resolveOptions({
      ...(options.connection as DatabaseOptions),
      journalMode: 'wal',
      pragmas: [...options.connection.pragmas, `journal_size_limit = ${limit}`],
    });
    const slot = makeSlot(await openConnection(path, resolved, 'writer'), handleSettings(resolved));
    const writer = slot.raw;
    try {
      const row = await writer.get<{ journal_mode: string }>('PRAGMA journal_mode');
      const mode = String(row?.journal_mode).toLowerCase();
      if (mode !== 'wal') {
        throw poolError(
          PoolErrorCodes.NOT_WAL,
          `The pool needs WAL mode, but the database reports journal_mode "${mode}"${path === ':memory:' || path === '' ? ' (in-memory and temporary databases cannot use WAL)' : ''}`,
        );
      }
      core.writer.add(slot);
      core.#emit('create', () => ({ role: 'writer', connectionId: slot.id, reason: 'initial', createMs: performance.now() - start }));
      const readers = await Promise.allSettled(Array.from({ length: options.minReaders }, () => core.#openReader('initial')));
      const failed = readers.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    } catch (err) {
      await core.close().catch(() => undefined);
      await writer.close().catch(() => undefined);
      throw err;
    }
    core.wal.bytes = await core.wal.size().catch(() => 0);
    core.#timer = setInterval(() => void core.#tick(), options.maintenanceIntervalMs);
    core.#timer.unref();
    return core;
  }

  get closing(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * What the pool's handles apply to every call: the connection options' integer mode, deadline and timing, and the
   * query tools (`adapters`, `converters`, `rowMode`). The pool's own statements run on raw handles without the tools.
   */
  get settings(): {
    readonly integers: 'number' | 'bigint' | 'auto';
    readonly timeoutMs: number | undefined;
    readonly statementTiming: boolean;
    readonly readonly: boolean;
    readonly tools: ReturnType<typeof resolveOptions>['tools'];
  } {
    const connection = this.options.connection;
    return (this.#settings ??= Object.freeze({
      integers: connection.integers ?? 'number',
      timeoutMs: connection.timeoutMs,
      statementTiming: connection.statementTiming === true,
      readonly: false,
      tools: resolveOptions(connection as DatabaseOptions).tools,
    }));
  }

  #settings: PoolCore['settings'] | undefined;

  /** The writer's connection (there is always exactly one). */
  get writerSlot(): Slot {
    return this.writer.slots[0] as Slot;
  }

  // ---- Routing and acquisition ----

  /**
   * Finds the connection for a call and holds it: the writer for writes and write transactions; for reads, a reader
   * when the statement is read-only — as the caller's thread classified its SQL text, or as preparing it taught the
   * route cache. No probe: a new SQL string costs one round trip, on the connection that runs it.
   */
  acquire(kind: OperationKind, sql: string, target: Target, options: CallOptions | undefined, held?: Lease): Lease | Promise<Lease> {
    if (typeof sql !== 'string') throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, 'SQL must be a string');
    if (this.#closing !== undefined) throw closedError(sql);
    const start = performance.now();
    const inTransaction = held !== undefined;
    const inWriteTx = held?.slot.role === 'writer';
    if (target === 'write' && kind !== 'run' && kind !== 'runMany' && kind !== 'exec' && this.routes.get(sql) === true) target = 'read';
    if (this.readers.max === 0) {
      if (target === 'read') target = 'write';
      else if (target === 'readTx') target = 'writeTx';
    }
    if (target === 'write' || target === 'writeTx') {
      if (inWriteTx) throw deadlockError(sql, 'pool for the writer');
      return this.#acquireWriter(kind, sql, target === 'writeTx', options, start);
    }
    const rywOption = options?.readYourWrites ?? this.options.readYourWrites;
    // Inside a transaction callback, every earlier write has settled and later ones wait for the transaction.
    if (rywOption && !inTransaction) {
      const wait = this.barrier.wait();
      if (wait !== undefined) {
        return wait.then(() => {
          if (this.#shut) throw closedError(sql);
          return this.#acquireReader(kind, sql, target === 'readTx', options, start);
        });
      }
    }
    return this.#acquireReader(kind, sql, target === 'readTx', options, start);
  }

  /**
   * A reader for a call, at once when one is free (no promise, no microtask: the call's request goes out in this
   * tick), else a promise that resolves in arrival order.
   */
  #acquireReader(kind: OperationKind, sql: string, exclusive: boolean, options: CallOptions | undefined, start: number): Lease | Promise<Lease> {
    const watch = this.#watch(kind, sql, exclusive);
    const pending = this.readers.acquire(kind, exclusive, this.#limits(sql, options, start), watch);
    if (pending instanceof Promise) return pending.then((slot) => this.#lease(slot, this.readers, exclusive, kind, sql, watch, 0, options, start));
    return this.#lease(pending, this.readers, exclusive, kind, sql, watch, 0, options, start);
  }

  /**
   * How routing counts a call: by what earlier calls of its SQL text cost. Transactions and cursors hold their
   * connection as long as their caller wants, not as long as SQLite works: they are not counted.
   */
  #watch(kind: OperationKind, sql: string, exclusive: boolean): Watch {
    if (exclusive || kind === 'iterate') return undefined;
    return this.costs.cost(sql);
  }

  #acquireWriter(kind: OperationKind, sql: string, exclusive: boolean, options: CallOptions | undefined, start: number): Lease | Promise<Lease> {
    // Issued before any wait, so a read issued after this call waits for it under read-your-writes.
    const seq = this.barrier.issue();
    const watch = this.#watch(kind, sql, exclusive);
    let pending: Slot | Promise<Slot>;
    try {
      pending = this.writer.acquire(kind, exclusive, this.#limits(sql, options, start), watch);
    } catch (err) {
      this.barrier.settle(seq);
      throw err;
    }
    if (pending instanceof Promise) {
      return pending.then(
        (slot) => this.#lease(slot, this.writer, exclusive, kind, sql, watch, seq, options, start),
        (err: unknown) => {
          this.barrier.settle(seq);
          throw err;
        },
      );
    }
    return this.#lease(pending, this.writer, exclusive, kind, sql, watch, seq, options, start);
  }

  #limits(sql: string, options: CallOptions | undefined, start: number): WaitLimits {
    const acquireMs = this.options.acquireTimeoutMs;
    const deadline = options?.timeoutMs ?? this.options.connection.timeoutMs;
    const left = deadline === undefined ? Infinity : Math.max(1, deadline - (performance.now() - start));
    return left < acquireMs
      ? { ms: left, code: ErrorCodes.TIMEOUT, signal: options?.signal, sql }
      : { ms: acquireMs, code: PoolErrorCodes.ACQUIRE_TIMEOUT, signal: options?.signal, sql };
  }

  #lease(
    slot: Slot,
    group: ConnectionGroup,
    exclusive: boolean,
    kind: OperationKind,
    sql: string,
    watch: Watch,
    seq: number,
    options: CallOptions | undefined,
    start: number,
  ): Lease {
    const now = performance.now();
    const waitMs = now - start;
    group.acquired++;
    if (this.#observed('acquire')) this.#emit('acquire', () => ({ role: group.role, connectionId: slot.id, kind, waitMs }));
    let callOptions = options;
    // The engine counts a call's deadline from when it reaches the connection; the wait here already used part of it.
    const deadline = options?.timeoutMs;
    if (deadline !== undefined && waitMs >= 1) callOptions = { ...callOptions, timeoutMs: Math.max(1, deadline - waitMs) };
    return { slot, group, exclusive, kind, sql, watch, seq, start: now, options: callOptions, cursor: false };
  }

  /** Gives a call's connection back. A call that failed because its worker died starts the worker's replacement. */
  release(lease: Lease, error: unknown): void {
    const { slot, group } = lease;
    if (error !== undefined && isDeath(error)) this.#markDead(group, slot);
    if (lease.watch !== undefined) {
      // A connection answers in order: this call ran from when it was sent or the one before it answered, whichever
      // is later, until now (queueing behind other calls on the worker is not its cost).
      const ranMs = performance.now() - Math.max(lease.start, slot.progressAt);
      this.costs.record(lease.sql, ranMs);
    }
    group.release(slot, lease.exclusive, lease.watch);
    if (lease.seq !== 0) this.barrier.settle(lease.seq);
    if (this.#observed('release')) {
      this.#emit('release', () => ({
        role: group.role,
        connectionId: slot.id,
        kind: lease.kind,
        useMs: performance.now() - lease.start,
        error: error === undefined ? undefined : String((error as { code?: unknown } | null)?.code ?? 'ERR_UNKNOWN'),
      }));
    }
    if (this.#closing !== undefined) this.#checkDrain();
  }

  // ---- Connections: creation, replacement, reaping ----

  async #openReader(reason: CreateReason): Promise<Slot> {
    const group = this.readers;
    group.creating++;
    const start = performance.now();
    let raw: Database | undefined;
    const creation = (async () => {
      const { authorizer: _initial, ...connection } = this.options.connection;
      const authorizer = this.#authorizer;
      const resolved = resolveOptions({ ...(connection as DatabaseOptions), ...(authorizer == null ? {} : { authorizer }), readonly: true });
      const made = makeSlot(await openConnection(this.path, resolved, 'reader'), handleSettings(resolved));
      raw = made.raw;
      // Registrations made while this reader opens are picked up too: the loop reads the live list.
      for (let i = 0; i < this.#functions.length; i++) await registerOn(raw, this.#functions[i] as FunctionRegistration);
      for (const spec of this.#attached.values()) await attachOn(made, spec);
      return made;
    })();
    this.#creations.add(creation);
    let slot: Slot;
    try {
      slot = await creation;
    } catch (err) {
      await (raw as Database | undefined)?.close().catch(() => undefined);
      throw err;
    } finally {
      this.#creations.delete(creation);
      group.creating--;
    }
    if (this.#closing !== undefined) {
      await slot.raw.close();
      throw closedError('');
    }
    group.add(slot);
    this.#emit('create', () => ({ role: 'reader', connectionId: slot.id, reason, createMs: performance.now() - start }));
    return slot;
  }

  /** Opens a reader in the background; a failure is reported, and waiting reads fail when no reader can serve them. */
  #createReader(reason: CreateReason): void {
    this.#openReader(reason).catch((err: unknown) => {
      if (this.#closing !== undefined) return;
      this.#warn('create', err);
      const group = this.readers;
      if (group.slots.length === 0 && group.creating === 0) group.rejectAll(err);
    });
  }

  /** Opens a reader when calls wait and the pool may grow. */
  #grow(): void {
    const group = this.readers;
    if (this.#closing !== undefined) return;
    if (group.slots.length + group.creating < group.max && group.pending > group.creating) this.#createReader('demand');
  }

  /**
   * A call found its worker dead. The engine starts a new worker (with the same pragmas and functions) on the next
   * request; the pool sends that request itself, a `SELECT 1`, before giving the connection to anyone.
   */
  #markDead(group: ConnectionGroup, slot: Slot): void {
    if (slot.state !== 'ready') return;
    slot.state = 'recovering';
    group.destroyed++;
    this.#emit('destroy', () => ({ role: slot.role, connectionId: slot.id, reason: 'died', lifetimeMs: performance.now() - slot.createdAt }));
    slot.running++;
    const start = performance.now();
    slot.raw.get('SELECT 1').then(
      () => {
        if (slot.state !== 'recovering') return;
        slot.state = 'ready';
        group.created++;
        this.#emit('create', () => ({ role: slot.role, connectionId: slot.id, reason: 'replace', createMs: performance.now() - start }));
        this.diagnostics.replaced(slot, start - slot.createdAt);
      },
      (err: unknown) => {
        this.#warn('recover', err);
        if (slot.role === 'writer') {
          // There is no other writer to fall back on: calls will retry the engine's respawn themselves.
          if (slot.state === 'recovering') slot.state = 'ready';
          return;
        }
        this.#destroy(group, slot, 'failed');
        if (group.pending > 0) this.#grow();
      },
    ).finally(() => this.#releaseInternal(group, slot));
  }

  /** Gives back a connection held by one of the pool's own calls (recovery, ping, checkpoint). */
  #releaseInternal(group: ConnectionGroup, slot: Slot): void {
    group.release(slot, false);
    if (this.#closing !== undefined) this.#checkDrain();
  }

  #destroy(group: ConnectionGroup, slot: Slot, reason: DestroyReason): void {
    if (slot.state === 'closed') return;
    // A dead worker whose replacement failed was already counted and reported when it died.
    const reported = slot.state === 'recovering';
    slot.state = 'closed';
    group.remove(slot, !reported);
    if (!reported) {
      this.#emit('destroy', () => ({ role: slot.role, connectionId: slot.id, reason, lifetimeMs: performance.now() - slot.createdAt }));
    }
    slot.raw.close().catch((err: unknown) => this.#warn('close', err));
  }

  /** Closes an idle reader past its lifetime and opens a new one in its place (for the diagnostics). */
  async #renewReader(slot: Slot): Promise<Slot> {
    this.#destroy(this.readers, slot, 'lifetime');
    return this.#openReader('lifetime');
  }

  /** Opens a writer connection as `create()` does, with the functions and authorizer registered since. */
  async #openWriter(): Promise<Slot> {
    const start = performance.now();
    const { authorizer: _initial, ...connection } = this.options.connection;
    const authorizer = this.#authorizer;
    const resolved = resolveOptions({
      ...(connection as DatabaseOptions),
      ...(authorizer == null ? {} : { authorizer }),
      journalMode: 'wal',
      pragmas: [...this.options.connection.pragmas, `journal_size_limit = ${this.options.journalSizeLimit}`],
    });
    const slot = makeSlot(await openConnection(this.path, resolved, 'writer'), handleSettings(resolved));
    try {
      for (let i = 0; i < this.#functions.length; i++) await registerOn(slot.raw, this.#functions[i] as FunctionRegistration);
    } catch (err) {
      await slot.raw.close().catch(() => undefined);
      throw err;
    }
    this.#creating.set(slot, performance.now() - start);
    return slot;
  }

  readonly #creating = new WeakMap<Slot, number>();

  /** Puts a new writer in place of an idle old one, then closes the old one. */
  #swapWriter(old: Slot, next: Slot): void {
    old.state = 'closed';
    this.writer.remove(old);
    this.#emit('destroy', () => ({ role: 'writer', connectionId: old.id, reason: 'lifetime', lifetimeMs: performance.now() - old.createdAt }));
    this.writer.add(next);
    this.#emit('create', () => ({ role: 'writer', connectionId: next.id, reason: 'lifetime', createMs: this.#creating.get(next) ?? 0 }));
    old.raw.close().catch((err: unknown) => this.#warn('close', err));
  }

  // ---- Functions ----

  /** Registers a function or aggregate on the writer, every reader, and every reader opened later. */
  async register(spec: FunctionRegistration): Promise<void> {
    if (this.#closing !== undefined) throw closedError('');
    // The writer first: a module that cannot load fails here, before any reader has it.
    await registerOn(this.writerSlot.raw, spec);
    const readers = [...this.readers.slots];
    this.#functions.push(Object.freeze({ ...spec }));
    await Promise.all(readers.map((slot) => registerOn(slot.raw, spec)));
  }

  /** Attachments made with `attach()` since the pool opened, replayed on every reader opened later. */
  readonly #attached = new Map<string, AttachSpec>();

  /** Attaches a database on the writer, every reader, and every reader opened later. */
  async attach(spec: AttachSpec): Promise<void> {
    if (this.#closing !== undefined) throw closedError('');
    // The writer first: a path that cannot be attached fails here, before any reader has it.
    await attachOn(this.writerSlot, spec);
    this.#attached.set(spec.alias.toLowerCase(), spec);
    await Promise.all([...this.readers.slots].map((slot) => attachOn(slot, spec)));
  }

  /** Detaches a database from every connection. */
  async detach(alias: string): Promise<void> {
    if (this.#closing !== undefined) throw closedError('');
    await detachOn(this.writerSlot, alias);
    this.#attached.delete(alias.toLowerCase());
    await Promise.all([...this.readers.slots].map((slot) => detachOn(slot, alias)));
  }

  /** Installs (or removes) an authorizer on the writer, every reader, and every reader opened later. */
  async setAuthorizer(rules: AuthorizerRules | null): Promise<void> {
    if (this.#closing !== undefined) throw closedError('');
    await this.writerSlot.raw.authorizer(rules);
    const readers = [...this.readers.slots];
    this.#authorizer = rules;
    await Promise.all(readers.map((slot) => slot.raw.authorizer(rules)));
    // Routing learned under other rules may no longer hold (a statement that failed to prepare now may not).
    this.routes.clear();
  }

  /** Interrupts the statement running on every connection; true when at least one was stopped. */
  interrupt(error: RapsqliteError): boolean {
    let any = false;
    for (const group of [this.writer, this.readers]) for (const slot of group.slots) if (slot.connection.interrupt(error)) any = true;
    return any;
  }

  // ---- Maintenance ----

  async #tick(): Promise<void> {
    if (this.#ticking || this.#closing !== undefined) return;
    this.#ticking = true;
    try {
      this.#reap();
      this.#keepAlive();
      this.diagnostics.tick();
      await this.wal.tick(this.#walContext()).catch((err: unknown) => this.#warn('checkpoint', err));
    } finally {
      this.#ticking = false;
    }
  }

  #reap(): void {
    const group = this.readers;
    const now = performance.now();
    for (let i = group.slots.length - 1; i >= 0 && group.slots.length > group.min; i--) {
      const slot = group.slots[i] as Slot;
      if (slot.state === 'ready' && slot.running === 0 && now - slot.idleSince >= this.options.idleTimeoutMs) this.#destroy(group, slot, 'idle');
    }
    while (group.slots.length + group.creating < group.min) this.#createReader('minimum');
  }

  #keepAlive(): void {
    const every = this.options.keepAliveMs;
    if (every === 0) return;
    const now = performance.now();
    for (const group of [this.writer, this.readers]) {
      for (const slot of group.slots) {
        // 10 % jitter, so that connections opened together are not all pinged together.
        if (now - slot.lastActive < every * (0.9 + Math.random() * 0.1)) continue;
        const idleSince = slot.idleSince;
        if (!group.takeIdle(slot)) continue;
        slot.raw.get('SELECT 1').then(
          () => undefined,
          (err: unknown) => {
            if (isDeath(err)) this.#markDead(group, slot);
            else this.#warn('keepAlive', err);
          },
        ).finally(() => {
          this.#releaseInternal(group, slot);
          // A ping is not use: it must not keep an idle reader from being reaped.
          slot.idleSince = idleSince;
        });
      }
    }
  }

  #walContext() {
    const writer = this.writer;
    const slot = this.writerSlot;
    let busyReaders = 0;
    let longestReadMs = 0;
    const now = performance.now();
    for (const reader of this.readers.slots) {
      if (reader.running === 0) continue;
      busyReaders++;
      longestReadMs = Math.max(longestReadMs, now - reader.busySince);
    }
    return {
      writer: slot.raw,
      takeWriter: () => (writer.pending === 0 && writer.takeIdle(slot) ? () => this.#releaseInternal(writer, slot) : undefined),
      writerFree: !slot.exclusive,
      readersIdle: busyReaders === 0 && this.readers.pending === 0,
      writes: this.barrier.issued,
      busyReaders,
      longestReadMs,
    };
  }

  /** Runs a checkpoint now, queued behind the writer's earlier calls. */
  async checkpoint(mode: CheckpointMode): Promise<CheckpointResult> {
    const lease = await this.acquire('run', `PRAGMA wal_checkpoint(${mode.toUpperCase()})`, 'write', undefined);
    let error: unknown;
    try {
      return await this.wal.checkpoint(lease.slot.raw, mode, 'manual', this.barrier.issued);
    } catch (err) {
      error = err;
      throw err;
    } finally {
      this.release(lease, error);
    }
  }

  // ---- Observability ----

  on<E extends PoolEventName>(event: E, listener: (payload: PoolEventMap[E]) => void): void {
    this.#emitter.on(event, listener);
  }

  once<E extends PoolEventName>(event: E, listener: (payload: PoolEventMap[E]) => void): void {
    this.#emitter.once(event, listener);
  }

  off<E extends PoolEventName>(event: E, listener: (payload: PoolEventMap[E]) => void): void {
    this.#emitter.off(event, listener);
  }

  /** Emits an event; the payload is built only when someone listens, and a listener's throw never reaches the caller. */
  /**
   * Whether an event of this name has a listener or a diagnostics-channel subscriber. The events of every call
   * (`acquire`, `release`, `enqueue`) check first, so that a pool nobody watches builds no payload closures for them.
   */
  #observed(event: PoolEventName): boolean {
    let channel = this.#channels.get(event);
    if (channel === undefined) this.#channels.set(event, (channel = diagnostics.channel(`${CHANNELS.pool}${event}`)));
    return channel.hasSubscribers || this.#emitter.listenerCount(event) > 0;
  }

  readonly #channels = new Map<PoolEventName, diagnostics.Channel>();

  #emit<E extends PoolEventName>(event: E, payload: () => PoolEventMap[E]): void {
    let value: Readonly<PoolEventMap[E]> | undefined;
    const built = (): Readonly<PoolEventMap[E]> => (value ??= Object.freeze(payload()));
    try {
      // diagnostics_channel subscribers get the payload with the database's path (a process may run several pools).
      publishPoolEvent(event, () => Object.freeze({ path: this.path, ...built() }));
      if (this.#emitter.listenerCount(event) > 0) this.#emitter.emit(event, built());
    } catch (err) {
      emitRapsqliteWarning('RAPSQLITE_POOL_LISTENER_FAILURE', `A listener of the pool's "${event}" event threw: ${String((err as Error)?.message ?? err)}`, {
        type: 'RapsqlitePoolWarning',
      });
    }
  }

  #warn(task: WarningEvent['task'], error: unknown): void {
    this.#warnings++;
    this.#emit('warning', () => ({ task, error }));
  }

  stats(): PoolStats {
    return {
      writer: this.writer.stats(),
      readers: this.readers.stats(),
      wal: this.wal.stats(),
      routing: { cached: this.routes.size },
      warnings: this.#warnings,
    };
  }

  // ---- Closing ----

  /** Lets queued and running calls finish, then closes every connection (readers first, so the writer's close checkpoints). */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  #drained(): boolean {
    for (const group of [this.writer, this.readers]) {
      if (group.pending > 0) return false;
      // Open cursors do not hold up closing: closing their connection ends them, as in the engine.
      for (const slot of group.slots) if (slot.running > 0 && slot.running > this.#cursorHolds(slot)) return false;
    }
    return true;
  }

  readonly #cursors = new Map<Slot, number>();

  #cursorHolds(slot: Slot): number {
    return this.#cursors.get(slot) ?? 0;
  }

  /** Marks a lease as held by an open cursor (or no longer). */
  holdCursor(lease: Lease, holding: boolean): void {
    if (lease.cursor === holding) return;
    lease.cursor = holding;
    const count = this.#cursorHolds(lease.slot) + (holding ? 1 : -1);
    lease.slot.cursors = count;
    if (count === 0) this.#cursors.delete(lease.slot);
    else this.#cursors.set(lease.slot, count);
  }

  #checkDrain(): void {
    if (!this.#drained()) return;
    for (const wake of this.#drainWaiters.splice(0)) wake();
  }

  async #close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.diagnostics.close();
    while (!this.#drained()) await new Promise<void>((resolve) => this.#drainWaiters.push(resolve));
    this.#shut = true;
    this.writer.rejectAll(closedError(''));
    this.readers.rejectAll(closedError(''));
    await Promise.allSettled([...this.#creations]);
    const readers = [...this.readers.slots];
    await Promise.allSettled(readers.map((slot) => this.#closeSlot(this.readers, slot)));
    const writer = this.writer.slots[0];
    if (writer !== undefined) await this.#closeSlot(this.writer, writer);
  }

  async #closeSlot(group: ConnectionGroup, slot: Slot): Promise<void> {
    if (slot.state === 'closed') return;
    slot.state = 'closed';
    group.remove(slot);
    this.#emit('destroy', () => ({ role: slot.role, connectionId: slot.id, reason: 'close', lifetimeMs: performance.now() - slot.createdAt }));
    await slot.raw.close();
  }
}

/** Attaches a database on one connection, and remembers it for that connection's replacement workers. */
async function attachOn(slot: Slot, spec: AttachSpec): Promise<void> {
  const config = slot.connection.config;
  await slot.connection.execute({ kind: 'attach', sql: '', extra: { spec, readonly: config.readonly, journalMode: config.journalMode, synchronous: config.synchronous } });
  slot.connection.setAttachment(spec.alias, spec);
}

async function detachOn(slot: Slot, alias: string): Promise<void> {
  await slot.connection.execute({ kind: 'detach', sql: '', extra: alias });
  slot.connection.setAttachment(alias, undefined);
}

/** Registers a function or aggregate on one connection's handle. */
function registerOn(raw: Database, spec: FunctionRegistration): Promise<void> {
  return spec.kind === 'function' ? raw.function(spec.name, spec) : raw.aggregate(spec.name, spec);
}

