import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { hasErrorCode, type Queryable } from '@rapsqlite/engine';
import { MigrateError, MigrateErrorCodes } from './errors.ts';
import { quoteName } from './sql/quote.ts';

/** Who holds the migration lock. */
export interface LockHolder {
  readonly owner: string;
  readonly pid: number;
  readonly host: string;
  readonly acquiredAt: string;
  readonly heartbeatAt: string;
}

interface LockRow {
  owner: string;
  pid: number;
  host: string;
  acquired_at: string;
  heartbeat_at: string;
}

/** Options of {@link MigrationLock}. */
export interface MigrationLockOptions {
  readonly timeoutMs: number;
  readonly staleMs: number;
  /** Called once when the lock is held by someone else and this process starts waiting. */
  readonly onWait?: (holder: LockHolder) => void;
}

function isBusy(error: unknown): boolean {
  return hasErrorCode(error) && (error.code.startsWith('SQLITE_BUSY') || error.code.startsWith('SQLITE_LOCKED'));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A lock row in the database that lets one process at a time run migrations, however many start at once. Those
 * that find it held wait (polling) and then see what the holder applied. A holder whose process died on this
 * host is detected at once; one on another host is given up after `staleMs` without a heartbeat.
 */
export class MigrationLock {
  readonly #db: Queryable;
  readonly #table: string;
  readonly #options: MigrationLockOptions;
  readonly #owner = randomUUID();
  #heartbeat: NodeJS.Timeout | undefined;
  #beat: Promise<unknown> = Promise.resolve();

  constructor(db: Queryable, table: string, options: MigrationLockOptions) {
    this.#db = db;
    this.#table = quoteName(table);
    this.#options = options;
  }

  #isStale(row: LockRow): boolean {
    if (row.host === hostname()) return !isAlive(row.pid);
    return Date.now() - Date.parse(row.heartbeat_at) > this.#options.staleMs;
  }

  /** Takes the lock, waiting while another process holds it; resolves to the time it took, in ms: a few when it was free, more when
   * another process held it (waiting on the lock row, or in SQLite's busy handler while that process wrote). */
  async acquire(): Promise<number> {
    const started = performance.now();
    let delay = 20;
    let warned = false;
    let holder: LockRow | undefined;
    for (;;) {
      try {
        holder = await this.#db.transaction(async (tx) => {
          await tx.exec(`CREATE TABLE IF NOT EXISTS ${this.#table} (
  id           INTEGER PRIMARY KEY CHECK (id = 1),
  owner        TEXT NOT NULL,
  pid          INTEGER NOT NULL,
  host         TEXT NOT NULL,
  acquired_at  TEXT NOT NULL,
  heartbeat_at TEXT NOT NULL
)`);
          const row = await tx.get<LockRow>(`SELECT owner, pid, host, acquired_at, heartbeat_at FROM ${this.#table} WHERE id = 1`, [], { integers: 'number' });
          if (row !== undefined && !this.#isStale(row)) return row;
          const now = new Date().toISOString();
          await tx.run(`INSERT OR REPLACE INTO ${this.#table} (id, owner, pid, host, acquired_at, heartbeat_at) VALUES (1, ?, ?, ?, ?, ?)`, [
            this.#owner,
            process.pid,
            hostname(),
            now,
            now,
          ]);
          return undefined;
        });
        if (holder === undefined) break;
      } catch (error) {
        // Another process is inside a migration's transaction: that is waiting too.
        if (!isBusy(error)) throw error;
      }
      const waited = performance.now() - started;
      if (holder !== undefined && !warned) {
        warned = true;
        this.#options.onWait?.({ owner: holder.owner, pid: holder.pid, host: holder.host, acquiredAt: holder.acquired_at, heartbeatAt: holder.heartbeat_at });
      }
      if (waited >= this.#options.timeoutMs) {
        const who = holder === undefined ? 'another connection (the database stayed locked)' : `process ${holder.pid} on ${holder.host} since ${holder.acquired_at}`;
        throw new MigrateError(MigrateErrorCodes.LOCK_TIMEOUT, `Waited ${Math.round(waited)} ms for the migration lock, held by ${who}.`);
      }
      await sleep(Math.min(delay, Math.max(1, this.#options.timeoutMs - waited)));
      delay = Math.min(delay * 2, 250);
    }
    const interval = Math.max(50, Math.floor(this.#options.staleMs / 4));
    this.#heartbeat = setInterval(() => {
      this.#beat = this.#db
        .run(`UPDATE ${this.#table} SET heartbeat_at = ? WHERE id = 1 AND owner = ?`, [new Date().toISOString(), this.#owner])
        .catch(() => undefined);
    }, interval);
    this.#heartbeat.unref();
    return performance.now() - started;
  }

  /** Gives the lock up. */
  async release(): Promise<void> {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    await this.#beat;
    await this.#db.run(`DELETE FROM ${this.#table} WHERE id = 1 AND owner = ?`, [this.#owner]);
  }
}
