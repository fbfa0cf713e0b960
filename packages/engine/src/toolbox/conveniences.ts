/**
 * Conveniences over any handle: `insert` (the new rowid, as aiosqlite's `execute_insert`), `scalar` (one value) and
 * `exists` (whether a query returns a row).
 */
import type { Queryable } from '../handle/queryable.ts';
import { ErrorCodes } from '../errors/codes.ts';
import { RapsqliteError } from '../errors/rapsqlite-error.ts';
import { tokenizeSql } from '../sql/tokenize.ts';
import type { Params, QueryOptions } from '../types.ts';

const insertChecks = new Map<string, string | undefined>();

/** Why `sql` is not a statement whose rowid `insert()` can report, or undefined when it is. */
function insertProblem(sql: string): string | undefined {
  if (insertChecks.has(sql)) return insertChecks.get(sql);
  const tokens = tokenizeSql(sql).filter((t) => t.kind !== 'whitespace' && t.kind !== 'comment');
  let depth = 0;
  let verb: string | undefined;
  let doUpdate = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.text === '(') depth++;
    else if (t.text === ')') depth--;
    else if (depth === 0 && t.kind === 'keyword') {
      const word = t.text.toUpperCase();
      if (verb === undefined && (word === 'INSERT' || word === 'REPLACE' || word === 'UPDATE' || word === 'DELETE' || word === 'SELECT')) verb = word;
      if (word === 'DO' && tokens[i + 1]?.text.toUpperCase() === 'UPDATE') doUpdate = true;
    }
  }
  let problem: string | undefined;
  if (verb !== 'INSERT' && verb !== 'REPLACE') problem = 'insert() runs an INSERT or REPLACE statement; use run() for others';
  else if (doUpdate) {
    // After ON CONFLICT DO UPDATE, changes is 1 but last_insert_rowid() still names an earlier insert.
    problem = 'insert() cannot report the row of an upsert (ON CONFLICT DO UPDATE): add RETURNING rowid and use get()';
  }
  if (insertChecks.size >= 512) insertChecks.clear();
  insertChecks.set(sql, problem);
  return problem;
}

/**
 * Runs an INSERT (or REPLACE) and resolves with the new row's rowid: a number, or a bigint beyond ±(2^53−1) or in
 * the `'bigint'` integer mode. Resolves undefined when the statement inserted nothing (`INSERT OR IGNORE`, `ON
 * CONFLICT DO NOTHING`); with several rows, the last one's. An upsert with `DO UPDATE` and any statement that is not
 * an INSERT are refused (`ERR_RAPSQLITE_INVALID_ARGUMENT`): SQLite's last rowid would name an earlier row.
 *
 * @example
 * ```ts
 * const id = await insert(db, 'INSERT INTO users (name) VALUES (?)', ['Ada']);
 * ```
 */
export async function insert(db: Queryable, sql: string, params?: Params, options?: QueryOptions): Promise<number | bigint | undefined> {
  if (typeof sql !== 'string') throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, 'SQL must be a string');
  const problem = insertProblem(sql);
  if (problem !== undefined) throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, problem, { sql });
  const { changes, lastInsertRowid } = await db.run(sql, params, options);
  return changes > 0 ? lastInsertRowid : undefined;
}

/**
 * Runs a query and resolves with the first column of its first row, or undefined when it returns no row (a NULL
 * value is `null`). Integers follow the `integers` mode.
 *
 * @example
 * ```ts
 * const count = await scalar(db, 'SELECT count(*) FROM users WHERE active = ?', [1]);
 * ```
 */
export async function scalar<T = unknown>(db: Queryable, sql: string, params?: Params, options?: QueryOptions): Promise<T | undefined> {
  // values() keeps column order and duplicate names, which an object row would not.
  const { rows } = await db.values(sql, params, options);
  return rows[0]?.[0] as T | undefined;
}

/**
 * Resolves true when the query returns at least one row. The worker steps the statement once; wrap a costly query
 * as `SELECT 1 FROM … LIMIT 1` yourself only if it computes more than its first row.
 *
 * @example
 * ```ts
 * if (await exists(db, 'SELECT 1 FROM users WHERE email = ?', [email])) return conflict();
 * ```
 */
export async function exists(db: Queryable, sql: string, params?: Params, options?: QueryOptions): Promise<boolean> {
  return (await db.get(sql, params, options)) !== undefined;
}
