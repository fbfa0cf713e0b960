/**
 * Splits a stream of SQL text into complete statements, the way SQLite's `sqlite3_complete()` decides that a statement
 * has ended: at a semicolon outside strings, identifiers and comments, and, inside `CREATE TRIGGER`, only at the
 * semicolon after the body's `END`. Used by `restore()` so a dump read from a file in arbitrary chunks runs statement
 * by statement.
 */
import { tokenizeSql, type SqlToken } from '../sql/tokenize.ts';

// sqlite3_complete()'s token classes and state machine (complete.c), transcribed.
const SEMI = 0;
const WS = 1;
const OTHER = 2;
const EXPLAIN = 3;
const CREATE = 4;
const TEMP = 5;
const TRIGGER = 6;
const END = 7;

const TRANSITIONS: ReadonlyArray<readonly number[]> = [
  /* 0 INVALID */ [1, 0, 2, 3, 4, 2, 2, 2],
  /* 1 START   */ [1, 1, 2, 3, 4, 2, 2, 2],
  /* 2 NORMAL  */ [1, 2, 2, 2, 2, 2, 2, 2],
  /* 3 EXPLAIN */ [1, 3, 3, 2, 4, 2, 2, 2],
  /* 4 CREATE  */ [1, 4, 2, 2, 2, 4, 5, 2],
  /* 5 TRIGGER */ [6, 5, 5, 5, 5, 5, 5, 5],
  /* 6 SEMI    */ [6, 6, 5, 5, 5, 5, 5, 7],
  /* 7 END     */ [1, 7, 5, 5, 5, 5, 5, 5],
];

function classOf(token: SqlToken): number {
  if (token.kind === 'whitespace' || token.kind === 'comment') return WS;
  if (token.kind === 'operator' && token.text === ';') return SEMI;
  if (token.kind !== 'keyword' && token.kind !== 'identifier') return OTHER;
  switch (token.text.toUpperCase()) {
    case 'EXPLAIN':
      return EXPLAIN;
    case 'CREATE':
      return CREATE;
    case 'TEMP':
    case 'TEMPORARY':
      return TEMP;
    case 'TRIGGER':
      return TRIGGER;
    case 'END':
      return END;
    default:
      return OTHER;
  }
}

/**
 * An incremental statement splitter: {@link push} text as it arrives and get back the statements it completed;
 * {@link end} returns what is left (a last statement without its semicolon, or only whitespace and comments).
 */
export class StatementSplitter {
  #pending = '';

  /** Adds text; returns the statements it completed, each with its semicolon and without surrounding whitespace. */
  push(text: string): string[] {
    const hadPending = this.#pending !== '';
    this.#pending += text;
    // A statement can only end at a semicolon: text without one completes nothing, so is not scanned again.
    if (!text.includes(';') && hadPending) return [];
    const out: string[] = [];
    let state = 0;
    let start = 0;
    let cut = 0;
    for (const token of tokenizeSql(this.#pending)) {
      const cls = classOf(token);
      state = TRANSITIONS[state]![cls]!;
      if (cls === SEMI && state === 1) {
        const statement = this.#pending.slice(start, token.end).trim();
        if (statement !== ';') out.push(statement);
        start = token.end;
        cut = token.end;
        state = 0;
      }
    }
    this.#pending = this.#pending.slice(cut);
    return out;
  }

  /** The text after the last complete statement, trimmed ('' when only whitespace and comments remain). */
  end(): string {
    const rest = this.#pending;
    this.#pending = '';
    const meaningful = tokenizeSql(rest).some((t) => t.kind !== 'whitespace' && t.kind !== 'comment');
    return meaningful ? rest.trim() : '';
  }
}
