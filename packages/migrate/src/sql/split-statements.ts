import { tokenize, type SqlToken } from './tokenize.ts';

/** One statement of a script: its text (without the closing semicolon) and its significant tokens. */
export interface ScriptStatement {
  /** The statement's text from its first significant token to just before its semicolon. */
  readonly text: string;
  /** The statement's tokens without whitespace and comments. */
  readonly tokens: readonly SqlToken[];
}

/** Words (bare or quoted names, keywords) upper-cased and unquoted; other tokens as written. */
export function wordOf(token: SqlToken | undefined): string {
  if (token === undefined) return '';
  if (token.kind === 'word') return token.text.toUpperCase();
  return token.text;
}

/** The unquoted text of a name token (`"a""b"` → `a"b`, `[x]` → `x`). */
export function unquoteName(token: SqlToken): string {
  const text = token.text;
  if (token.kind === 'quoted-identifier' || token.kind === 'string') {
    const open = text[0];
    if (open === '[') return text.slice(1, -1);
    const close = open ?? '"';
    return text.slice(1, -1).split(close + close).join(close);
  }
  return text;
}

/**
 * Splits a script into statements where SQLite's `sqlite3_complete()` would: at a semicolon outside strings,
 * names and comments and, inside `CREATE TRIGGER`, only at the semicolon after `; END`. Empty statements and a
 * script's trailing comments are dropped; a last statement without a semicolon is kept.
 */
export function splitStatements(sql: string): ScriptStatement[] {
  const out: ScriptStatement[] = [];
  let current: SqlToken[] = [];
  let start = -1;
  let inTrigger = false;
  const finish = (end: number): void => {
    if (current.length > 0) out.push({ text: sql.slice(start, end).trim(), tokens: current });
    current = [];
    start = -1;
    inTrigger = false;
  };
  for (const token of tokenize(sql)) {
    if (token.kind === 'whitespace' || token.kind === 'comment') continue;
    if (token.kind === 'operator' && token.text === ';') {
      const last = current[current.length - 1];
      const beforeLast = current[current.length - 2];
      // In a trigger body every statement ends with `;`: only `; END ;` closes the CREATE TRIGGER itself.
      if (inTrigger && !(wordOf(last) === 'END' && beforeLast?.text === ';')) {
        current.push(token);
        continue;
      }
      finish(token.start);
      continue;
    }
    if (start === -1) start = token.start;
    current.push(token);
    if (current.length <= 4 && wordOf(token) === 'TRIGGER') {
      const words = current.map(wordOf);
      inTrigger = words[0] === 'CREATE' && words.slice(1, -1).every((w) => w === 'TEMP' || w === 'TEMPORARY');
    }
  }
  finish(sql.length);
  return out;
}
