import type { OperationKind } from '@rapsqlite/engine';
import { emitRapsqliteWarning, SqlMemo } from '@rapsqlite/engine/plugin';
import { summarizeSql } from '@rapsqlite/engine/sql';
import type { PoolEventMap, PoolEventName } from '../events.ts';
import type { ConnectionGroup, Slot } from '../internal/connection-group.ts';
import type { Lease } from '../internal/pool-core.ts';
import type { ResolvedPoolOptions } from '../pool-options.ts';
import type { WalStats } from '../stats.ts';
import type { ConnectionDiagnosis, GroupDiagnosis, HeldCall, PoolDiagnosis } from './diagnosis.ts';

/** What the diagnostics need from the pool's core: its groups, its events, and the means to replace a connection. */
export interface DiagnosticsHost {
  readonly path: string;
  readonly options: ResolvedPoolOptions;
  readonly writer: ConnectionGroup;
  readonly readers: ConnectionGroup;
  isClosing(): boolean;
  walStats(): WalStats;
  emit<E extends PoolEventName>(event: E, payload: () => PoolEventMap[E]): void;
  listens(event: PoolEventName): boolean;
  /** Handles a worker found dead: replaces it (the pool's recovery, which emits `destroy`/`create`). */
  recover(group: ConnectionGroup, slot: Slot): void;
  /** Closes an idle reader for good (reason `'lifetime'`) and opens another; resolves with the new one. */
  renewReader(slot: Slot): Promise<Slot>;
  /** Opens a new writer connection (functions and authorizer applied), not yet in the pool. */
  openWriter(): Promise<Slot>;
  /** Puts `next` in place of the writer `old`, which must be idle, and closes `old` (reason `'lifetime'`). */
  swapWriter(old: Slot, next: Slot): void;
  /** Closes a connection that never joined the pool. */
  discard(slot: Slot): void;
}

/** A lease being watched: what it runs, since when, and (with leak detection) where it was opened. */
interface Watched {
  readonly lease: Lease;
  readonly kind: OperationKind;
  readonly sql: string;
  readonly since: number;
  readonly stack: string | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  leaked: boolean;
}

/** Lines of a stack that belong to rapsqlite itself, dropped from a leak's report. */
const LIBRARY_FRAME = /[\\/](?:@rapsqlite[\\/](?:engine|pool)|packages[\\/](?:engine|pool)[\\/](?:src|dist))[\\/]|node:internal/;

/** Jitter of `maxLifetimeMs`: a connection is retired up to this share early (HikariCP's 2.5 %). */
const LIFETIME_JITTER = 0.025;

const summaries = new SqlMemo<string>(summarizeSql);

/**
 * The pool's diagnostics: leak detection for transactions and `iterate` loops held too long, `maxLifetimeMs` with
 * jitter, the `replace` event when a worker is replaced, and the {@link PoolDiagnosis} snapshot.
 */
export class PoolDiagnostics {
  readonly #host: DiagnosticsHost;
  readonly #leakMs: number;
  readonly #lifetimeMs: number;
  readonly #watched = new Map<Lease, Watched>();
  readonly #deadlines = new WeakMap<Slot, number>();
  readonly #generations = new WeakMap<Slot, number>();
  #leaks = 0;
  #replacements = 0;
  /** The new writer being opened to replace an old one. */
  #nextWriter: Promise<Slot> | undefined;
  #renewing = false;

  constructor(host: DiagnosticsHost) {
    this.#host = host;
    this.#leakMs = host.options.leakDetectionMs;
    this.#lifetimeMs = host.options.maxLifetimeMs;
  }

