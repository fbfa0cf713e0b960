import type { SqlTokenKind } from './tokenize.ts';

/** Whether a token is a literal value: a string, blob or number, or the boolean `TRUE`/`FALSE`. */
export function isLiteral(kind: SqlTokenKind, upper: string): boolean {
  return (
    kind === 'string' ||
    kind === 'number' ||
    kind === 'blob' ||
    (kind === 'keyword' && (upper === 'TRUE' || upper === 'FALSE'))
  );
}

/** Keywords that end an operand, so a `+` or `-` after them is binary. */
const OPERAND_KEYWORDS: ReadonlySet<string> = new Set([
  'NULL',
  'END',
  'CURRENT_DATE',
  'CURRENT_TIME',
  'CURRENT_TIMESTAMP',
]);

/**
 * Whether the token of `kind` starting at `start` ends an operand that is not a literal (a name, a parameter,
 * a closing parenthesis, `NULL`…), so that a `+` or `-` after it is a binary operator rather than the sign of
 * the next number. `kind` is `undefined` at the start of the text.
 */
export function endsNamedOperand(sql: string, kind: SqlTokenKind | undefined, start: number, upper: string): boolean {
  switch (kind) {
    case 'identifier':
    case 'quoted-identifier':
    case 'parameter':
      return true;
    case 'keyword':
      return OPERAND_KEYWORDS.has(upper);
    case 'operator':
      return sql.charCodeAt(start) === 41;
    default:
      return false;
  }
}

/** Whether the token `start..end` is a lone `+` or `-`. */
export function isSign(sql: string, kind: SqlTokenKind, start: number, end: number): boolean {
  if (kind !== 'operator' || end - start !== 1) return false;
  const c = sql.charCodeAt(start);
  return c === 43 || c === 45;
}

/** Whether a number literal starts at `at`: a digit, or a point followed by a digit. */
export function startsNumber(sql: string, at: number): boolean {
  const c = sql.charCodeAt(at);
  if (c >= 48 && c <= 57) return true;
  const d = sql.charCodeAt(at + 1);
  return c === 46 && d >= 48 && d <= 57;
}
