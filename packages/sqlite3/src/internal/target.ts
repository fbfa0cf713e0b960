import { existsSync } from 'node:fs';
import { mkdtemp, open as openFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { JournalMode } from '@rapsqlite/engine';
import { OPEN_FLAGS } from '../constants.ts';
import { sqliteError, type Sqlite3Error } from './errors.ts';

/** Where and how to open what node-sqlite3 was given as `(filename, mode)`. */
export interface OpenTarget {
  /** The path for the engine's `open()`: a file, or `':memory:'`. */
  readonly path: string;
  readonly readonly: boolean;
  /** Open writable, then refuse writes (`PRAGMA query_only`): SQLite allows a read-only `:memory:`, the engine does not. */
  readonly queryOnly: boolean;
  /** Left as the file has it: WAL stays WAL (node-sqlite3 never changes it); anything else is SQLite's default. */
  readonly journalMode: JournalMode | undefined;
  /** Runs after the database closed: deletes a temporary database, or releases a shared in-memory one. */
  readonly release: () => Promise<void>;
}

const NOTHING = async (): Promise<void> => undefined;

/** A shared "in-memory" database (`file:name?mode=memory&cache=shared`) and how many Database objects use it. */
interface SharedMemory {
  readonly path: Promise<string>;
  readonly dir: Promise<string>;
  refs: number;
}

const shared = new Map<string, SharedMemory>();

/** RAM-backed when the system has /dev/shm, so a shared "memory" database stays off the disk where possible. */
function scratchRoot(): string {
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}

function cantOpen(): Sqlite3Error {
  return sqliteError('SQLITE_CANTOPEN', 'unable to open database file');
}

/** Reads the journal mode a file is in from its header: bytes 18 and 19 are 2 for WAL. */
async function fileJournalMode(path: string): Promise<JournalMode | undefined> {
  let handle;
  try {
    handle = await openFile(path, 'r');
  } catch {
    return 'delete';
  }
  try {
    const header = Buffer.alloc(20);
    const { bytesRead } = await handle.read(header, 0, 20, 0);
    return bytesRead === 20 && header[18] === 2 && header[19] === 2 ? 'wal' : 'delete';
  } finally {
    await handle.close();
  }
}

/** The parts of an SQLite URI filename this package understands (https://sqlite.org/uri.html). */
interface ParsedUri {
  readonly path: string;
  readonly mode: string | undefined;
  readonly cache: string | undefined;
  readonly vfs: string | undefined;
}

function parseUri(uri: string): ParsedUri {
  const query = uri.indexOf('?');
  const hash = uri.indexOf('#');
  const end = hash === -1 ? uri.length : hash;
  let rawPath = uri.slice(5, query === -1 ? end : Math.min(query, end));
  const params = new URLSearchParams(query === -1 || query > end ? '' : uri.slice(query + 1, end));
  if (rawPath.startsWith('//')) {
    // file://host/path: only an empty authority or "localhost" is allowed, as in SQLite.
    const slash = rawPath.indexOf('/', 2);
    const authority = rawPath.slice(2, slash === -1 ? rawPath.length : slash);
    if (authority !== '' && authority !== 'localhost') throw sqliteError('SQLITE_ERROR', `invalid uri authority: ${authority}`);
    rawPath = slash === -1 ? '' : rawPath.slice(slash);
  }
  const path = decodeURIComponent(rawPath);
  return { path, mode: params.get('mode') ?? undefined, cache: params.get('cache') ?? undefined, vfs: params.get('vfs') ?? undefined };
}

async function sharedMemory(name: string): Promise<OpenTarget> {
  let entry = shared.get(name);
  if (entry === undefined) {
    const dir = mkdtemp(join(scratchRoot(), 'rapsqlite-shared-'));
    entry = { dir, path: dir.then((d) => join(d, 'memory.db')), refs: 0 };
    shared.set(name, entry);
  }
  entry.refs++;
  const held = entry;
  let released = false;
  const release = async (): Promise<void> => {
    if (released) return;
    released = true;
    held.refs--;
    if (held.refs === 0 && shared.get(name) === held) {
      shared.delete(name);
      await rm(await held.dir, { recursive: true, force: true });
    }
  };
  try {
    return { path: await held.path, readonly: false, queryOnly: false, journalMode: 'memory', release };
  } catch (err) {
    await release();
    throw err;
  }
}

/**
 * Resolves node-sqlite3's `(filename, mode)` to an engine target, with node-sqlite3's (that is, SQLite's) rules:
 * `''` is a private temporary database deleted on close; `':memory:'` a private in-memory one; a `file:` URI is
 * parsed only with `OPEN_URI` (otherwise it is a plain file name, as node-sqlite3 is built without SQLITE_USE_URI);
 * without `OPEN_CREATE` the file must exist. `mode=memory` with `cache=shared` gives one database shared by every
 * Database object opened on the same URI in this process (better-sqlite3 has no shared cache: it lives in a scratch
 * file, RAM-backed where /dev/shm exists, deleted when the last of them closes).
 */
export async function resolveTarget(filename: string, mode: number): Promise<OpenTarget> {
  const writable = (mode & OPEN_FLAGS.OPEN_READWRITE) !== 0;
  const readonlyFlag = (mode & OPEN_FLAGS.OPEN_READONLY) !== 0;
  const create = (mode & OPEN_FLAGS.OPEN_CREATE) !== 0;
  // sqlite3_open_v2 needs exactly one of READONLY, READWRITE or READWRITE|CREATE.
  if (writable === readonlyFlag || (create && !writable)) throw sqliteError('SQLITE_MISUSE', 'bad parameter or other API misuse');
  let path = filename;
  let uriMode: string | undefined;
  if ((mode & OPEN_FLAGS.OPEN_URI) !== 0 && filename.startsWith('file:')) {
    const uri = parseUri(filename);
    if (uri.vfs !== undefined && uri.vfs !== 'unix' && uri.vfs !== 'unix-none') throw sqliteError('SQLITE_ERROR', `no such vfs: ${uri.vfs}`);
    uriMode = uri.mode;
    const sharedCache = uri.cache === 'shared' || (uri.cache === undefined && (mode & OPEN_FLAGS.OPEN_SHAREDCACHE) !== 0);
    if (uriMode === 'memory' || uri.path === ':memory:') {
      if (sharedCache) return sharedMemory(uri.path);
      return { path: ':memory:', readonly: false, queryOnly: readonlyFlag || uriMode === 'ro', journalMode: undefined, release: NOTHING };
    }
    if (uriMode !== undefined && !['ro', 'rw', 'rwc'].includes(uriMode)) throw sqliteError('SQLITE_ERROR', `no such access mode: ${uriMode}`);
    path = uri.path;
  }
  if (path === ':memory:') return { path, readonly: false, queryOnly: readonlyFlag, journalMode: undefined, release: NOTHING };
  if (path === '') {
    // SQLite's private temporary database: a file of its own, removed when the connection closes.
    const dir = await mkdtemp(join(tmpdir(), 'rapsqlite-temp-'));
    return {
      path: join(dir, 'temp.db'),
      readonly: false,
      queryOnly: readonlyFlag,
      journalMode: 'delete',
      release: () => rm(dir, { recursive: true, force: true }),
    };
  }
  const readonly = readonlyFlag || uriMode === 'ro';
  const mustExist = readonly || !create || uriMode === 'rw';
  const absolute = resolve(path);
  const kind = await stat(absolute).then(
    (s) => (s.isDirectory() ? 'directory' : 'file'),
    () => 'missing',
  );
  if (kind === 'directory') throw cantOpen();
  const exists = kind === 'file';
  if (!exists && mustExist) throw cantOpen();
  if (!exists) {
    const parent = await stat(dirname(absolute)).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!parent) throw cantOpen();
  }
  return { path: absolute, readonly, queryOnly: false, journalMode: readonly ? undefined : await fileJournalMode(absolute), release: NOTHING };
}
