import { SingleConnectionProvider } from './connection/single-provider.ts';
import { WorkerConnection } from './connection/worker-connection.ts';
import { emitRapsqliteWarning } from './errors/warnings.ts';
import { ErrorCodes } from './errors/codes.ts';
import { RapsqliteError } from './errors/rapsqlite-error.ts';
import { Database } from './handle/database.ts';
import { checkRuntime } from './handle/runtime.ts';
import type { ConnectionRole } from './middleware/operation.ts';
import { companionUnavailableReason, loadCompanion } from './native/companion.ts';
import { resolveOptions, type DatabaseOptions, type ResolvedOptions } from './options.ts';

/**
 * Opens a database — a file path, `':memory:'`, or the bytes of a database (`db.serialize()`'s, a file's) which then
 * open as a private in-memory database, read-only with `readonly: true` — and starts a worker thread that owns one better-sqlite3 connection, applies the settings (WAL,
 * `synchronous`, `trusted_schema = OFF`, foreign keys, your pragmas) and resolves when it is ready.
 * `':memory:'` opens a private in-memory database.
 *
 * @example
 * ```ts
 * import { open } from '@rapsqlite/engine';
 *
 * await using db = await open('app.db');
 * await db.exec('CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT NOT NULL)');
 * await db.run('INSERT INTO users (name) VALUES (?)', ['Ada']);
 * const users = await db.all<{ id: number; name: string }>('SELECT * FROM users');
 * ```
 */
export async function open(path: string | Uint8Array, options?: DatabaseOptions): Promise<Database> {
  const resolved = resolveOptions(options);
  // A database image (from `db.serialize()`, a file read into memory) opens as an in-memory database.
  const image = path instanceof Uint8Array ? path : undefined;
  const connection = await openConnection(image === undefined ? (path as string) : ':memory:', resolved, resolved.readonly ? 'reader' : 'writer', image);
  const settings = Object.freeze({
    integers: resolved.integers,
    timeoutMs: resolved.timeoutMs,
    statementTiming: resolved.statementTiming,
    readonly: resolved.readonly,
    tools: resolved.tools,
  });
  try {
    return new Database({ provider: new SingleConnectionProvider(connection), settings }, resolved.middleware);
  } catch (err) {
    // A middleware the handle refuses: the worker started for it must not outlive the failed open().
    await connection.close().catch(() => undefined);
    throw err;
  }
}

/**
 * Opens one connection (a worker thread with its better-sqlite3 connection) with resolved options: what `open()`
 * builds a database on, and what a pool opens its writer and readers with.
 */
export async function openConnection(path: string, resolved: ResolvedOptions, role: ConnectionRole, image?: Uint8Array): Promise<WorkerConnection> {
  checkRuntime();
  if (typeof path !== 'string' || path.trim() === '') {
    throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, 'open() takes a file path or ":memory:"');
  }
  const memory = path === ':memory:';
  if (memory && resolved.readonly && image === undefined) {
    throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, 'An in-memory database cannot be read-only');
  }
  const companion = loadCompanion() !== undefined;
  if (!companion && process.env['RAPSQLITE_NO_COMPANION'] !== '1') {
    emitRapsqliteWarning(
      'RAPSQLITE_NO_COMPANION',
      `rapsqlite: the native companion is not available (${companionUnavailableReason() ?? 'unknown reason'}). ` +
        'Queued calls can still be cancelled, and a running read is abandoned, but a running write cannot be stopped, ' +
        'db.interrupt() does nothing and the authorizer is unavailable. See docs/cancellation.md.',
      { once: 'process' },
    );
  }
  if (resolved.authorizer !== undefined && !companion) {
    throw new RapsqliteError(ErrorCodes.UNSUPPORTED, 'The authorizer option needs the native companion, which is not available');
  }
  return WorkerConnection.open(
    {
      path,
      readonly: resolved.readonly,
      busyTimeoutMs: resolved.busyTimeoutMs,
      synchronous: resolved.synchronous,
      journalMode: memory ? undefined : resolved.journalMode,
      foreignKeys: resolved.foreignKeys,
      pragmas: resolved.pragmas,
      init: resolved.init,
      initModule: resolved.initModule,
      statementCacheSize: resolved.statementCacheSize,
      functions: [],
      companion,
      authorizer: resolved.authorizer,
      statementTiming: resolved.statementTiming,
      spinMicros: resolved.spinMicros,
      // JavaScript that SQLite could call (user functions, an init module's) runs only on the regular path.
      fastPath: companion && resolved.fastPath && !resolved.statementTiming && resolved.initModule === undefined,
      attach: resolved.toolbox.attach,
      extensions: resolved.toolbox.extensions,
      key: resolved.toolbox.key,
      image,
    },
    role,
    { cancelGraceMs: resolved.cancelGraceMs },
  );
}
