import { randomBytes } from 'node:crypto';
import { realpath, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { CliError, EXIT_CODES } from './exit-codes.ts';

/** A name next to `path` for writing it before it is complete: renamed onto `path` once whole, removed otherwise. */
export function temporaryPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.rapsqlite-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

/** Removes a database file with its journal, WAL and shared-memory files; missing ones are fine. */
export async function removeDatabaseFiles(path: string): Promise<void> {
  for (const suffix of ['', '-journal', '-wal', '-shm']) await rm(`${path}${suffix}`, { force: true });
}

/** Whether two paths name the same file (following links); false when either does not exist. */
export async function sameFile(a: string, b: string): Promise<boolean> {
  try {
    return (await realpath(a)) === (await realpath(b));
  } catch {
    return false;
  }
}

/**
 * Checks a destination the command is about to create: its folder must exist (exit 3), it must not be a folder
 * (exit 2), and when it exists, `force` must be set (exit 6). Resolves to whether it exists.
 */
export async function checkDestination(cwd: string, path: string, force: boolean, what: string): Promise<{ file: string; existed: boolean }> {
  const file = resolve(cwd, path);
  const folder = dirname(file);
  const folderInfo = await stat(folder).catch(() => undefined);
  if (folderInfo === undefined || !folderInfo.isDirectory()) throw new CliError(EXIT_CODES.NOT_FOUND, `No such folder: ${folder}`, 'ENOENT');
  const info = await stat(file).catch(() => undefined);
  if (info === undefined) return { file, existed: false };
  if (info.isDirectory()) throw new CliError(EXIT_CODES.USAGE, `The ${what} ${path} is a folder; name a file.`, 'ERR_RAPSQLITE_INVALID_ARGUMENT');
  if (!force) throw new CliError(EXIT_CODES.EXISTS, `The ${what} ${file} exists; pass --force to replace it.`, 'ERR_RAPSQLITE_CLI_EXISTS');
  return { file, existed: true };
}