  /**
   * The stack of the call taking a connection, when it may leak one (a transaction or a cursor) and leak detection
   * is on. Called synchronously from the provider's `acquire`, so the application's frames are still on the stack.
   */
  captureStack(kind: OperationKind, exclusive: boolean): string | undefined {
    if (this.#leakMs === 0 || (!exclusive && kind !== 'iterate')) return undefined;
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 40;
    const raw = new Error('Connection taken here').stack ?? '';
    Error.stackTraceLimit = limit;
    const lines = raw.split('\n');
    const frames = lines.slice(1).filter((line) => !LIBRARY_FRAME.test(line));
    return [lines[0], ...frames].join('\n');
  }

  /** Follows a lease from the moment it got its connection until it gives it back. */
  watch(lease: Lease, kind: OperationKind, sql: string, stack: string | undefined): void {
    const watched: Watched = { lease, kind, sql, since: performance.now(), stack, timer: undefined, leaked: false };
    if (stack !== undefined) {
      watched.timer = setTimeout(() => this.#reportLeak(watched), this.#leakMs);
      watched.timer.unref();
    }
    this.#watched.set(lease, watched);
  }

  unwatch(lease: Lease): void {
    const watched = this.#watched.get(lease);
    if (watched === undefined) return;
    if (watched.timer !== undefined) clearTimeout(watched.timer);
    this.#watched.delete(lease);
  }

  #reportLeak(watched: Watched): void {
    watched.timer = undefined;
    if (!this.#watched.has(watched.lease)) return;
    watched.leaked = true;
    this.#leaks++;
    const slot = watched.lease.slot;
    const payload = (): PoolEventMap['leak'] => ({
      role: slot.role,
      connectionId: slot.id,
      kind: watched.kind,
      summary: summaries.get(watched.sql),
      heldMs: performance.now() - watched.since,
      stack: watched.stack ?? '',
    });
    if (this.#host.listens('leak')) {
      this.#host.emit('leak', payload);
      return;
    }
    const event = payload();
    emitRapsqliteWarning(
      'RAPSQLITE_POOL_LEAK',
      `A ${event.kind} has held a ${event.role} connection of ${this.#host.path} for ${Math.round(event.heldMs)} ms (leakDetectionMs ${this.#leakMs}); it was opened at:\n${event.stack}`,
      { type: 'RapsqlitePoolWarning' },
    );
  }

  /** A worker found dead was replaced by the pool's recovery: the `replace` event, and its generation noted. */
  replaced(slot: Slot, lifetimeMs: number): void {
    this.#generations.set(slot, slot.connection.generation);
    this.#replacements++;
    this.#host.emit('replace', () => ({ role: slot.role, connectionId: slot.id, newConnectionId: slot.id, reason: 'died', lifetimeMs }));
  }

  /** Each maintenance tick: workers that died idle, and connections past their lifetime. */
  tick(): void {
    const host = this.#host;
    if (host.isClosing()) return;
    const now = performance.now();
    for (const group of [host.writer, host.readers]) {
      for (const slot of group.slots) {
        const generation = slot.connection.generation;
        const known = this.#generations.get(slot);
        if (known === undefined) this.#generations.set(slot, generation);
        else if (generation !== known && slot.state === 'ready') {
          // Its worker ended while nobody used it (the engine would only restart it on the next call).
          this.#generations.set(slot, generation);
          host.recover(group, slot);
        }
      }
    }
    if (this.#lifetimeMs === 0) return;
    this.#retireReader(now);
    this.#retireWriter(now);
  }

  #deadline(slot: Slot): number {
    let deadline = this.#deadlines.get(slot);
    if (deadline === undefined) {
      deadline = slot.createdAt + this.#lifetimeMs * (1 - Math.random() * LIFETIME_JITTER);
      this.#deadlines.set(slot, deadline);
    }
    return deadline;
  }

  static #idle(slot: Slot): boolean {
    return slot.state === 'ready' && slot.running === 0 && !slot.exclusive;
  }

  /** One reader at a time, so the pool's capacity dips by one connection at most. */
  #retireReader(now: number): void {
    if (this.#renewing) return;
    const slot = this.#host.readers.slots.find((s) => PoolDiagnostics.#idle(s) && this.#deadline(s) <= now);
    if (slot === undefined) return;
    this.#renewing = true;
    const lifetimeMs = now - slot.createdAt;
    this.#host.renewReader(slot).then(
      (next) => {
        this.#renewing = false;
        this.#replacements++;
        this.#host.emit('replace', () => ({ role: 'reader', connectionId: slot.id, newConnectionId: next.id, reason: 'lifetime', lifetimeMs }));
      },
      () => {
        // The pool reported the failure (a `warning` event) and opens readers on demand.
        this.#renewing = false;
      },
    );
  }

