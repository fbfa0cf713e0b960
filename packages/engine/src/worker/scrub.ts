/**
 * Removes bound values from an error message. SQLite echoes some values it was given in its own messages (a JSON
 * path, an FTS5 query term, an ATTACH or VACUUM INTO file name), and a user function may put its arguments in the
 * error it throws; messages end up in logs, so they must never carry parameters.
 *
 * Two passes, both on the failing statement's bound values:
 * 1. every occurrence of a bound text value (or a blob read as UTF-8) of 3 characters or more, and of a bound number
 *    written with 4 characters or more, becomes `[redacted]`;
 * 2. every word of the message (a run of letters, digits and `_`, `@`, `-`, `/`, `.`… between spaces, quotes and
 *    punctuation) of 3 characters or more that occurs inside a bound text value and not in the SQL text becomes
 *    `[redacted]`, which catches a fragment of a value (an FTS5 query's `no such column: term`).
 * Shorter values are left alone: they cannot be told from the words of SQLite's own messages.
 */
export const REDACTED = '[redacted]';

const MIN_TEXT = 3;
const MIN_NUMBER = 4;
const decoder = new TextDecoder('utf-8', { fatal: true });

function collect(value: unknown, texts: string[], numbers: string[]): void {
  if (typeof value === 'string') {
    if (value.length >= MIN_TEXT) texts.push(value);
  } else if (typeof value === 'number' || typeof value === 'bigint') {
    const text = String(value);
    if (text.length >= MIN_NUMBER) numbers.push(text);
  } else if (value instanceof Uint8Array) {
    try {
      const text = decoder.decode(value);
      if (text.length >= MIN_TEXT) texts.push(text);
    } catch {
      // Not UTF-8: SQLite would not print it as text either.
    }
  }
}

/** The bound values of a request's parameters: an array, a named object, a single value (or a list of sets). */
function boundValues(params: unknown, texts: string[], numbers: string[], depth = 0): void {
  if (Array.isArray(params)) {
    for (const value of params) {
      if (depth === 0 && (Array.isArray(value) || isRecord(value))) boundValues(value, texts, numbers, 1);
      else collect(value, texts, numbers);
    }
  } else if (isRecord(params)) {
    for (const key in params) collect(params[key], texts, numbers);
  } else {
    collect(params, texts, numbers);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !ArrayBuffer.isView(value) && !Array.isArray(value);
}

/** `message` without the values bound to the statement `sql`. */
export function scrubMessage(message: string, sql: string, params: unknown): string {
  if (params === undefined || params === null) return message;
  const texts: string[] = [];
  const numbers: string[] = [];
  boundValues(params, texts, numbers);
  if (texts.length === 0 && numbers.length === 0) return message;
  let out = message;
  // Longest first, so a value that contains another is removed whole.
  for (const value of [...texts, ...numbers].sort((a, b) => b.length - a.length)) {
    if (out.includes(value)) out = out.split(value).join(REDACTED);
  }
  if (texts.length === 0) return out;
  const lowerSql = sql.toLowerCase();
  return out.replace(/[^\s'"`:;,()[\]{}<>=]+/g, (word) => {
    if (word.length < MIN_TEXT || word === REDACTED) return word;
    // Words of the SQL text (table and column names) are the statement's, not a value's.
    for (const part of word.split('.')) {
      if (part.length >= MIN_TEXT && !lowerSql.includes(part.toLowerCase()) && texts.some((text) => text.includes(part))) return REDACTED;
    }
    return word;
  });
}
