/**
 * `restore()`: runs SQL text (a dump) against a database in one transaction, statement by statement, from a string
 * or a stream of chunks cut anywhere. All or nothing: a failing statement rolls everything back.
 */
import type { Queryable } from '../handle/queryable.ts';
import { ErrorCodes } from '../errors/codes.ts';
import { ToolboxErrorCodes } from './codes.ts';
import { RapsqliteError } from '../errors/rapsqlite-error.ts';
import { TextDecoder } from 'node:util';
import { StatementSplitter } from './sql-split.ts';

/** Where restore() reads SQL from: text, or chunks of text or bytes (UTF-8), e.g. `dump(db)` or a file stream. */
export type RestoreSource = string | Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>;

/** Options of {@link restore}. */
export interface RestoreOptions {
  /**
   * `'check'` (default): foreign keys are checked once, at COMMIT (`PRAGMA defer_foreign_keys`), so rows may come in
   * any order but a dump of inconsistent data fails with `SQLITE_CONSTRAINT_FOREIGNKEY` and restores nothing.
   * `'off'`: foreign keys are switched off for the restore, as the sqlite3 shell does, and back on afterwards;
   * other calls on the same connection during the restore then run without them too.
   */
  readonly foreignKeys?: 'check' | 'off';
  /** Characters of SQL sent to the worker per `exec` (default 262 144). */
  readonly batchSize?: number;
}

/** What {@link restore} did. */
export interface RestoreResult {
  /** Statements executed (the dump's own PRAGMA, BEGIN and COMMIT excluded). */
  readonly statements: number;
}

const OPENS = /^BEGIN\b/i;
const ENDS = /^(?:COMMIT|END)\b/i;
const FRAMING = /^(?:PRAGMA\s+foreign_keys\s*=\s*(?:OFF|0|false|no)|BEGIN(?:\s+(?:DEFERRED|IMMEDIATE|EXCLUSIVE))?(?:\s+TRANSACTION)?|COMMIT(?:\s+TRANSACTION)?|END(?:\s+TRANSACTION)?)\s*;?$/i;
const ROLLBACK = /^ROLLBACK\b/i;

function invalid(message: string): RapsqliteError {
  return new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, message);
}

function decode(decoder: TextDecoder, bytes: Uint8Array | undefined): string {
  try {
    return bytes === undefined ? decoder.decode() : decoder.decode(bytes, { stream: true });
  } catch (err) {
    throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, 'The SQL bytes are not valid UTF-8', { cause: err });
  }
}

async function* chunksOf(source: RestoreSource): AsyncGenerator<string> {
  if (typeof source === 'string') {
    yield source;
    return;
  }
  if (typeof source !== 'object' || source === null || (!(Symbol.asyncIterator in source) && !(Symbol.iterator in source))) {
    throw invalid('restore() reads a string or an iterable of strings or bytes');
  }
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for await (const chunk of source as AsyncIterable<string | Uint8Array>) {
    if (typeof chunk === 'string') yield chunk;
    else if (chunk instanceof Uint8Array) yield decode(decoder, chunk);
    else throw invalid('restore() reads chunks of text or bytes');
  }
  const rest = decode(decoder, undefined);
  if (rest !== '') yield rest;
}

/**
 * Runs a dump (from {@link dump}, the sqlite3 shell's `.dump`, or any SQL script) in one write transaction. The
 * dump's own `PRAGMA foreign_keys=OFF`, `BEGIN` and `COMMIT` are left out: the restore brings its own transaction
 * and foreign-key handling (see {@link RestoreOptions.foreignKeys}). Restore into an empty database: an existing
 * table of the same name fails the restore (SQLite's code), with nothing changed. Text that opens a transaction and
 * ends before its COMMIT (a dump cut short) restores nothing and fails with `ERR_RAPSQLITE_RESTORE_INCOMPLETE`.
 *
 * A shell dump with virtual tables writes `sqlite_schema` directly (`PRAGMA writable_schema`), which rapsqlite's
 * defensive connections refuse; dumps made by {@link dump} recreate virtual tables with `CREATE VIRTUAL TABLE`.
 *
 * @example
 * ```ts
 * import { createReadStream } from 'node:fs';
 * await using copy = await open('copy.db');
 * await restore(copy, createReadStream('backup.sql'));
 * ```
 */
export async function restore(db: Queryable, source: RestoreSource, options: RestoreOptions = {}): Promise<RestoreResult> {
  const { foreignKeys = 'check', batchSize = 262_144 } = options;
  if (foreignKeys !== 'check' && foreignKeys !== 'off') throw invalid("Option foreignKeys must be 'check' or 'off'");
  if (!Number.isInteger(batchSize) || batchSize < 1) throw invalid('Option batchSize must be a positive integer');
  const run = () =>
    db.transaction(async (tx) => {
      if (foreignKeys === 'check') await tx.exec('PRAGMA defer_foreign_keys = ON');
      const splitter = new StatementSplitter();
      let statements = 0;
      // A dump opens its transaction (BEGIN) and ends it (COMMIT): text that opens one and stops before the end is a
      // dump cut short (an interrupted `dump > file`), whose rows must not be committed as if they were all.
      let open = false;
      let batch: string[] = [];
      let size = 0;
      const take = async (statement: string, force: boolean): Promise<void> => {
        if (statement !== '') {
          if (ROLLBACK.test(statement)) throw invalid('The SQL text rolls back its own transaction (a dump that ended in errors?)');
          if (FRAMING.test(statement)) {
            if (OPENS.test(statement)) open = true;
            else if (ENDS.test(statement)) open = false;
          } else {
            batch.push(statement);
            size += statement.length;
            statements++;
          }
        }
        if (batch.length > 0 && (force || size >= batchSize)) {
          const script = batch.join('\n');
          batch = [];
          size = 0;
          await tx.exec(script);
        }
      };
      for await (const chunk of chunksOf(source)) {
        for (const statement of splitter.push(chunk)) await take(statement, false);
      }
      const rest = splitter.end();
      // Checked before the rest runs: the rest of a dump cut mid-statement is a fragment SQLite would refuse.
      if (!open || ENDS.test(rest)) await take(rest, true);
      if (open) {
        throw new RapsqliteError(ToolboxErrorCodes.RESTORE_INCOMPLETE, 'The SQL text opens a transaction (BEGIN) and ends before its COMMIT: it is a dump cut short. Nothing was restored.');
      }
      return { statements };
    });
  if (foreignKeys === 'check') return run();
  const before = await db.get<{ foreign_keys: number }>('PRAGMA foreign_keys');
  await db.exec('PRAGMA foreign_keys = OFF');
  try {
    return await run();
  } finally {
    if (before?.foreign_keys === 1) await db.exec('PRAGMA foreign_keys = ON');
  }
}
