import { onCleanup, openTemp } from '../helpers.ts';

/** A caught error, with whatever properties it carries (`code`, `parameter`, `column`…). */
export type CaughtError = Error & { readonly code?: string; readonly [key: string]: unknown };
import type { Database, DatabaseOptions } from '../../src/index.ts';

export { onCleanup, openTemp, tempDir } from '../helpers.ts';

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<CaughtError> {
  try {
    await promise;
  } catch (err) {
    return err as CaughtError;
  }
  throw new Error('expected a rejection');
}

/** The error a function throws (fails the test when it returns). */
export function thrown(fn: () => unknown): CaughtError {
  try {
    fn();
  } catch (err) {
    return err as CaughtError;
  }
  throw new Error('expected a throw');
}

/** A temporary database with a schema. */
export async function openWith(schema: string, options?: DatabaseOptions): Promise<Database> {
  const db = await openTemp(options);
  if (schema !== '') await db.exec(schema);
  onCleanup(() => undefined);
  return db;
}
