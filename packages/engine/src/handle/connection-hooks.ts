import type { Connection } from '../connection/connection.ts';
import { abortedError, invalidArgument, unsupportedError } from '../errors/catalogue.ts';
import { ErrorCodes } from '../errors/codes.ts';
import { hasErrorCode } from '../errors/rapsqlite-error.ts';
import { emitRapsqliteWarning } from '../errors/warnings.ts';
import type { ExtensionSpec } from '../worker/tools/extensions.ts';
import type { WorkerConfig } from '../worker/protocol.ts';

/** A row that an INSERT, UPDATE or DELETE changed, as SQLite's update hook reports it: see {@link Database.onChange}. */
export interface ChangeEvent {
  /** What happened to the row. */
  readonly type: 'insert' | 'update' | 'delete';
  /** The schema: `'main'`, `'temp'` or an attached database's alias. */
  readonly database: string;
  /** The table. */
  readonly table: string;
  /** The row's rowid: a number, or a bigint beyond ±(2^53−1) so it is never silently wrong. */
  readonly rowid: number | bigint;
}

/** Receives the changes {@link Database.onChange} reports, one call per changed row, on your thread. */
export type ChangeListener = (change: ChangeEvent) => void;

/** Stops a subscription made with {@link Database.onChange}; resolves once the worker has removed its hook. */
export type Unsubscribe = () => Promise<void>;

/**
 * SQLite's limit categories (`SQLITE_LIMIT_*`), for {@link Database.limit}.
 *
 * @example
 * ```ts
 * await db.limit(SqliteLimit.LENGTH, 1_000_000); // strings and blobs of at most 1 MB
 * ```
 */
export const SqliteLimit = Object.freeze({
  LENGTH: 0,
  SQL_LENGTH: 1,
  COLUMN: 2,
  EXPR_DEPTH: 3,
  COMPOUND_SELECT: 4,
  VDBE_OP: 5,
  FUNCTION_ARG: 6,
  ATTACHED: 7,
  LIKE_PATTERN_LENGTH: 8,
  VARIABLE_NUMBER: 9,
  TRIGGER_DEPTH: 10,
  WORKER_THREADS: 11,
} as const);

const TYPES = [undefined, 'insert', 'update', 'delete'] as const;

/** Calls the listener for each change of a partial answer (a flat [op, database, table, rowid, …] array). */
function dispatch(listener: ChangeListener, flat: readonly unknown[]): void {
  for (let i = 0; i < flat.length; i += 4) {
    const type = TYPES[flat[i] as number];
    if (type === undefined) {
      emitRapsqliteWarning('RAPSQLITE_CHANGES_LOST', `${String(flat[i + 3])} row changes could not be recorded for onChange() listeners (the worker ran out of memory)`);
      continue;
    }
    try {
      listener({ type, database: flat[i + 1] as string, table: flat[i + 2] as string, rowid: flat[i + 3] as number | bigint });
    } catch (err) {
      // As an event listener's throw would: uncaught, not swallowed, and the other changes are still delivered.
      queueMicrotask(() => {
        throw err;
      });
    }
  }
}

/** Subscribes `listener` to the changes made on `connection`; resolves once the update hook is installed. */
export async function subscribeChanges(connection: Connection, listener: ChangeListener): Promise<Unsubscribe> {
  if (typeof listener !== 'function') throw invalidArgument('onChange() takes a listener function');
  let active = true;
  let ticket = { id: 0, cancelled: undefined };
  let running: Promise<void>;
  const start = (ready: () => void): void => {
    ticket = { id: 0, cancelled: undefined };
    running = connection.execute({
      kind: 'watchChanges',
      sql: '',
      ticket,
      onPartial: (payload) => {
        if (payload === 0) ready();
        else if (active) dispatch(listener, payload as unknown[]);
      },
    });
    // A replacement worker takes the subscription over by itself, except when the worker died inside a transaction
    // (nothing of it is sent again): the subscription then starts anew on the next worker.
    running.catch((err: unknown) => {
      if (active && !connection.closed && hasErrorCode(err, ErrorCodes.WORKER_DIED)) start(() => undefined);
    });
  };
  let installed!: () => void;
  const ready = new Promise<void>((resolve) => (installed = resolve));
  start(installed);
  // It fails (the companion is missing) before it is installed, or ends when the subscription or the database does.
  await Promise.race([ready, running!]);
  return async () => {
    if (!active) return;
    active = false;
    connection.cancel(ticket, abortedError('onChange() unsubscribed'));
    await running.catch(() => undefined);
  };
}

/** The replayable configuration of a worker connection (what replacement workers open with), if it is one. */
function replayed(connection: Connection): { limits?: WorkerConfig['limits']; extensions: WorkerConfig['extensions'] } | undefined {
  return (connection as Connection & { config?: WorkerConfig }).config;
}

/** `db.limit()` on one connection; the limit is replayed on replacement workers. */
export async function setLimit(connection: Connection, id: number, value: number | undefined): Promise<number> {
  if (!Number.isInteger(id) || id < 0 || id > 1000) throw invalidArgument('limit() takes a limit id (see SqliteLimit)');
  if (value !== undefined && (!Number.isInteger(value) || value < 0 || value > 0x7fffffff)) {
    throw invalidArgument('A limit is an integer from 0 to 2147483647');
  }
  const previous = await connection.execute({ kind: 'limit', sql: '', extra: [id, value ?? -1] });
  if (previous < 0) throw invalidArgument(`SQLite has no limit with id ${id}`);
  const config = replayed(connection);
  if (value !== undefined && config !== undefined) {
    config.limits = [...(config.limits ?? []).filter(([known]) => known !== id), [id, value]];
  }
  return previous;
}

/** `db.loadExtension()` on one connection; the extension is loaded again on replacement workers. */
export async function loadExtensionOn(connection: Connection, path: string, entryPoint: string | undefined): Promise<void> {
  if (typeof path !== 'string' || path === '') throw invalidArgument('loadExtension() takes the path of a shared library');
  if (entryPoint !== undefined && (typeof entryPoint !== 'string' || entryPoint === '')) throw invalidArgument('An entry point is a function name');
  const spec: ExtensionSpec = entryPoint === undefined ? { path } : { path, entryPoint };
  await connection.execute({ kind: 'loadExtension', sql: '', extra: spec });
  const config = replayed(connection);
  if (config !== undefined) (config as { extensions: readonly ExtensionSpec[] }).extensions = [...config.extensions, spec];
}

/** The error for a per-connection call on a provider that routes calls to several connections (a pool). */
export function routedError(what: string): Error {
  return unsupportedError(`${what} applies to a single database (open()), not to a pool`);
}
