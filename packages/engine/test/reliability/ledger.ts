/**
 * Acknowledged-commit accounting. A writer (a child process, or the test itself) numbers each unit of work (one
 * `run`, one `runMany`, one transaction, one `exec`) and writes `S <unit> <parts>` before it issues it, `A <unit>`
 * as soon as its promise resolves, `F <unit> <code>` when it rejects, `R <unit>` before it retries it. Each unit
 * inserts `parts` rows `(unit, part)` into `t`, which has no key, so a duplicate is visible. The audit then compares
 * what the writer was told with what the file holds.
 */
import { writeSync } from 'node:fs';

/** The table every accounting writer fills. No key: a unit applied twice shows up as duplicate rows. */
export const LEDGER_TABLE = 'CREATE TABLE IF NOT EXISTS t (unit INTEGER NOT NULL, part INTEGER NOT NULL, pad BLOB)';

/** Outcome codes that leave the database unchanged by the call, by the library's rule. */
const NOT_APPLIED = new Set(['ERR_RAPSQLITE_ABORTED', 'ERR_RAPSQLITE_TIMEOUT', 'ERR_RAPSQLITE_WORKER_DIED']);

/** Writes one protocol line to stdout with a synchronous write: once it returns, the line is in the pipe. */
export function emit(line: string): void {
  const buffer = Buffer.from(`${line}\n`);
  for (let at = 0; at < buffer.length; ) {
    try {
      at += writeSync(1, buffer, at);
    } catch (err) {
      // A non-blocking pipe that is momentarily full: try again (the parent keeps reading).
      if ((err as { code?: string }).code !== 'EAGAIN') throw err;
    }
  }
}

/** What the writer reported, parsed from its lines. */
export class Ledger {
  /** unit → number of parts, for every unit the writer was about to issue. */
  readonly sent = new Map<number, number>();
  readonly acked = new Set<number>();
  /** unit → the error code it was rejected with (its last attempt's). */
  readonly failed = new Map<number, string>();
  retries = 0;

  /** Reads protocol lines (other lines are ignored). */
  add(lines: Iterable<string>): this {
    for (const line of lines) {
      const [tag, a, b] = line.split(' ');
      const unit = Number(a);
      if (tag === 'S') this.sent.set(unit, Number(b));
      else if (tag === 'A') this.acked.add(unit);
      else if (tag === 'F') this.failed.set(unit, b ?? '?');
      else if (tag === 'R') this.retries++;
    }
    return this;
  }

  /** Merges another writer's ledger (several processes writing one file). */
  merge(other: Ledger): this {
    for (const [unit, parts] of other.sent) this.sent.set(unit, parts);
    for (const unit of other.acked) this.acked.add(unit);
    for (const [unit, code] of other.failed) this.failed.set(unit, code);
    this.retries += other.retries;
    return this;
  }
}

/** What the audit found; every list should be empty. */
export interface Audit {
  readonly integrity: string;
  readonly rows: number;
  /** Acknowledged units not (wholly) in the file. */
  readonly lost: number[];
  /** Units in the file that the writer never issued. */
  readonly phantom: number[];
  /** Units with some but not all of their rows: a unit is one statement or one transaction, so never half-applied. */
  readonly partial: number[];
  /** Units whose rows are there more than once. */
  readonly duplicated: number[];
  /** Units rejected with a code that promises "not applied" (aborted, timed out, worker died) but in the file. */
  readonly appliedAfterFailure: Array<[number, string]>;
  /** Units in flight when the writer died (or of unknown outcome) that are in the file: allowed, counted. */
  readonly inFlightApplied: number;
  readonly inFlight: number;
}

/** The few query methods the audit needs (an engine `Database` or a pool). */
export interface AuditTarget {
  all<R>(sql: string): Promise<R[]>;
}

/** Compares the file with the ledger. */
export async function audit(db: AuditTarget, ledger: Ledger): Promise<Audit> {
  const check = await db.all<{ integrity_check: string }>('PRAGMA integrity_check');
  const integrity = check.map((r) => r.integrity_check).join('; ');
  const rows = await db.all<{ unit: number; part: number; n: number }>('SELECT unit, part, count(*) AS n FROM t GROUP BY unit, part');
  const parts = new Map<number, { parts: Set<number>; dup: boolean }>();
  for (const row of rows) {
    let entry = parts.get(row.unit);
    if (entry === undefined) parts.set(row.unit, (entry = { parts: new Set(), dup: false }));
    entry.parts.add(row.part);
    if (row.n > 1) entry.dup = true;
  }
  const lost: number[] = [];
  const phantom: number[] = [];
  const partial: number[] = [];
  const duplicated: number[] = [];
  const appliedAfterFailure: Array<[number, string]> = [];
  let inFlight = 0;
  let inFlightApplied = 0;
  for (const unit of ledger.acked) {
    const expected = ledger.sent.get(unit) ?? 0;
    if ((parts.get(unit)?.parts.size ?? 0) < expected) lost.push(unit);
  }
  for (const [unit, entry] of parts) {
    const expected = ledger.sent.get(unit);
    if (expected === undefined) {
      phantom.push(unit);
      continue;
    }
    if (entry.parts.size !== expected) partial.push(unit);
    if (entry.dup) duplicated.push(unit);
    const code = ledger.failed.get(unit);
    if (!ledger.acked.has(unit) && code !== undefined && NOT_APPLIED.has(code)) appliedAfterFailure.push([unit, code]);
  }
  for (const unit of ledger.sent.keys()) {
    if (ledger.acked.has(unit)) continue;
    const code = ledger.failed.get(unit);
    if (code !== undefined && code !== 'ERR_RAPSQLITE_OUTCOME_UNKNOWN') continue;
    inFlight++;
    if (parts.has(unit)) inFlightApplied++;
  }
  return { integrity, rows: rows.length, lost, phantom, partial, duplicated, appliedAfterFailure, inFlight, inFlightApplied };
}

/** The first few entries of a list, for a failure message. */
export function sample<T>(list: readonly T[], count = 10): string {
  return list.length === 0 ? '' : `${JSON.stringify(list.slice(0, count))}${list.length > count ? ` … (${list.length})` : ''}`;
}

/** What {@link killLoop} gathered. */
export interface KillLoopResult {
  readonly ledger: Ledger;
  readonly runs: number;
  readonly killedBeforeReady: number;
  /** Exit signals other than SIGKILL (a writer that died by itself), with its stderr. */
  readonly unexpectedExits: string[];
}

