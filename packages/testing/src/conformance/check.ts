import assert from 'node:assert/strict';
import type { ConformanceHandle } from './define-conformance-suite.ts';

/** What a check gets: a fresh handle, its folder, and a way to open more handles on the same file. */
export interface CheckContext {
  readonly handle: ConformanceHandle;
  readonly dir: string;
  /** Opens another handle through the factory, on the same folder; the suite closes it after the check. */
  readonly open: () => Promise<ConformanceHandle>;
}

/** One behaviour of the query API. */
export interface ConformanceCheck {
  readonly name: string;
  readonly run: (ctx: CheckContext) => Promise<void>;
}

/** Asserts that `promise` rejects with an error whose `code` is `code`, and returns that error. */
export async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<Error & Record<string, unknown>> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught !== undefined, `expected a rejection with code ${code}, but the call resolved`);
  assert.ok(caught instanceof Error, `expected an Error with code ${code}, got ${String(caught)}`);
  assert.equal((caught as { code?: unknown }).code, code, `expected code ${code}, got ${String((caught as { code?: unknown }).code)}: ${caught.message}`);
  return caught as Error & Record<string, unknown>;
}

/** Lets queued work run: a few turns of the event loop, without any timer. */
export async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** The standard table most checks use. */
export const ITEMS_SCHEMA = 'CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, qty INTEGER, data BLOB)';
