import type { Queryable } from '@rapsqlite/engine';
import { quoteName } from './sql/quote.ts';

/** A row of the history table: one applied migration. */
export interface HistoryEntry {
  readonly name: string;
  /** The migration's version as decimal text (versions can be timestamps beyond 2^53). */
  readonly version: string;
  /** SHA-256 of what was applied; `null` when recorded without one (umzug, or an inline function). */
  readonly checksum: string | null;
  /** When it was applied, ISO 8601 in UTC. */
  readonly appliedAt: string;
  /** How long it took, in milliseconds; `null` when unknown. */
  readonly durationMs: number | null;
}

interface HistoryRow {
  name: string;
  version: string;
  checksum: string | null;
  applied_at: string;
  duration_ms: number | null;
}

/** The history table: its name, and the SQL that reads and writes it. */
export class History {
  readonly table: string;
  readonly #quoted: string;

  constructor(table: string) {
    this.table = table;
    this.#quoted = quoteName(table);
  }

  /** The CREATE statement of the history table. */
  get createSql(): string {
    return `CREATE TABLE IF NOT EXISTS ${this.#quoted} (
  name        TEXT PRIMARY KEY NOT NULL,
  version     TEXT NOT NULL,
  checksum    TEXT,
  applied_at  TEXT NOT NULL,
  duration_ms REAL
)`;
  }

  /** The INSERT that records an applied migration (parameters: name, version, checksum, applied_at, duration_ms). */
  get insertSql(): string {
    return `INSERT INTO ${this.#quoted} (name, version, checksum, applied_at, duration_ms) VALUES (?, ?, ?, ?, ?)`;
  }

  /** The DELETE that forgets a rolled-back migration (parameter: name). */
  get deleteSql(): string {
    return `DELETE FROM ${this.#quoted} WHERE name = ?`;
  }

  async exists(db: Queryable): Promise<boolean> {
    const row = await db.get("SELECT 1 AS found FROM sqlite_schema WHERE type = 'table' AND name = ?", [this.table]);
    return row !== undefined;
  }

  async ensure(db: Queryable): Promise<void> {
    await db.exec(this.createSql);
  }

  /** Every entry in the order it was recorded; none when the table does not exist yet. */
  async read(db: Queryable): Promise<HistoryEntry[]> {
    if (!(await this.exists(db))) return [];
    const rows = await db.all<HistoryRow>(`SELECT name, version, checksum, applied_at, duration_ms FROM ${this.#quoted} ORDER BY rowid`, [], { integers: 'number' });
    return rows.map((r) => ({ name: r.name, version: r.version, checksum: r.checksum, appliedAt: r.applied_at, durationMs: r.duration_ms }));
  }

  async record(db: Queryable, entry: HistoryEntry): Promise<void> {
    await db.run(this.insertSql, [entry.name, entry.version, entry.checksum, entry.appliedAt, entry.durationMs]);
  }

  async forget(db: Queryable, name: string): Promise<void> {
    await db.run(this.deleteSql, [name]);
  }

  async rename(db: Queryable, from: string, to: string): Promise<void> {
    await db.run(`UPDATE ${this.#quoted} SET name = ? WHERE name = ?`, [to, from]);
  }

  async setChecksum(db: Queryable, name: string, checksum: string): Promise<void> {
    await db.run(`UPDATE ${this.#quoted} SET checksum = ? WHERE name = ? AND checksum IS NULL`, [checksum, name]);
  }
}
