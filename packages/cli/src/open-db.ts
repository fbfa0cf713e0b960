import { open as openFile } from 'node:fs/promises';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { open, type Database, type JournalMode } from '@rapsqlite/engine';
import { CliError, EXIT_CODES } from './exit-codes.ts';

/** Options every command that opens a database takes. */
export interface DbFlags {
  readonly busyTimeout?: string;
}

/** Parses a non-negative integer flag, or fails with a usage error naming it. */
export function intFlag(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new CliError(EXIT_CODES.USAGE, `${name} must be a non-negative integer, not "${value}".`, 'ERR_RAPSQLITE_INVALID_ARGUMENT');
  return Number(value);
}

/** Fails with exit code 3 when `path` is not an existing file. */
export async function mustExist(path: string, what = 'database'): Promise<void> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new Error('not a file');
  } catch {
    throw new CliError(EXIT_CODES.NOT_FOUND, `No such ${what} file: ${path}`, 'ENOENT');
  }
}

/** Whether `path` exists (a file, folder or anything else). */
export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * The journal mode a file is in, read from its header: WAL is a property of the file (header bytes 18-19 are 2),
 * every other mode is chosen per connection. `undefined` for an empty or missing file.
 */
async function journalModeOf(path: string): Promise<JournalMode | undefined> {
  let handle;
  try {
    handle = await openFile(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const header = Buffer.alloc(20);
    const { bytesRead } = await handle.read(header, 0, 20, 0);
    if (bytesRead < 20 || header.toString('latin1', 0, 15) !== 'SQLite format 3') return undefined;
    return header[18] === 2 ? 'wal' : 'delete';
  } finally {
    await handle.close();
  }
}

/**
 * Opens a database named on the command line. It must exist unless `create` is set: a mistyped path never leaves
 * an empty database behind. `readonly` opens it without write access. A writable open keeps the file's journal mode
 * (a rollback-journal database is not turned into WAL by a maintenance command); a new file gets WAL.
 */
export async function openDb(cwd: string, path: string, flags: DbFlags, mode: { readonly readonly?: boolean; readonly create?: boolean; readonly integers?: 'auto' | 'number' | 'bigint' } = {}): Promise<Database> {
  const file = resolve(cwd, path);
  if (mode.create !== true) await mustExist(file);
  const busyTimeoutMs = intFlag('--busy-timeout', flags.busyTimeout, 5000);
  const journalMode = mode.readonly === true ? undefined : await journalModeOf(file);
  try {
    return await open(file, {
      readonly: mode.readonly === true,
      busyTimeoutMs,
      integers: mode.integers ?? 'auto',
      ...(journalMode === undefined ? {} : { journalMode }),
    });
  } catch (error) {
    if ((error as { code?: string }).code === 'SQLITE_NOTADB') throw new CliError(EXIT_CODES.FAILURE, `${path} is not an SQLite database.`, 'SQLITE_NOTADB');
    throw error;
  }
}
