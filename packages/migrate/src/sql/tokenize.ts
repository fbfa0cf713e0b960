/** The kinds of token {@link tokenize} produces. Bare words (keywords or names) are all `'word'`. */
export type TokenKind = 'word' | 'quoted-identifier' | 'string' | 'blob' | 'number' | 'parameter' | 'operator' | 'comment' | 'whitespace';

/** A token of SQL text: its kind, offsets (`end` exclusive) and text. */
export interface SqlToken {
  readonly kind: TokenKind;
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_PART = /[A-Za-z0-9_$\u0080-\uffff]/;
const DIGIT = /[0-9]/;
const OPERATORS = ['->>', '||', '<=', '>=', '==', '!=', '<>', '<<', '>>', '->'];

/**
 * Splits SQL text into tokens the way SQLite's tokenizer does, whitespace and comments included (joining every
 * token's text gives the input back): doubled quotes escape themselves in strings and `"`/backtick names, `[x]` has
 * no escape, `--` comments end before the line break, unterminated strings and comments run to the end.
 */
export function tokenize(sql: string): SqlToken[] {
  const out: SqlToken[] = [];
  let i = 0;
  const push = (kind: TokenKind, end: number) => {
    out.push({ kind, start: i, end, text: sql.slice(i, end) });
    i = end;
  };
  const quoted = (close: string, escapes: boolean): number => {
    let j = i + 1;
    for (;;) {
      const k = sql.indexOf(close, j);
      if (k === -1) return sql.length;
      if (escapes && sql[k + 1] === close) {
        j = k + 2;
        continue;
      }
      return k + 1;
    }
  };
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') {
      let j = i + 1;
      while (j < sql.length && ' \t\n\r\f'.includes(sql[j]!)) j++;
      push('whitespace', j);
    } else if (c === '-' && next === '-') {
      const k = sql.indexOf('\n', i);
      push('comment', k === -1 ? sql.length : k);
    } else if (c === '/' && next === '*') {
      const k = sql.indexOf('*/', i + 2);
      push('comment', k === -1 ? sql.length : k + 2);
    } else if (c === "'") {
      push('string', quoted("'", true));
    } else if (c === '"' || c === '`') {
      push('quoted-identifier', quoted(c, true));
    } else if (c === '[') {
      push('quoted-identifier', quoted(']', false));
    } else if ((c === 'x' || c === 'X') && next === "'") {
      i++;
      const end = quoted("'", false);
      i--;
      push('blob', end);
    } else if (DIGIT.test(c) || (c === '.' && next !== undefined && DIGIT.test(next))) {
      let j = i;
      if (c === '0' && (next === 'x' || next === 'X')) {
        j += 2;
        while (j < sql.length && /[0-9a-fA-F_]/.test(sql[j]!)) j++;
      } else {
        while (j < sql.length && /[0-9_]/.test(sql[j]!)) j++;
        if (sql[j] === '.') {
          j++;
          while (j < sql.length && /[0-9_]/.test(sql[j]!)) j++;
        }
        if ((sql[j] === 'e' || sql[j] === 'E') && /[0-9+-]/.test(sql[j + 1] ?? '')) {
          j += 2;
          while (j < sql.length && DIGIT.test(sql[j]!)) j++;
        }
      }
      push('number', j);
    } else if (c === '?' || ((c === ':' || c === '@' || c === '$') && next !== undefined && WORD_PART.test(next))) {
      let j = i + 1;
      while (j < sql.length && WORD_PART.test(sql[j]!)) j++;
      push('parameter', j);
    } else if (WORD_START.test(c)) {
      let j = i + 1;
      while (j < sql.length && WORD_PART.test(sql[j]!)) j++;
      push('word', j);
    } else {
      const op = OPERATORS.find((o) => sql.startsWith(o, i));
      push('operator', i + (op?.length ?? 1));
    }
  }
  return out;
}
