import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RapsqliteError } from '@rapsqlite/engine';
import { invalidArgument } from '@rapsqlite/engine/plugin';
import { LitestreamErrorCodes } from './errors.ts';
import { checkReplica, findBinary, replicaYaml, type RestoreOptions } from './options.ts';

/**
 * Restores a database file from its replica: the latest replicated state, or the state at `timestamp`. Fails with
 * `ERR_RAPSQLITE_LITESTREAM_EXISTS` rather than overwrite a file, and `ERR_RAPSQLITE_LITESTREAM_NO_BACKUP` when the
 * replica has nothing to restore.
 *
 * @example
 * ```ts
 * await restore('/data/app.db', { replica: { type: 'file', path: '/backups/app' }, timestamp: new Date('2025-01-01T12:00:00Z') });
 * ```
 */
export async function restore(path: string, options: RestoreOptions): Promise<void> {
  if (typeof path !== 'string' || path === '') throw invalidArgument('restore() takes the path to restore to');
  if (typeof options !== 'object' || options === null) throw invalidArgument('restore() needs options with a replica');
  const target = resolve(path);
  const replica = checkReplica(options.replica);
  const binary = findBinary(options.binary);
  const timestamp = options.timestamp;
  if (timestamp !== undefined && (!(timestamp instanceof Date) || Number.isNaN(timestamp.getTime()))) throw invalidArgument('timestamp must be a valid Date');
  if (existsSync(target)) throw new RapsqliteError(LitestreamErrorCodes.EXISTS, `${target} exists: restore() does not overwrite a database`);
  const dir = await mkdtemp(join(tmpdir(), 'rapsqlite-litestream-restore-'));
  try {
    const config = `dbs:\n  - path: ${JSON.stringify(target)}\n    replicas:\n${replicaYaml(replica, '      ', {})}`;
    const configPath = join(dir, 'litestream.yml');
    await writeFile(configPath, config, { mode: 0o600 });
    const args = ['restore', '-config', configPath, '-no-expand-env', ...(timestamp === undefined ? [] : ['-timestamp', timestamp.toISOString()]), target];
    const { code, output } = await run(binary, args);
    if (code === 0 && existsSync(target)) return;
    if (/no matching backups|no snapshots available|no generation|cannot find/i.test(output) || (code === 0 && !existsSync(target))) {
      throw new RapsqliteError(LitestreamErrorCodes.NO_BACKUP, `The replica holds no backup to restore${timestamp === undefined ? '' : ` at or before ${timestamp.toISOString()}`}: ${output.trim().split('\n').pop() ?? ''}`);
    }
    throw new RapsqliteError(LitestreamErrorCodes.FAILED, `litestream restore failed (exit ${String(code)}): ${output.trim().split('\n').slice(-3).join(' | ')}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function run(binary: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', (err) => reject(new RapsqliteError(LitestreamErrorCodes.FAILED, `litestream could not start: ${err.message}`, { cause: err })));
    child.once('close', (code) => resolveRun({ code, output }));
  });
}
