import { keywordAt } from './keywords.ts';
import type { SqlTokenKind } from './tokenize.ts';

// Character classes follow SQLite's own tokenizer (tokenize.c): identifiers may hold any character at or above
// U+0080, `$` may continue but not start one, and only these five characters are whitespace.
function isIdStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 0x80;
}

function isIdChar(c: number): boolean {
  return isIdStart(c) || (c >= 48 && c <= 57) || c === 36;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13 || c === 12;
}

/**
 * An allocation-free cursor over the tokens of a SQL text: each `next()` moves `kind`, `start` and `end` to the
 * following token. Shared by every SQL utility so they agree on what is a string, a comment or a parameter.
 * Never throws: unterminated strings, identifiers and comments run to the end of the text, and characters
 * SQLite would reject become one-character `operator` tokens.
 */
export class SqlScanner {
  readonly sql: string;
  kind: SqlTokenKind = 'whitespace';
  start = 0;
  end = 0;
  /** The keyword in uppercase for a `keyword` token (`select` gives `SELECT`); `''` for every other kind. */
  upper = '';

  constructor(sql: string) {
    this.sql = sql;
  }

  /** Moves to the next token; returns `false` (and leaves the fields alone) at the end of the text. */
  next(): boolean {
    const sql = this.sql;
    const n = sql.length;
    const i = this.end;
    if (i >= n) return false;
    this.start = i;
    this.upper = '';
    const c = sql.charCodeAt(i);
    const c1 = i + 1 < n ? sql.charCodeAt(i + 1) : 0;

    if (isSpace(c)) {
      let j = i + 1;
      while (j < n && isSpace(sql.charCodeAt(j))) j++;
      return this.#emit('whitespace', j);
    }
    if (isIdStart(c)) {
      // x'…' is a blob literal only when the quote follows the x directly.
      if ((c === 120 || c === 88) && c1 === 39) return this.#emit('blob', this.#skipPast(i + 2, 39));
      let j = i + 1;
      while (j < n && isIdChar(sql.charCodeAt(j))) j++;
      return this.#word(j);
    }
    if (isDigit(c) || (c === 46 && isDigit(c1))) return this.#emit('number', this.#number(i));
    switch (c) {
      case 39: // '
        return this.#emit('string', this.#quoted(i + 1, 39));
      case 34: // "
      case 96: // `
        return this.#emit('quoted-identifier', this.#quoted(i + 1, c));
      case 91: // [ has no escape: it ends at the first ]
        return this.#emit('quoted-identifier', this.#skipPast(i + 1, 93));
      case 45: // -
        if (c1 === 45) {
          const newline = sql.indexOf('\n', i + 2);
          return this.#emit('comment', newline === -1 ? n : newline);
        }
        if (c1 === 62) return this.#emit('operator', i + 2 < n && sql.charCodeAt(i + 2) === 62 ? i + 3 : i + 2);
        return this.#emit('operator', i + 1);
      case 47: // /
        if (c1 === 42) {
          const close = sql.indexOf('*/', i + 2);
          return this.#emit('comment', close === -1 ? n : close + 2);
        }
        return this.#emit('operator', i + 1);
      case 63: {
        // ?NNN
        let j = i + 1;
        while (j < n && isDigit(sql.charCodeAt(j))) j++;
        return this.#emit('parameter', j);
      }
      case 58: // :
      case 64: // @
      case 36: // $
        return this.#parameter(i);
      case 60: // <
        return this.#emit('operator', c1 === 61 || c1 === 62 || c1 === 60 ? i + 2 : i + 1);
      case 62: // >
        return this.#emit('operator', c1 === 61 || c1 === 62 ? i + 2 : i + 1);
      case 61: // =
      case 33: // !
        return this.#emit('operator', c1 === 61 ? i + 2 : i + 1);
      case 124: // |
        return this.#emit('operator', c1 === 124 ? i + 2 : i + 1);
      default:
        return this.#emit('operator', i + 1);
    }
  }

