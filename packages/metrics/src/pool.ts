import type { ConnectionRole } from '@rapsqlite/engine';
import { POOL_EVENTS, type ObservablePool, type PoolEventName, type PoolEventPayload, type PoolStatsSnapshot } from '@rapsqlite/engine/plugin';

export { POOL_EVENTS };
export type { ObservablePool, PoolEventName, PoolEventPayload, PoolGroupStats, PoolStatsSnapshot } from '@rapsqlite/engine/plugin';

/** Options of the exporters' `observePool`. */
export interface ObservePoolOptions {
  /** The pool's name, the `pool` label or tag, unique within the application. Default `'sqlite'`. */
  readonly name?: string;
  /** Reads the statistics, for a pool whose `stats()` has another shape. Default: `pool.stats()`. */
  readonly stats?: (pool: ObservablePool) => PoolStatsSnapshot;
}

/** The handle the exporters' `observePool` returns: stops observing the pool. */
export interface PoolObservation extends Disposable {
  /** Removes the event listeners and stops reading the statistics. Idempotent. */
  stop(): void;
}

/** The two roles, with the statistics group of each. */
export const POOL_ROLES = [
  ['writer', (s: PoolStatsSnapshot) => s.writer],
  ['reader', (s: PoolStatsSnapshot) => s.readers],
] as const;

/** Listeners for the pool's timed events, in milliseconds. */
export interface PoolEventHandlers {
  wait(ms: number, role: ConnectionRole): void;
  use(ms: number, role: ConnectionRole): void;
  create(ms: number, role: ConnectionRole): void;
  timeout(role: ConnectionRole): void;
}

/** Subscribes `handlers` to the pool's events, each guarded so a failure is reported rather than thrown into the pool. */
export function subscribePool(
  pool: ObservablePool,
  handlers: PoolEventHandlers,
  report: (error: unknown, phase: string) => void,
): () => void {
  const roleOf = (event: PoolEventPayload | undefined): ConnectionRole => (event?.role === 'reader' ? 'reader' : 'writer');
  const timed =
    (phase: 'wait' | 'use' | 'create', pick: (event: PoolEventPayload) => number | undefined) =>
    (event: PoolEventPayload): void => {
      try {
        const ms = pick(event);
        if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) handlers[phase](ms, roleOf(event));
      } catch (err) {
        report(err, `pool ${phase}`);
      }
    };
  const listeners: Record<PoolEventName, (event: PoolEventPayload) => void> = {
    acquire: timed('wait', (e) => e.waitMs),
    release: timed('use', (e) => e.useMs),
    create: timed('create', (e) => e.createMs),
    timeout: (event) => {
      try {
        handlers.timeout(roleOf(event));
      } catch (err) {
        report(err, 'pool timeout');
      }
    },
  };
  for (const event of POOL_EVENTS) pool.on(event, listeners[event]);
  return () => {
    for (const event of POOL_EVENTS) pool.off?.(event, listeners[event]);
  };
}
