import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { open, type Database } from '@rapsqlite/engine';
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

/**
 * Opens a database named on the command line. It must exist unless `create` is set: a mistyped path never leaves
 * an empty database behind. `readonly` opens it without write access.
 */
export async function openDb(cwd: string, path: string, flags: DbFlags, mode: { readonly readonly?: boolean; readonly create?: boolean; readonly integers?: 'auto' | 'number' | 'bigint' } = {}): Promise<Database> {
  const file = resolve(cwd, path);
  if (mode.create !== true) await mustExist(file);
  try {
    return await open(file, {
      readonly: mode.readonly === true,
      busyTimeoutMs: intFlag('--busy-timeout', flags.busyTimeout, 5000),
      integers: mode.integers ?? 'auto',
    });
  } catch (error) {
    if ((error as { code?: string }).code === 'SQLITE_NOTADB') throw new CliError(EXIT_CODES.FAILURE, `${path} is not an SQLite database.`, 'SQLITE_NOTADB');
    throw error;
  }
}
