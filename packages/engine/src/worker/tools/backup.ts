/**
 * Online backup, run inside the worker next to the better-sqlite3 connection: SQLite's backup API copies the
 * database page by page, a few pages per step, and the worker's event loop turns between steps, so the connection
 * keeps answering other requests while a backup runs. Writes made through this same connection during the backup
 * are folded into the copy by SQLite; the copy is the database as it was when the last step ran.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ErrorCodes } from '../../errors/codes.ts';
import { ToolboxErrorCodes } from '../../toolbox/codes.ts';
import { codeOf, ToolError } from './tool-error.ts';

/** The part of better-sqlite3 a backup uses, typed structurally. */
export interface BackupSource {
  backup(
    destination: string,
    options: { attached?: string; progress?: (info: { totalPages: number; remainingPages: number }) => number | undefined },
  ): Promise<{ totalPages: number; remainingPages: number }>;
  prepare(sql: string): { all(...params: unknown[]): unknown[]; get(...params: unknown[]): unknown };
}

/** What the caller asks for. Plain data: it crosses the thread boundary as it is. */
export interface BackupRequest {
  /** The destination file. Relative paths resolve against the process's working directory. */
  readonly destination: string;
  /** The schema to copy: `'main'` (default) or an attached database's alias. */
  readonly schema?: string;
  /** Pages copied per step (default 100 pages, 400 KiB at the default page size); -1 copies everything in one step. */
  readonly pagesPerStep?: number;
}

/** Progress of a backup, reported after every step. */
export interface BackupProgress {
  readonly totalPages: number;
  readonly remainingPages: number;
}

/** The outcome of a finished backup. */
export interface BackupResult extends BackupProgress {
  /** Bytes copied: total pages × page size. */
  readonly bytes: number;
  /** Steps taken (progress reports). */
  readonly steps: number;
  /** The destination's absolute path. */
  readonly destination: string;
}

/** Callbacks a backup runs in the worker between steps. */
export interface BackupHooks {
  /** Called after every step with the pages left. */
  readonly onProgress?: (progress: BackupProgress) => void;
  /** Returns a reason (anything but undefined) when the backup must stop: the partial destination is then removed. */
  readonly aborted?: () => unknown;
}

export const DEFAULT_PAGES_PER_STEP = 100;

function invalid(message: string): ToolError {
  return new ToolError(ErrorCodes.INVALID_ARGUMENT, message);
}

/** Checks a request and resolves its destination to an absolute path. Throws coded errors. */
export function checkBackupRequest(request: BackupRequest): { destination: string; schema: string; pagesPerStep: number } {
  if (typeof request !== 'object' || request === null) throw invalid('backup() takes a destination path');
  const { destination, schema = 'main', pagesPerStep = DEFAULT_PAGES_PER_STEP } = request;
  if (typeof destination !== 'string' || destination.trim() === '') throw invalid('backup() takes a destination file path');
  if (destination.trim() === ':memory:' || destination.startsWith('file:')) throw invalid('The backup destination must be a file path');
  if (typeof schema !== 'string' || schema === '') throw invalid('Option schema must be a non-empty string');
  if (!Number.isInteger(pagesPerStep) || (pagesPerStep < 1 && pagesPerStep !== -1)) {
    throw invalid('Option pagesPerStep must be a positive integer, or -1 for one step');
  }
  return { destination: resolve(destination), schema, pagesPerStep };
}

function samePath(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return resolve(a) === resolve(b);
  }
}

/** The pages of a schema of the source. */
function pageCount(db: BackupSource, schema: string): number {
  return Number((db.prepare(`PRAGMA "${schema.replaceAll('"', '""')}".page_count`).get() as { page_count: number | bigint }).page_count);
}

/**
 * Copies the database (or one attached schema) to `request.destination` with SQLite's online backup API, a few pages
 * per step, yielding to the worker's event loop between steps. An existing destination is replaced only when the
 * backup completes (SQLite writes it in one transaction); a destination the backup created is removed when it fails
 * or is aborted. Errors: `ERR_RAPSQLITE_INVALID_ARGUMENT`, `ERR_RAPSQLITE_BACKUP_DESTINATION`,
 * `ERR_RAPSQLITE_SCHEMA_NOT_FOUND`, `ERR_RAPSQLITE_ABORTED`, or SQLite's code (`SQLITE_NOTADB` when the existing
 * destination is not a database, `SQLITE_BUSY` when another connection holds it locked, `SQLITE_CANTOPEN`…).
 */
export async function backupDatabase(db: BackupSource, request: BackupRequest, hooks: BackupHooks = {}): Promise<BackupResult> {
  const { destination, schema, pagesPerStep } = checkBackupRequest(request);
  const files = db.prepare('SELECT name, file FROM pragma_database_list').all() as Array<{ name: string; file: string }>;
  const source = files.find((f) => f.name === schema);
  if (source === undefined) throw new ToolError(ToolboxErrorCodes.SCHEMA_NOT_FOUND, `No attached database is named "${schema}"`);
  if (source.file !== '' && samePath(source.file, destination)) {
    throw new ToolError(ToolboxErrorCodes.BACKUP_DESTINATION, 'The backup destination is the source database itself');
  }
  if (!existsSync(dirname(destination))) {
    throw new ToolError(ToolboxErrorCodes.BACKUP_DESTINATION, 'The backup destination folder does not exist');
  }
  if (existsSync(destination) && statSync(destination).isDirectory()) {
    throw new ToolError(ToolboxErrorCodes.BACKUP_DESTINATION, 'The backup destination is a directory');
  }
  const pageSize = Number((db.prepare(`PRAGMA "${schema.replaceAll('"', '""')}".page_size`).get() as { page_size: number | bigint }).page_size);
  let steps = 0;
  let abortReason: unknown;
  const progress = (info: { totalPages: number; remainingPages: number }): number => {
    steps++;
    hooks.onProgress?.({ totalPages: info.totalPages, remainingPages: info.remainingPages });
    const reason = hooks.aborted?.();
    if (reason !== undefined) {
      abortReason = reason;
      // better-sqlite3 closes the backup when the progress callback throws, and removes a file it created.
      throw new ToolError(ErrorCodes.ABORTED, 'The backup was aborted; the partial copy was discarded', reason);
    }
    return pagesPerStep === -1 ? 0x7fffffff : pagesPerStep;
  };
  if (hooks.aborted?.() !== undefined) throw new ToolError(ErrorCodes.ABORTED, 'The backup was aborted before it started', hooks.aborted());
  let done: { totalPages: number; remainingPages: number };
  try {
    done = await db.backup(destination, { attached: schema, progress });
  } catch (err) {
    if (abortReason !== undefined) throw err;
    const code = codeOf(err);
    if (code !== undefined && code.startsWith('SQLITE_')) throw new ToolError(code, (err as Error).message, err);
    if (err instanceof TypeError) throw new ToolError(ToolboxErrorCodes.BACKUP_DESTINATION, err.message, err);
    throw err;
  }
  // A destination that another connection holds locked makes SQLite's first step SQLITE_BUSY before it knows the page
  // count, which better-sqlite3 reads as a finished copy of 0 pages: nothing was written.
  if (done.totalPages === 0 && pageCount(db, schema) > 0) {
    throw new ToolError('SQLITE_BUSY', 'The backup destination is locked by another connection; nothing was copied');
  }
  steps++;
  hooks.onProgress?.({ totalPages: done.totalPages, remainingPages: 0 });
  return { totalPages: done.totalPages, remainingPages: 0, bytes: done.totalPages * pageSize, steps, destination };
}
