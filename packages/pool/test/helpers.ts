import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { Middleware, Operation } from '@rapsqlite/engine';
import { createPool, type Pool, type PoolEventMap, type PoolEventName, type PoolOptions } from '../src/index.ts';

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Registers cleanup to run after the current test. */
export function onCleanup(cleanup: () => Promise<void> | void): void {
  cleanups.push(cleanup);
}

/** A fresh temporary folder, removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rapsqlite-pool-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Opens a pool on a new file in a temporary folder; closed and removed after the test. */
export async function poolTemp(options?: PoolOptions): Promise<Pool> {
  const path = join(tempDir(), 'test.db');
  const pool = await createPool(path, options);
  cleanups.push(() => pool.close());
  return pool;
}

/** What a recording middleware saw: one entry per operation, with the connection that ran it. */
export interface Seen {
  readonly kind: Operation['kind'];
  readonly sql: string;
  readonly role: string | undefined;
  readonly id: number | undefined;
}

/**
 * A middleware that records every operation and the connection it ran on. The chain runs above routing, so the
 * connection is read once `next` has settled; entries are in the order operations started.
 */
export function recorder(): { readonly middleware: Middleware; readonly seen: Seen[] } {
  const seen: Seen[] = [];
  const middleware: Middleware = {
    name: 'test:recorder',
    wrap: (next) => async (op) => {
      const entry = { kind: op.kind, sql: op.sql, role: undefined as string | undefined, id: undefined as number | undefined };
      seen.push(entry);
      try {
        return await next(op);
      } finally {
        entry.role = op.connection?.role;
        entry.id = op.connection?.id;
      }
    },
  };
  return { middleware, seen };
}

/** A promise with its resolver, to hold a connection until the test lets go. */
export function gate(): { readonly promise: Promise<void>; readonly open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Resolves with the next payload of `event` that satisfies `test`. */
export function nextEvent<E extends PoolEventName>(pool: Pool, event: E, test: (payload: PoolEventMap[E]) => boolean = () => true): Promise<PoolEventMap[E]> {
  return new Promise((resolve) => {
    const listener = (payload: PoolEventMap[E]) => {
      if (!test(payload)) return;
      pool.off(event, listener);
      resolve(payload);
    };
    pool.on(event, listener);
  });
}

/** Lets queued work run: a few turns of the event loop, without any timer. */
export async function turns(count = 5): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Waits until `condition` holds, checking every few milliseconds (a bound on hangs, not a speed assertion). */
export async function until(condition: () => boolean, what: string, limitMs = 20_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > limitMs) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export const FUNCTIONS = new URL('./fixtures/functions.js', import.meta.url);
