import { SqlScanner } from './scanner.ts';

/**
 * The kinds of token {@link tokenizeSql} produces.
 *
 * `keyword` is a bare word that is one of SQLite's keywords (or `TRUE`/`FALSE`), whatever its case; SQLite also
 * accepts many keywords as names, so a `keyword` token may still name a column. `quoted-identifier` is `"x"`,
 * `` `x` `` or `[x]`; `string` is `'x'`; `blob` is `x'ABCD'`; `number` covers integers, decimals, exponents,
 * hexadecimal and `_` separators; `parameter` is `?`, `?NNN`, `:name`, `@name` or `$name` (with SQLite's Tcl
 * form `$a::b(c)`); `operator` is any operator or punctuation, including single characters SQLite rejects.
 */
export const SQL_TOKEN_KINDS = [
  'keyword',
  'identifier',
  'quoted-identifier',
  'string',
  'blob',
  'number',
  'parameter',
  'operator',
  'comment',
  'whitespace',
] as const;

/** One of {@link SQL_TOKEN_KINDS}. */
export type SqlTokenKind = (typeof SQL_TOKEN_KINDS)[number];

/** A token of SQL text: its kind, its offsets in the text (`end` exclusive) and its text. */
export interface SqlToken {
  readonly kind: SqlTokenKind;
  /** Offset of the first UTF-16 code unit. */
  readonly start: number;
  /** Offset just past the last UTF-16 code unit. */
  readonly end: number;
  /** `sql.slice(start, end)`, quotes and prefixes included. */
  readonly text: string;
}

/**
 * Splits SQL text into SQLite tokens, whitespace and comments included, so that joining every token's `text`
 * gives back the input.
 *
 * Follows SQLite's tokenizer: a doubled quote escapes itself inside strings and `"`/backtick identifiers, `[x]`
 * has no escape, a `--` comment ends before the line break. Never throws: unterminated strings, identifiers and
 * comments run to the end of the text, and anything else is returned as a one-character `operator`; a value
 * that is not a string gives no tokens.
 *
 * @example tokenizeSql("SELECT 'a''b' FROM t").filter((t) => t.kind !== 'whitespace').map((t) => t.kind)
 * // ['keyword', 'string', 'keyword', 'identifier']
 */
export function tokenizeSql(sql: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  if (typeof sql !== 'string') return tokens;
  const scanner = new SqlScanner(sql);
  while (scanner.next()) {
    tokens.push({
      kind: scanner.kind,
      start: scanner.start,
      end: scanner.end,
      text: sql.slice(scanner.start, scanner.end),
    });
  }
  return tokens;
}
