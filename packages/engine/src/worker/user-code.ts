/**
 * User code in the worker: functions and aggregates registered by module, and the `init` module. What it throws is
 * marked, so that only its errors are reported as `ERR_RAPSQLITE_USER_FUNCTION`.
 */
import type { FunctionRegistration } from '../connection/connection.ts';
import { ErrorCodes } from '../errors/codes.ts';
import type { DriverDatabase } from './driver.ts';
import type { WorkerSession } from './session.ts';
import { WorkerError } from './worker-error.ts';

const USER_ERROR = Symbol('rapsqlite.userError');

/** Marks `err` as thrown by user code (a non-object is wrapped in an Error first). */
export function userError(err: unknown): unknown {
  const error = typeof err === 'object' && err !== null ? err : new Error(String(err));
  try {
    Object.defineProperty(error, USER_ERROR, { value: true });
  } catch {
    // A frozen object cannot be marked: it is reported as an internal failure rather than lost.
  }
  return error;
}

/** True when `err` was thrown by user code. */
export function isUserError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && USER_ERROR in err;
}

/** Wraps user code so that what it throws is known to come from it. */
function asUserCode(fn: unknown): unknown {
  if (typeof fn !== 'function') return fn;
  const target = fn as (...args: unknown[]) => unknown;
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    try {
      return target.apply(this, args);
    } catch (err) {
      throw userError(err);
    }
  };
  // better-sqlite3 takes a function's arity from its `length`.
  Object.defineProperty(wrapped, 'length', { value: target.length });
  return wrapped;
}

async function importExport(module: string, name: string): Promise<unknown> {
  try {
    return ((await import(module)) as Record<string, unknown>)[name];
  } catch (err) {
    throw new WorkerError(ErrorCodes.FUNCTION_LOAD, `Cannot import ${module}: ${(err as Error).message}`);
  }
}

/** Imports a user function or aggregate and registers it on the session's connection. */
export async function registerFunction(session: WorkerSession, spec: FunctionRegistration): Promise<void> {
  const target = await importExport(spec.module, spec.export);
  const db = session.db;
  // The connection reads integers as bigints (to convert them exactly); arguments follow the registration's choice.
  const options: Record<string, unknown> = { safeIntegers: spec.bigintArguments };
  if (spec.deterministic !== undefined) options['deterministic'] = spec.deterministic;
  if (spec.varargs !== undefined) options['varargs'] = spec.varargs;
  if (spec.directOnly !== undefined) options['directOnly'] = spec.directOnly;
  if (spec.kind === 'aggregate') {
    if (typeof target !== 'object' || target === null || typeof (target as { step?: unknown }).step !== 'function') {
      throw new WorkerError(ErrorCodes.FUNCTION_LOAD, `${spec.module} export "${spec.export}" is not an aggregate ({ start?, step, inverse?, result? })`);
    }
    const aggregate = target as Record<string, unknown>;
    const wrapped: Record<string, unknown> = { ...aggregate, ...options };
    for (const key of ['start', 'step', 'inverse', 'result']) if (typeof aggregate[key] === 'function') wrapped[key] = asUserCode(aggregate[key]);
    db.aggregate(spec.name, wrapped);
    return;
  }
  if (typeof target !== 'function') throw new WorkerError(ErrorCodes.FUNCTION_LOAD, `${spec.module} has no function export "${spec.export}"`);
  const fn = asUserCode(target) as (...args: unknown[]) => unknown;
  if (spec.innocuous !== true) {
    db.function(spec.name, options, fn);
    return;
  }
  const companion = session.companion;
  if (companion === undefined) throw new WorkerError(ErrorCodes.UNSUPPORTED, 'An innocuous function needs the native companion, which is not available');
  // better-sqlite3 cannot mark a function innocuous: it registers the JavaScript under an internal name, and the
  // companion registers the public name as an innocuous function that calls it.
  const impl = `rapsqlite_innocuous_${spec.name}`;
  db.function(impl, options, fn);
  const arity = spec.varargs === true ? -1 : (target as (...args: unknown[]) => unknown).length;
  companion.registerInnocuous(session.slot, spec.name, impl, arity, spec.deterministic === true);
}

/** Calls the `init` option's module export with the new connection. */
export async function runInitModule(db: DriverDatabase, source: { readonly module: string; readonly export: string }, info: { path: string; readonly: boolean }): Promise<void> {
  const target = await importExport(source.module, source.export);
  if (typeof target !== 'function') throw new WorkerError(ErrorCodes.FUNCTION_LOAD, `${source.module} has no function export "${source.export}"`);
  const connection = Object.freeze({
    path: info.path,
    readonly: info.readonly,
    exec: (sql: string): void => void db.exec(sql),
    all: (sql: string, ...params: unknown[]) => db.prepare(sql).all(...params) as Array<Record<string, unknown>>,
    run: (sql: string, ...params: unknown[]): void => void db.prepare(sql).run(...params),
  });
  try {
    await (target as (connection: unknown) => unknown)(connection);
  } catch (err) {
    throw userError(err);
  }
}
