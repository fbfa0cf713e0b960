/**
 * SQLite's 147 keywords (https://sqlite.org/lang_keywords.html), uppercase, plus `TRUE` and `FALSE`, which
 * SQLite reads as the boolean literals 1 and 0 unless a column has that name.
 */
const SQLITE_KEYWORDS: readonly string[] = [
  'ABORT', 'ACTION', 'ADD', 'AFTER', 'ALL', 'ALTER', 'ALWAYS', 'ANALYZE', 'AND', 'AS', 'ASC', 'ATTACH',
  'AUTOINCREMENT', 'BEFORE', 'BEGIN', 'BETWEEN', 'BY', 'CASCADE', 'CASE', 'CAST', 'CHECK', 'COLLATE', 'COLUMN',
  'COMMIT', 'CONFLICT', 'CONSTRAINT', 'CREATE', 'CROSS', 'CURRENT', 'CURRENT_DATE', 'CURRENT_TIME',
  'CURRENT_TIMESTAMP', 'DATABASE', 'DEFAULT', 'DEFERRABLE', 'DEFERRED', 'DELETE', 'DESC', 'DETACH', 'DISTINCT',
  'DO', 'DROP', 'EACH', 'ELSE', 'END', 'ESCAPE', 'EXCEPT', 'EXCLUDE', 'EXCLUSIVE', 'EXISTS', 'EXPLAIN', 'FAIL',
  'FILTER', 'FIRST', 'FOLLOWING', 'FOR', 'FOREIGN', 'FROM', 'FULL', 'GENERATED', 'GLOB', 'GROUP', 'GROUPS',
  'HAVING', 'IF', 'IGNORE', 'IMMEDIATE', 'IN', 'INDEX', 'INDEXED', 'INITIALLY', 'INNER', 'INSERT', 'INSTEAD',
  'INTERSECT', 'INTO', 'IS', 'ISNULL', 'JOIN', 'KEY', 'LAST', 'LEFT', 'LIKE', 'LIMIT', 'MATCH', 'MATERIALIZED',
  'NATURAL', 'NO', 'NOT', 'NOTHING', 'NOTNULL', 'NULL', 'NULLS', 'OF', 'OFFSET', 'ON', 'OR', 'ORDER', 'OTHERS',
  'OUTER', 'OVER', 'PARTITION', 'PLAN', 'PRAGMA', 'PRECEDING', 'PRIMARY', 'QUERY', 'RAISE', 'RANGE', 'RECURSIVE',
  'REFERENCES', 'REGEXP', 'REINDEX', 'RELEASE', 'RENAME', 'REPLACE', 'RESTRICT', 'RETURNING', 'RIGHT',
  'ROLLBACK', 'ROW', 'ROWS', 'SAVEPOINT', 'SELECT', 'SET', 'TABLE', 'TEMP', 'TEMPORARY', 'THEN', 'TIES', 'TO',
  'TRANSACTION', 'TRIGGER', 'UNBOUNDED', 'UNION', 'UNIQUE', 'UPDATE', 'USING', 'VACUUM', 'VALUES', 'VIEW',
  'VIRTUAL', 'WHEN', 'WHERE', 'WINDOW', 'WITH', 'WITHOUT',
  'TRUE', 'FALSE',
];

/** The longest keyword, `CURRENT_TIMESTAMP`. */
const MAX_LENGTH = 17;

// Keywords grouped by length and first letter, so a word is compared with at most a handful of candidates and
// no uppercased copy of it is ever made.
const BUCKETS: Array<string[] | undefined> = [];
for (const keyword of SQLITE_KEYWORDS) {
  const key = keyword.length * 32 + (keyword.charCodeAt(0) - 65);
  const bucket = BUCKETS[key];
  if (bucket === undefined) BUCKETS[key] = [keyword];
  else bucket.push(keyword);
}

/**
 * The keyword that `sql.slice(start, end)` spells in any case, in uppercase; `''` when the word is not a
 * keyword. SQLite folds case for ASCII letters only, and so does this.
 */
export function keywordAt(sql: string, start: number, end: number): string {
  const length = end - start;
  if (length < 2 || length > MAX_LENGTH) return '';
  const first = sql.charCodeAt(start) & ~32;
  if (first < 65 || first > 90) return '';
  const candidates = BUCKETS[length * 32 + (first - 65)];
  if (candidates === undefined) return '';
  for (const keyword of candidates) {
    let k = 1;
    while (k < length) {
      let c = sql.charCodeAt(start + k);
      if (c >= 97 && c <= 122) c -= 32;
      if (c !== keyword.charCodeAt(k)) break;
      k++;
    }
    if (k === length) return keyword;
  }
  return '';
}
