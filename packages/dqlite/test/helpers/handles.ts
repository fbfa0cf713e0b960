import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { openDqlite, type DqliteDatabase, type DqliteOptions } from '../../src/index.ts';

/** Opens a handle on a fresh database of the shared cluster. */
export function openFresh(options: DqliteOptions = {}): Promise<DqliteDatabase> {
  return openDqlite({ nodes: inject('dqliteNodes'), database: `test-${randomUUID()}`, ...options });
}

export function codeOf(error: unknown): string {
  return String((error as { code?: unknown }).code);
}

/** The rejection of `promise` (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error('expected a rejection, but the call resolved');
}
