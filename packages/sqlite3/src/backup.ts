import type { EventEmitter } from 'node:events';
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { open, type Database as EngineDatabase, type SqlValue } from '@rapsqlite/engine';
import { CODE_NAMES } from './constants.ts';
import { coreOf, type DatabaseCore } from './internal/core.ts';
import { argumentError, sqliteError, toSqlite3Error, unsupportedError, type Sqlite3Error } from './internal/errors.ts';
import { emitSafely, inheritEmitter, invoke, type AnyFunction } from './internal/invoke.ts';

/** SQLite's sqlite3_errstr texts for the codes a backup step reports. */
const ERRSTR: Readonly<Record<string, string>> = {
  SQLITE_BUSY: 'database is locked',
  SQLITE_LOCKED: 'database table is locked',
  SQLITE_READONLY: 'attempt to write a readonly database',
  SQLITE_IOERR: 'disk I/O error',
  SQLITE_NOMEM: 'out of memory',
};

function quote(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function identifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

interface Call {
  readonly run: () => Promise<void>;
  readonly callback: AnyFunction | undefined;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface Backup extends EventEmitter {
  /** The other file of the backup. */
  readonly filename: string;
  /** The schema copied from (`'main'`, `'temp'`, an attached name). */
  readonly sourceName: string;
  /** The schema copied to. */
  readonly destName: string;
  /** True when `filename` is the destination (a backup), false when it is the source (a restore). */
  readonly filenameIsDest: boolean;
}

/**
 * node-sqlite3's `Backup`, made by `db.backup(filename)`: `step(pages)` copies up to `pages` pages (all with -1),
 * `finish()` ends it; `idle`, `completed`, `failed`, `remaining` and `pageCount` report progress, and errors whose code
 * is in `retryErrors` (SQLITE_BUSY, SQLITE_LOCKED by default) leave the backup able to continue.
 *
 * The engine has no page-level backup API yet, so the copy itself is one `VACUUM INTO` a scratch file next to the
 * destination, renamed over it, taken by the step that reaches the last page: the result holds every change made
 * before that step, as SQLite's backup does (a vacuumed copy: same content, possibly fewer pages). Intermediate steps
 * only advance the counters. A restore (`filenameIsDest` false) attaches the file at that step and replaces the
 * objects and rows of the `destName` schema with the file's, in one savepoint. Only the file's main database can be
 * backed up into or restored from (another name fails with `ERR_RAPSQLITE_SQLITE3_UNSUPPORTED`), and a backup's
 * destination must not be open elsewhere while the step copies.
 *
 * @example
 * ```js
 * const backup = db.backup('copy.db');
 * backup.step(-1, (err, completed) => backup.finish(() => console.log('copied', completed)));
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Backup {
  readonly #core: DatabaseCore;
  #inited = false;
  #locked = false;
  #finished = false;
  #handleOpen = false;
  #completed = false;
  #failed = false;
  #remaining = -1;
  #pageCount = -1;
  #copied = 0;
  #status = 'SQLITE_OK';
  #retryErrors: unknown[] = [];
  readonly #queue: Call[] = [];

  /** Starts a backup (node-sqlite3's constructor; `db.backup()` is the usual way). */
  constructor(db: object, filename: string, sourceName: string, destName: string, filenameIsDest: boolean, callback?: (this: Backup, err: Error | null) => void) {
    const core = coreOf(db);
    if (core === undefined) throw argumentError('Database object expected');
    if (typeof filename !== 'string') throw argumentError('Filename expected');
    if (typeof sourceName !== 'string') throw argumentError('Source database name expected');
    if (typeof destName !== 'string') throw argumentError('Destination database name expected');
    if (typeof filenameIsDest !== 'boolean') throw argumentError('Direction flag expected');
    if (callback !== undefined && typeof callback !== 'function') throw argumentError('Callback expected');
    this.#core = core;
    for (const [key, value] of Object.entries({ filename, sourceName, destName, filenameIsDest })) {
      Object.defineProperty(this, key, { value });
    }
    core.schedule({
      run: () => {
        core.begin();
        this.#initialize(callback).finally(() => core.end());
      },
      fail: (err, call) => {
        this.#finished = true;
        this.#failed = true;
        if (callback === undefined) return false;
        call(callback, this, [err]);
        return true;
      },
    });
  }

  async #initialize(callback: AnyFunction | undefined): Promise<void> {
    let err: Sqlite3Error | undefined;
    if (this.filenameIsDest ? this.destName !== 'main' : this.sourceName !== 'main') {
      err = unsupportedError(`Only the main database of the file can be backed up ${this.filenameIsDest ? 'into' : 'from'}`);
    } else {
      try {
        // The schema of this connection the backup reads (or, restoring, replaces) must exist.
        await this.#engine.get(`PRAGMA ${identifier(this.filenameIsDest ? this.sourceName : this.destName)}.page_count`);
      } catch (cause) {
        err = toSqlite3Error(cause);
      }
    }
    if (err !== undefined) {
      this.#deliverError(callback, err);
      this.#finishAll();
      return;
    }
    // node-sqlite3 opens the other file when the backup starts (sqlite3_open, which creates it): a file it cannot open
    // (no such folder, a folder) fails the backup there.
    const dest = resolve(this.filename);
    const opened = await stat(dest).then(
      (found) => !found.isDirectory(),
      () => writeFile(dest, '').then(
        () => true,
        () => false,
      ),
    );
    if (!opened) {
      this.#deliverError(callback, sqliteError('SQLITE_CANTOPEN', 'unable to open database file'));
      this.#finishAll();
      return;
    }
    this.#inited = true;
    this.#handleOpen = true;
    this.#core.liveBackups++;
    if (callback !== undefined) invoke(callback, this, [null]);
    this.#process();
  }

  get #engine(): EngineDatabase {
    return this.#core.engine as EngineDatabase;
  }

  /** True when no step or finish is running or queued. */
  get idle(): boolean {
    return this.#inited && !this.#locked && this.#queue.length === 0;
  }

  /** True once a step copied the last page. */
  get completed(): boolean {
    return this.#completed;
  }

  /** True once the backup ended without completing (an error not in `retryErrors`, or `finish()` before the end). */
  get failed(): boolean {
    return this.#failed;
  }

  /** Pages still to copy after the last step (-1 before the first). */
  get remaining(): number {
    return this.#remaining;
  }

  /** Pages of the source at the last step (-1 before the first). */
  get pageCount(): number {
    return this.#pageCount;
  }

  /** Result codes (numbers) that leave the backup open when a step fails with them. */
  get retryErrors(): unknown[] {
    return this.#retryErrors;
  }

  set retryErrors(value: unknown[]) {
    if (!Array.isArray(value)) throw new Error('retryErrors must be an array');
    this.#retryErrors = value;
  }

  /** Copies up to `pages` pages (all remaining with a negative number); the callback gets `(err, completed)`. */
  step(pages: number, callback?: (this: Backup, err: Error | null, completed?: boolean) => void): this {
    if (typeof pages !== 'number') throw argumentError('Argument 0 must be an integer');
    if (callback !== undefined && typeof callback !== 'function') throw argumentError('Argument 1 must be a function');
    const retry = new Set(this.#retryErrors.filter((code): code is number => typeof code === 'number').map((code) => code | 0));
    this.#schedule(callback, () => this.#step(pages | 0, retry, callback));
    return this;
  }

  /** Ends the backup, releasing it so the database can close; later calls fail with `SQLITE_MISUSE`. */
  finish(callback?: (this: Backup) => void): this {
    if (callback !== undefined && typeof callback !== 'function') throw argumentError('Argument 0 must be a function');
    this.#schedule(callback, async () => {
      this.#closeHandle();
      this.#finishAll();
      if (callback !== undefined) invoke(callback, this, []);
    });
    return this;
  }

  #schedule(callback: AnyFunction | undefined, run: () => Promise<void>): void {
    this.#queue.push({ run, callback });
    if (this.#finished) this.#cleanQueue();
    else this.#process();
  }

  #process(): void {
    if (this.#finished) return this.#cleanQueue();
    if (!this.#inited || this.#locked) return;
    const call = this.#queue.shift();
    if (call === undefined) return;
    this.#locked = true;
    void call.run().finally(() => {
      this.#locked = false;
      this.#process();
    });
  }

  /** Fails every queued call once the backup finished (one `'error'` event when none had a callback). */
  #cleanQueue(): void {
    if (!this.#inited) {
      this.#queue.length = 0;
      return;
    }
    if (this.#queue.length === 0) return;
    const err = sqliteError('SQLITE_MISUSE', 'Backup is already finished');
    let called = false;
    for (const call of this.#queue.splice(0)) {
      if (call.callback !== undefined) {
        invoke(call.callback, this, [err]);
        called = true;
      }
    }
    if (!called) emitSafely(this, 'error', [err]);
  }

  #closeHandle(): void {
    if (!this.#handleOpen) return;
    this.#handleOpen = false;
    this.#core.liveBackups--;
  }

  #finishAll(): void {
    if (!this.#completed && !this.#failed) this.#failed = true;
    this.#finished = true;
    this.#closeHandle();
    this.#cleanQueue();
  }

  #deliverError(callback: AnyFunction | undefined, err: Sqlite3Error): void {
    if (callback !== undefined) invoke(callback, this, [err]);
    else emitSafely(this, 'error', [err]);
  }

  async #step(pages: number, retry: ReadonlySet<number>, callback: AnyFunction | undefined): Promise<void> {
    if (this.#handleOpen) {
      // Alone on the connection while it counts and copies, so no statement of the application interleaves.
      await new Promise<void>((resolve) => {
        this.#core.exclusiveAsync(
          () => this.#advance(pages).finally(resolve),
          () => {
            resolve();
            return undefined;
          },
        );
      });
      if (this.#status !== 'SQLITE_OK' && this.#status !== 'SQLITE_DONE' && retry.size > 0 && !retry.has(codeNumber(this.#status))) this.#closeHandle();
      if (this.#status === 'SQLITE_DONE' && retry.size > 0 && !retry.has(101)) this.#closeHandle();
    }
    if (this.#status === 'SQLITE_DONE') this.#completed = true;
    else if (!this.#handleOpen) this.#failed = true;
    if (this.#status !== 'SQLITE_OK' && this.#status !== 'SQLITE_DONE') {
      this.#deliverError(callback, sqliteError(this.#status, this.#message));
    } else if (callback !== undefined) {
      invoke(callback, this, [null, this.#status === 'SQLITE_DONE']);
    }
  }

  #message = '';

  async #advance(pages: number): Promise<void> {
    const engine = this.#engine;
    const source = identifier(this.sourceName);
    const dest = resolve(this.filename);
    try {
      // SQLite's backup opens (and so creates) the other file at its first step.
      const exists = await stat(dest).then(
        () => true,
        () => false,
      );
      if (!exists) await writeFile(dest, '');
      const count = this.filenameIsDest
        ? Number(Object.values((await engine.get<Record<string, number>>(`PRAGMA ${source}.page_count`)) ?? {})[0] ?? 0)
        : await withAttached(engine, dest, (alias) => pageCount(engine, alias));
      this.#pageCount = count;
      this.#copied = pages < 0 ? Infinity : Math.min(count, this.#copied + pages);
      if (this.#copied < count) {
        this.#remaining = count - this.#copied;
        this.#status = 'SQLITE_OK';
        return;
      }
      if (!this.filenameIsDest) {
        await withAttached(engine, dest, (alias) => restoreSchema(engine, alias, this.destName));
        this.#remaining = 0;
        this.#status = 'SQLITE_DONE';
        return;
      }
      await this.#checkUnlocked(engine, dest);
      const scratch = join(dirname(dest), `.${randomBytes(6).toString('hex')}.rapsqlite-backup`);
      try {
        // VACUUM INTO does not write a TEMP schema: its objects and rows are copied into an attached file instead.
        if (this.sourceName.toLowerCase() === 'temp') await copyTempSchema(engine, scratch);
        else await engine.run(`VACUUM ${source} INTO ${quote(scratch)}`);
        // A stale journal or WAL beside the old file would be applied to the new one by its next reader.
        await Promise.all(['-wal', '-shm', '-journal'].map((suffix) => rm(`${dest}${suffix}`, { force: true })));
        await rename(scratch, dest);
      } finally {
        await rm(scratch, { force: true });
      }
      this.#remaining = 0;
      this.#status = 'SQLITE_DONE';
    } catch (cause) {
      const err = toSqlite3Error(cause);
      this.#status = err.code;
      this.#message = ERRSTR[err.code] ?? err.message.slice(err.code.length + 2);
    }
  }

  /** Fails with SQLITE_BUSY when another connection holds the destination locked, as the real backup would. */
  async #checkUnlocked(engine: EngineDatabase, dest: string): Promise<void> {
    const alias = `rapsqlite_backup_${randomBytes(4).toString('hex')}`;
    const saved = (await engine.get<{ timeout: number }>('PRAGMA busy_timeout'))?.timeout ?? 1000;
    await engine.exec('PRAGMA busy_timeout = 0');
    try {
      await engine.run(`ATTACH ${quote(dest)} AS ${identifier(alias)}`);
      try {
        await engine.get(`SELECT count(*) FROM ${identifier(alias)}.sqlite_master`);
      } finally {
        await engine.run(`DETACH ${identifier(alias)}`);
      }
    } finally {
      await engine.exec(`PRAGMA busy_timeout = ${saved | 0}`);
    }
  }
}

const OBJECT_ORDER: Readonly<Record<string, number>> = { table: 0, index: 1, view: 2, trigger: 3 };

/** Runs `task` with `file` attached to the connection under a fresh name, detaching it afterwards. */
async function withAttached<T>(engine: EngineDatabase, file: string, task: (alias: string) => Promise<T>): Promise<T> {
  const alias = `rapsqlite_restore_${randomBytes(4).toString('hex')}`;
  await engine.run(`ATTACH ${quote(file)} AS ${identifier(alias)}`);
  try {
    return await task(alias);
  } finally {
    await engine.run(`DETACH ${identifier(alias)}`);
  }
}

async function pageCount(engine: EngineDatabase, schema: string): Promise<number> {
  const row = (await engine.get<Record<string, number>>(`PRAGMA ${identifier(schema)}.page_count`)) ?? {};
  return Number(Object.values(row)[0] ?? 0);
}

/**
 * A restore (`filenameIsDest` false): replaces every object and row of the connection's `destName` schema with those
 * of the attached file's main database, in one savepoint (all or nothing), as SQLite's backup replaces the
 * destination's pages. The `user_version` and `application_id` of the file come along.
 */
async function restoreSchema(engine: EngineDatabase, alias: string, destName: string): Promise<void> {
  const from = identifier(alias);
  const to = identifier(destName);
  // The normalized text SQLite keeps for each object starts `CREATE [UNIQUE|VIRTUAL] <type> [IF NOT EXISTS] <name>`:
  // the schema goes before the name.
  const qualify = (sql: string): string =>
    sql.replace(/^(CREATE\s+(?:UNIQUE\s+|VIRTUAL\s+)?(?:TABLE|INDEX|VIEW|TRIGGER)\s+(?:IF\s+NOT\s+EXISTS\s+)?)/i, `$1${to}.`);
  const objects = await engine.all<{ type: string; name: string; sql: string | null }>(
    `SELECT type, name, sql FROM ${from}.sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'`,
  );
  objects.sort((a, b) => (OBJECT_ORDER[a.type] ?? 9) - (OBJECT_ORDER[b.type] ?? 9));
  const old = await engine.all<{ type: string; name: string }>(
    `SELECT type, name FROM ${to}.sqlite_master WHERE type IN ('table', 'view', 'trigger') AND name NOT LIKE 'sqlite_%'`,
  );
  const pragmas = (await engine.get<{ user_version: number }>(`PRAGMA ${from}.user_version`))?.user_version ?? 0;
  const application = Object.values((await engine.get<Record<string, number>>(`PRAGMA ${from}.application_id`)) ?? {})[0] ?? 0;
  const savepoint = identifier(`${alias}_savepoint`);
  await engine.run(`SAVEPOINT ${savepoint}`);
  try {
    // With foreign keys on, rows arrive in no particular table order: checked when the copy is whole.
    await engine.run('PRAGMA defer_foreign_keys = ON');
    // Triggers and views first: dropping a table drops its indexes and triggers.
    for (const object of [...old].sort((a, b) => (OBJECT_ORDER[b.type] ?? 9) - (OBJECT_ORDER[a.type] ?? 9))) {
      await engine.run(`DROP ${object.type.toUpperCase()} IF EXISTS ${to}.${identifier(object.name)}`);
    }
    if (await engine.get(`SELECT 1 FROM ${to}.sqlite_master WHERE name = 'sqlite_sequence'`)) await engine.run(`DELETE FROM ${to}.sqlite_sequence`);
    const isVirtual = (o: { sql: string | null }): boolean => /^CREATE\s+VIRTUAL/i.test(o.sql as string);
    const tables = objects.filter((o) => o.type === 'table');
    const virtual = tables.filter(isVirtual);
    // Virtual tables make their shadow tables themselves (which SQLite's defensive mode keeps from being written):
    // they are created first, and filled through the virtual table.
    for (const table of virtual) await engine.run(qualify(table.sql as string));
    const copied: Array<{ name: string; rowid: boolean }> = virtual.map((t) => ({ name: t.name, rowid: true }));
    for (const table of tables) {
      if (isVirtual(table) || (await engine.get(`SELECT 1 FROM ${to}.sqlite_master WHERE name = ?`, [table.name]))) continue;
      await engine.run(qualify(table.sql as string));
      copied.push({ name: table.name, rowid: false });
    }
    if (await engine.get(`SELECT 1 FROM ${from}.sqlite_master WHERE name = 'sqlite_sequence'`)) copied.push({ name: 'sqlite_sequence', rowid: false });
    for (const { name, rowid } of copied) {
      // table_info leaves out generated columns, which cannot be written.
      const names = (await engine.all<{ name: string }>('SELECT name FROM pragma_table_info(?, ?)', [name, alias])).map((c) => identifier(c.name));
      const columns = (rowid ? ['rowid', ...names] : names).join(', ');
      if (!rowid) await engine.run(`DELETE FROM ${to}.${identifier(name)}`);
      await engine.run(`INSERT INTO ${to}.${identifier(name)} (${columns}) SELECT ${columns} FROM ${from}.${identifier(name)}`);
    }
    for (const object of objects) if (object.type !== 'table') await engine.run(qualify(object.sql as string));
    await engine.run(`PRAGMA ${to}.user_version = ${Number(pragmas) | 0}`);
    await engine.run(`PRAGMA ${to}.application_id = ${Number(application) | 0}`);
    await engine.run(`RELEASE ${savepoint}`);
  } catch (cause) {
    await engine.run(`ROLLBACK TO ${savepoint}`).catch(() => undefined);
    await engine.run(`RELEASE ${savepoint}`).catch(() => undefined);
    throw cause;
  }
}

/**
 * Copies every object and row of the TEMP schema into a new database file, through a connection of its own (the
 * source may be read-only, so it cannot attach a file to write).
 */
async function copyTempSchema(engine: EngineDatabase, file: string): Promise<void> {
  const objects = await engine.all<{ type: string; name: string; sql: string | null }>(
    "SELECT type, name, sql FROM temp.sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'",
  );
  objects.sort((a, b) => (OBJECT_ORDER[a.type] ?? 9) - (OBJECT_ORDER[b.type] ?? 9));
  const target = await open(file, { journalMode: 'delete', foreignKeys: false });
  try {
    const tables = objects.filter((o) => o.type === 'table');
    for (const table of tables) await target.exec(table.sql as string);
    for (const table of [...tables.map((t) => t.name), ...((await engine.get("SELECT 1 FROM temp.sqlite_master WHERE name = 'sqlite_sequence'")) ? ['sqlite_sequence'] : [])]) {
      const { columns, rows } = await engine.values(`SELECT * FROM temp.${identifier(table)}`, undefined, { integers: 'bigint' });
      if (rows.length === 0) continue;
      const slots = columns.map(() => '?').join(', ');
      if (table === 'sqlite_sequence') await target.run('DELETE FROM sqlite_sequence');
      await target.runMany(`INSERT INTO ${identifier(table)} VALUES (${slots})`, rows as SqlValue[][]);
    }
    for (const object of objects) if (object.type !== 'table') await target.exec(object.sql as string);
  } finally {
    await target.close();
  }
}

function codeNumber(name: string): number {
  for (const [number, known] of CODE_NAMES) if (known === name) return number;
  return 1;
}

inheritEmitter(Backup);
