import { ErrorCodes } from '../errors/codes.ts';
import { attachDatabase, detachDatabase, type AttachSpec, type AttachTarget } from '../worker/tools/attach.ts';
import { backupDatabase, type BackupProgress, type BackupRequest, type BackupResult, type BackupSource } from '../worker/tools/backup.ts';
import { rekeyDatabase, type CipherTarget, type KeySpec } from '../worker/tools/encryption.ts';
import { serializeDatabase, type SerializeSource } from '../worker/tools/serialize.ts';
import { WorkerError } from '../worker/worker-error.ts';
import type { RequestHandler } from './handler.ts';

/**
 * `backup`: an online backup through SQLite's backup API. It runs in the background of its worker: the worker goes on
 * answering the connection's other requests between steps (writes made meanwhile are folded into the copy), sends
 * progress as partial answers, and stops when an `abortTask` request names it.
 */
export const backup: RequestHandler<'backup'> = {
  kind: 'backup',
  writes: 'never',
  harmless: false,
  background: true,
  execute(session, { id, extra }, reply) {
    return backupDatabase(session.db as unknown as BackupSource, extra as BackupRequest, {
      onProgress: (progress) => reply.partial(progress),
      aborted: () => session.abortReason(id),
    });
  },
  decode: (payload) => payload as BackupResult,
  partial: (payload) => payload as BackupProgress,
};

/** `abortTask`: stops a background request (a backup) of this worker; `extra` is its id. */
export const abortTask: RequestHandler<'abortTask'> = {
  kind: 'abortTask',
  writes: 'never',
  harmless: true,
  execute(session, { extra }) {
    session.abortTask(extra as number);
    return undefined;
  },
  decode: () => undefined,
};

/** `serialize`: the whole database (or an attached one, `extra` its schema) as bytes. */
export const serialize: RequestHandler<'serialize'> = {
  kind: 'serialize',
  writes: 'never',
  harmless: true,
  execute: (session, { extra }) => serializeDatabase(session.db as unknown as SerializeSource, (extra as string | undefined) ?? 'main'),
  decode: (payload) => {
    const bytes = payload as Uint8Array;
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  },
};

/** What `attach` needs besides the attachment: how the main database is set up, for a writable attached file. */
export interface AttachRequest {
  readonly spec: AttachSpec;
  readonly readonly: boolean;
  readonly journalMode: string | undefined;
  readonly synchronous: string | undefined;
}

/** `attach`: attaches a database under an alias (ATTACH, with the main database's settings). */
export const attach: RequestHandler<'attach'> = {
  kind: 'attach',
  writes: 'never',
  harmless: false,
  execute(session, { extra }) {
    const request = extra as AttachRequest;
    attachDatabase(session.db as unknown as AttachTarget, request.spec, request);
    // Statements compiled before may name tables the new schema now shadows.
    session.cache.clear();
    return undefined;
  },
  decode: () => undefined,
};

/** `detach`: detaches the database attached under `extra`. */
export const detach: RequestHandler<'detach'> = {
  kind: 'detach',
  writes: 'never',
  harmless: false,
  execute(session, { extra }) {
    session.cache.clear();
    detachDatabase(session.db as unknown as AttachTarget, extra as string);
    return undefined;
  },
  decode: () => undefined,
};

/** `rekey`: re-encrypts the database with a new key (the encrypting driver only). */
export const rekey: RequestHandler<'rekey'> = {
  kind: 'rekey',
  writes: 'always',
  harmless: false,
  execute(session, { extra }) {
    if (session.cursors.size > 0) throw new WorkerError(ErrorCodes.INVALID_ARGUMENT, 'rekey() needs the connection without open cursors');
    rekeyDatabase(session.db as unknown as CipherTarget, extra as KeySpec);
    return undefined;
  },
  decode: () => undefined,
};
