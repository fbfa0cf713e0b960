import { endsNamedOperand, isLiteral, isSign, startsNumber } from './literals.ts';
import { SqlScanner } from './scanner.ts';
import type { SqlTokenKind } from './tokenize.ts';

/**
 * Replaces every literal in SQL text with `?`, for OpenTelemetry's `db.query.text` when the text has inline
 * values.
 *
 * Strings, blobs, numbers (with their sign: `-12` becomes one `?`, as the OpenTelemetry test vectors expect) and
 * `TRUE`/`FALSE` become `?`; comments are removed, since they may hold anything; bind parameters, names,
 * keywords, whitespace and punctuation are kept byte for byte. Never throws; a value that is not a string gives
 * `''`. Returns the input itself when there is nothing to replace.
 *
 * @example sanitizeSql("SELECT * FROM u WHERE name = 'bob' OR n > -3") // 'SELECT * FROM u WHERE name = ? OR n > ?'
 */
export function sanitizeSql(sql: string): string {
  if (typeof sql !== 'string') return '';
  const scanner = new SqlScanner(sql);
  let out = '';
  let copied = 0;
  let prevKind: SqlTokenKind | undefined;
  let prevStart = 0;
  let prevUpper = '';
  while (scanner.next()) {
    const { kind, start, end, upper } = scanner;
    if (kind === 'whitespace') continue;
    if (kind === 'comment') {
      out += sql.slice(copied, start);
      copied = end;
      continue;
    }
    if (isLiteral(kind, upper)) {
      out += sql.slice(copied, start) + '?';
      copied = end;
    } else if (
      isSign(sql, kind, start, end) &&
      startsNumber(sql, end) &&
      !endsNamedOperand(sql, prevKind, prevStart, prevUpper)
    ) {
      // Dropping the sign here lets the number that follows it become the single `?`.
      out += sql.slice(copied, start);
      copied = end;
    }
    prevKind = kind;
    prevStart = start;
    prevUpper = upper;
  }
  return copied === 0 ? sql : out + sql.slice(copied);
}

/**
 * Tells whether SQL text holds a literal value (string, blob, number or `TRUE`/`FALSE`) outside comments, that
 * is whether {@link sanitizeSql} would replace anything but comments. Parameterized text without literals may be
 * recorded as is. Never throws.
 *
 * @example hasLiterals('SELECT * FROM users WHERE id = ?') // false
 */
export function hasLiterals(sql: string): boolean {
  if (typeof sql !== 'string') return false;
  const scanner = new SqlScanner(sql);
  while (scanner.next()) if (isLiteral(scanner.kind, scanner.upper)) return true;
  return false;
}