  #emit(kind: SqlTokenKind, end: number): true {
    this.kind = kind;
    this.end = end;
    return true;
  }

  #word(end: number): true {
    this.upper = keywordAt(this.sql, this.start, end);
    return this.#emit(this.upper === '' ? 'identifier' : 'keyword', end);
  }

  /** The end of a run quoted by `quote` that doubles the quote to escape it, from just after the opening quote. */
  #quoted(from: number, quote: number): number {
    const sql = this.sql;
    const n = sql.length;
    const quoteChar = String.fromCharCode(quote);
    let j = from;
    for (;;) {
      const close = sql.indexOf(quoteChar, j);
      if (close === -1) return n;
      if (close + 1 < n && sql.charCodeAt(close + 1) === quote) {
        j = close + 2;
        continue;
      }
      return close + 1;
    }
  }

  /** The end of a run that closes at the first `close` character, from just after the opening one. */
  #skipPast(from: number, close: number): number {
    const at = this.sql.indexOf(String.fromCharCode(close), from);
    return at === -1 ? this.sql.length : at + 1;
  }

  #number(i: number): number {
    const sql = this.sql;
    const n = sql.length;
    let j = i;
    if (sql.charCodeAt(j) === 48 && (sql.charCodeAt(j + 1) | 32) === 120 && isHexDigit(sql.charCodeAt(j + 2))) {
      j += 3;
      while (j < n && isHexDigit(sql.charCodeAt(j))) j++;
    } else {
      j = this.#digits(j);
      if (sql.charCodeAt(j) === 46) j = this.#digits(j + 1);
      if ((sql.charCodeAt(j) | 32) === 101) {
        const sign = sql.charCodeAt(j + 1);
        const first = sign === 43 || sign === 45 ? j + 2 : j + 1;
        if (isDigit(sql.charCodeAt(first))) j = this.#digits(first);
      }
    }
    // SQLite rejects `12abc` as one illegal token rather than a number and a name; keeping it whole means a
    // sanitizer replaces all of it.
    while (j < n && isIdChar(sql.charCodeAt(j))) j++;
    return j;
  }

  /** Digits with SQLite 3.46's `_` separators between them. */
  #digits(from: number): number {
    const sql = this.sql;
    let j = from;
    for (;;) {
      const d = sql.charCodeAt(j);
      if (isDigit(d)) j++;
      else if (d === 95 && j > from && isDigit(sql.charCodeAt(j + 1))) j += 2;
      else return j;
    }
  }

  /** `:name`, `@name`, `$name`, with SQLite's Tcl-style `::` segments and a trailing `(…)` suffix. */
  #parameter(i: number): true {
    const sql = this.sql;
    const n = sql.length;
    let j = i + 1;
    let nameChars = 0;
    while (j < n) {
      const d = sql.charCodeAt(j);
      if (isIdChar(d)) {
        j++;
        nameChars++;
      } else if (d === 40 && nameChars > 0) {
        let k = j + 1;
        while (k < n && sql.charCodeAt(k) !== 41 && !isSpace(sql.charCodeAt(k))) k++;
        if (k < n && sql.charCodeAt(k) === 41) j = k + 1;
        break;
      } else if (d === 58 && j + 1 < n && sql.charCodeAt(j + 1) === 58) {
        j += 2;
      } else {
        break;
      }
    }
    return nameChars === 0 ? this.#emit('operator', i + 1) : this.#emit('parameter', j);
  }
}

/** A token kept by {@link scanSignificant}. */
export interface ScannedToken {
  readonly kind: SqlTokenKind;
  readonly start: number;
  readonly end: number;
  /** The keyword in uppercase for a `keyword` token, `''` for every other kind. */
  readonly upper: string;
}

/** The tokens of `sql` without whitespace and comments, for the parsers that look ahead. */
export function scanSignificant(sql: string): ScannedToken[] {
  const tokens: ScannedToken[] = [];
  const scanner = new SqlScanner(sql);
  while (scanner.next()) {
    const kind = scanner.kind;
    if (kind === 'whitespace' || kind === 'comment') continue;
    tokens.push({ kind, start: scanner.start, end: scanner.end, upper: scanner.upper });
  }
  return tokens;
}
