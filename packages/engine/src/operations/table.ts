import type { RequestKind } from '../connection/connection.ts';
import { all } from './all.ts';
import { iterClose, iterNext, iterOpen } from './cursor.ts';
import { exec } from './exec.ts';
import { get } from './get.ts';
import { inspect } from './inspect.ts';
import type { RequestHandler } from './handler.ts';
import { prepare } from './prepare.ts';
import { run } from './run.ts';
import { runMany } from './run-many.ts';
import { authorize, close, invalidate, register } from './settings.ts';
import { abortTask, attach, backup, detach, rekey, serialize } from './toolbox.ts';
import { values } from './values.ts';
import { limit, loadExtension, watchChanges } from './hooks.ts';

/**
 * Every request kind's handler. A request travels as its kind's index in this list; both threads load the same
 * list. To add a kind: write its handler in a file of this folder, add it here, and add its result type to
 * `RequestResults` (docs/architecture.md has the checklist).
 */
export const HANDLERS: readonly RequestHandler[] = [
  run,
  get,
  all,
  values,
  exec,
  runMany,
  prepare,
  iterOpen,
  iterNext,
  iterClose,
  register,
  invalidate,
  close,
  authorize,
  inspect,
  backup,
  abortTask,
  serialize,
  attach,
  detach,
  rekey,
  watchChanges,
  limit,
  loadExtension,
] as readonly RequestHandler[];

/** The wire code of each kind: its index in {@link HANDLERS}. */
export const CODES: Readonly<Record<RequestKind, number>> = Object.freeze(
  Object.fromEntries(HANDLERS.map((handler, code) => [handler.kind, code])) as Record<RequestKind, number>,
);
