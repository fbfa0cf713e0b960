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
 * which `quote()` would cut at the NUL: such text becomes `CAST(X'..' AS TEXT)` of its bytes.
 */
export function literalExpression(column: string): string {
  return `CASE WHEN typeof(${column}) = 'text' AND instr(CAST(${column} AS BLOB), X'00') > 0 THEN 'CAST(' || quote(CAST(${column} AS BLOB)) || ' AS TEXT)' ELSE quote(${column}) END`;
}
