import { Database } from './database.ts';
import { Connection } from './internal/connection.ts';
import { resolveOptions, type DatabaseOptions } from './options.ts';
import { ErrorCodes } from './errors/codes.ts';
import { RapsqliteError } from './errors/rapsqlite-error.ts';
import { checkRuntime } from './internal/runtime.ts';
import { companionUnavailableReason, loadCompanion } from './native/companion.ts';

let warned = false;

/**
 * Opens a database: starts a worker thread that owns one better-sqlite3 connection, applies the settings (WAL,
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
export async function open(path: string, options?: DatabaseOptions): Promise<Database> {
  checkRuntime();
  if (typeof path !== 'string' || path.trim() === '') {
    throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, 'open() takes a file path or ":memory:"');
  }
  const resolved = resolveOptions(options);
  const memory = path === ':memory:';
  if (memory && resolved.readonly) {
    throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, 'An in-memory database cannot be read-only');
  }
  const companion = loadCompanion() !== undefined;
  if (!companion && !warned && process.env['RAPSQLITE_NO_COMPANION'] !== '1') {
    warned = true;
    process.emitWarning(
      `rapsqlite: the native companion is not available (${companionUnavailableReason() ?? 'unknown reason'}). ` +
        'Queued calls can still be cancelled, and a running read is abandoned, but a running write cannot be stopped, ' +
        'db.interrupt() does nothing and the authorizer is unavailable. See docs/cancellation.md.',
      { code: 'RAPSQLITE_NO_COMPANION' },
    );
  }
  if (resolved.authorizer !== undefined && !companion) {
    throw new RapsqliteError(ErrorCodes.UNSUPPORTED, 'The authorizer option needs the native companion, which is not available');
  }
  const connection = await Connection.open(
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
    },
    resolved.readonly ? 'reader' : 'writer',
    { cancelGraceMs: resolved.cancelGraceMs },
  );
  return new Database({ connection, options: resolved }, resolved.middleware);
}
