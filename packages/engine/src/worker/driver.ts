import { createRequire } from 'node:module';

/**
 * The part of better-sqlite3 the worker uses, typed structurally (as kysely does) so that no driver type leaks
 * into rapsqlite's public API.
 */
export interface DriverStatement {
  readonly reader: boolean;
  readonly readonly: boolean;
  readonly busy: boolean;
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
  raw(toggle?: boolean): this;
  pluck(toggle?: boolean): this;
  safeIntegers(toggle?: boolean): this;
  columns(): Array<{ name: string; column: string | null; table: string | null; database: string | null; type: string | null }>;
}

export interface DriverDatabase {
  readonly inTransaction: boolean;
  prepare(sql: string): DriverStatement;
  exec(sql: string): unknown;
  close(): unknown;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  defaultSafeIntegers(toggle?: boolean): unknown;
  unsafeMode(toggle?: boolean): unknown;
  loadExtension(path: string, entryPoint?: string): unknown;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): ((...args: A) => R) & { immediate: (...args: A) => R };
  function(name: string, options: Record<string, unknown>, fn: (...args: unknown[]) => unknown): unknown;
  aggregate(name: string, options: Record<string, unknown>): unknown;
}

export type DriverConstructor = new (
  path: string,
  options: { readonly?: boolean; timeout?: number; fileMustExist?: boolean },
) => DriverDatabase;

/** Loads better-sqlite3. It is CommonJS; `createRequire` avoids interop differences between loaders. */
export function loadDriver(): DriverConstructor {
  return createRequire(import.meta.url)('better-sqlite3') as DriverConstructor;
}
