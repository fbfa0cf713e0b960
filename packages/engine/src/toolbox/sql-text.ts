/** Small SQL text helpers shared by the toolbox. */

/** Quotes an identifier for SQLite: `"a ""b"""`. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quotes a string literal: `'it''s'`. */
export function quoteString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** Lower-cases ASCII letters only, as SQLite compares identifiers (`"Ä"` and `"ä"` stay different). */
export function foldName(name: string): string {
  return name.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

/** True when two identifiers name the same object for SQLite. */
export function sameName(a: string, b: string): boolean {
  return a === b || foldName(a) === foldName(b);
}

/**
 * An SQL expression that renders column expression `column` as an exact SQL literal: SQLite's own `quote()`, which
 * writes integers and round-trip reals exactly, `X'..'` for blobs and `NULL`, except for text holding a NUL character,
 * which `quote()` would cut at the NUL: such text becomes `CAST(X'..' AS TEXT)` of its bytes. With `signedZero` (SQLite
 * built with its math functions), a real -0.0, which `quote()` writes as `0.0`, is written `-0.0`: SQLite's functions
 * cannot see the sign, but `atan2(-0.0, -1)` is -π.
 */
export function literalExpression(column: string, signedZero = false): string {
  const zero = signedZero ? `WHEN typeof(${column}) = 'real' AND ${column} = 0 AND atan2(${column}, -1) < 0 THEN '-0.0' ` : '';
  return `CASE ${zero}WHEN typeof(${column}) = 'text' AND instr(CAST(${column} AS BLOB), X'00') > 0 THEN 'CAST(' || quote(CAST(${column} AS BLOB)) || ' AS TEXT)' ELSE quote(${column}) END`;
}
