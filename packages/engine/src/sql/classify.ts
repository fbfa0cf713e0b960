import { SqlScanner } from './scanner.ts';

const WRITE_KEYWORDS: ReadonlySet<string> = new Set(['INSERT', 'UPDATE', 'DELETE', 'REPLACE', 'RETURNING', 'UPSERT']);

/**
 * True when `sql` is certainly a statement that cannot change the database: a `SELECT`, a `VALUES`, or a `WITH`
 * query that names no `INSERT`, `UPDATE`, `DELETE`, `REPLACE` or `RETURNING`, with nothing after it. Conservative
 * by design: anything else (PRAGMA, EXPLAIN, several statements, a keyword it cannot place) is reported as a
 * possible write. Decided on the caller's thread from the text alone, without preparing the statement.
 *
 * @example isReadOnlySql('WITH t AS (SELECT 1) SELECT * FROM t') // true
 * @example isReadOnlySql('WITH t AS (SELECT 1) DELETE FROM x')  // false
 */
export function isReadOnlySql(sql: string): boolean {
  if (typeof sql !== 'string') return false;
  const scanner = new SqlScanner(sql);
  let first = true;
  let ended = false;
  while (scanner.next()) {
    const kind = scanner.kind;
    if (kind === 'whitespace' || kind === 'comment') continue;
    if (ended) return false;
    if (kind === 'operator' && sql.charCodeAt(scanner.start) === 59 /* ; */) {
      ended = true;
      continue;
    }
    if (kind !== 'keyword') {
      if (first) return false;
      continue;
    }
    const word = scanner.upper;
    if (first) {
      if (word !== 'SELECT' && word !== 'VALUES' && word !== 'WITH') return false;
      first = false;
      continue;
    }
    if (WRITE_KEYWORDS.has(word)) return false;
  }
  return !first;
}