  /** The writer is opened anew beside the old one, and swapped in at a tick where the old one is idle. */
  #retireWriter(now: number): void {
    const host = this.#host;
    const old = host.writer.slots[0];
    if (old === undefined || this.#deadline(old) > now) return;
    if (this.#nextWriter === undefined) {
      const opening = host.openWriter();
      this.#nextWriter = opening;
      opening.then(
        () => {
          if (this.#nextWriter === opening) this.#retireWriter(performance.now());
        },
        () => {
          if (this.#nextWriter === opening) this.#nextWriter = undefined;
        },
      );
      return;
    }
    void this.#nextWriter.then((next) => {
      const current = host.writer.slots[0];
      if (current !== old || host.isClosing()) {
        if (this.#nextWriter !== undefined && host.isClosing()) {
          this.#nextWriter = undefined;
          host.discard(next);
        }
        return;
      }
      if (!PoolDiagnostics.#idle(old) || host.writer.pending > 0) return;
      this.#nextWriter = undefined;
      host.swapWriter(old, next);
      this.#replacements++;
      host.emit('replace', () => ({ role: 'writer', connectionId: old.id, newConnectionId: next.id, reason: 'lifetime', lifetimeMs: performance.now() - old.createdAt }));
    });
  }

  /** Closes a writer opened for a swap that will not happen (the pool closes). */
  async close(): Promise<void> {
    const pending = this.#nextWriter;
    this.#nextWriter = undefined;
    if (pending !== undefined) await pending.then((slot) => this.#host.discard(slot), () => undefined);
    for (const watched of this.#watched.values()) if (watched.timer !== undefined) clearTimeout(watched.timer);
  }

  /** The snapshot `pool.diagnose()` returns. */
  diagnose(): PoolDiagnosis {
    const host = this.#host;
    const now = performance.now();
    const calls = new Map<Slot, HeldCall[]>();
    let openLeaks = 0;
    for (const watched of this.#watched.values()) {
      if (watched.leaked) openLeaks++;
      const list = calls.get(watched.lease.slot) ?? [];
      list.push(Object.freeze({ kind: watched.kind, summary: summaries.get(watched.sql), heldMs: now - watched.since, leaked: watched.leaked }));
      calls.set(watched.lease.slot, list);
    }
    const group = (g: ConnectionGroup): GroupDiagnosis => {
      const stats = g.stats();
      return Object.freeze({
        connections: Object.freeze(
          g.slots.map(
            (slot): ConnectionDiagnosis =>
              Object.freeze({
                role: slot.role,
                connectionId: slot.id,
                state: slot.state === 'recovering' ? 'recovering' : slot.exclusive ? 'transaction' : slot.running > 0 ? 'busy' : 'idle',
                generation: slot.connection.generation,
                running: slot.running,
                requests: slot.connection.requests,
                ageMs: now - slot.createdAt,
                stateMs: now - (slot.running > 0 ? slot.busySince : slot.idleSince),
                retiresInMs: this.#lifetimeMs === 0 ? undefined : Math.max(0, this.#deadline(slot) - now),
                calls: Object.freeze(calls.get(slot) ?? []),
              }),
          ),
        ),
        creating: stats.creating,
        pending: stats.pending,
        oldestWaitMs: stats.maxWaitMs,
      });
    };
    return Object.freeze({
      takenAt: Date.now(),
      path: host.path,
      closing: host.isClosing(),
      writer: group(host.writer),
      readers: group(host.readers),
      wal: host.walStats(),
      leaks: Object.freeze({ reported: this.#leaks, open: openLeaks }),
      replacements: this.#replacements,
    });
  }
}
