/** Quotes an SQL identifier: `a"b` → `"a""b"`. */
export function quoteName(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quotes an SQL string literal: `it's` → `'it''s'`. */
export function quoteText(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
