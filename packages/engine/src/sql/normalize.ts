import { endsNamedOperand, isLiteral, isSign } from './literals.ts';
import { scanSignificant, type ScannedToken } from './scanner.ts';

/** What the last emitted piece was, for spacing. */
type Previous = 'start' | 'open' | 'dot' | 'name' | 'other';

/** One parenthesis level of the output, with the state of a `VALUES` list written at that level. */
interface Level {
  /** Index in the output of the `(` that opened this level, when it opened a `VALUES` row. */
  readonly rowStart: number;
  /** 0: no `VALUES` list here; 1: a row may open; 2: a row just closed. */
  values: 0 | 1 | 2;
  /** The text of the last row kept in this level's `VALUES` list. */
  lastRow: string | undefined;
  /** Output length before the `,` that preceded the row being written. */
  commaCut: number;
}

/** The normalized text being written, as pieces, so that repeated `VALUES` rows can be cut off cheaply. */
class Writer {
  readonly parts: string[] = [];
  previous: Previous = 'start';

  /** Appends `text`, after a space when `spaceBefore` and the previous piece allows one. */
  write(text: string, kind: Previous, spaceBefore: boolean): void {
    const previous = this.previous;
    if (spaceBefore && previous !== 'start' && previous !== 'open' && previous !== 'dot') this.parts.push(' ');
    this.parts.push(text);
    this.previous = kind;
  }
}

function newLevel(rowStart: number): Level {
  return { rowStart, values: 0, lastRow: undefined, commaCut: -1 };
}

function isChar(sql: string, token: ScannedToken | undefined, c: number): boolean {
  return (
    token !== undefined &&
    token.kind === 'operator' &&
    token.end - token.start === 1 &&
    sql.charCodeAt(token.start) === c
  );
}

const OPEN = 40;
const CLOSE = 41;
const COMMA = 44;
const DOT = 46;
const SEMICOLON = 59;

/** Whether a `+` or `-` after `before` is a unary sign: `before` does not end an operand. */
function isUnary(sql: string, before: ScannedToken | undefined): boolean {
  if (before === undefined) return true;
  return !isLiteral(before.kind, before.upper) && !endsNamedOperand(sql, before.kind, before.start, before.upper);
}

/**
 * If `tokens[open]` opens a list of only literals and parameters (`(1, -2, 'x', ?, :id)`), the index of its
 * closing parenthesis; otherwise -1.
 */
function constantListEnd(sql: string, tokens: readonly ScannedToken[], open: number): number {
  let j = open + 1;
  for (;;) {
    let item = tokens[j];
    if (item !== undefined && isSign(sql, item.kind, item.start, item.end) && tokens[j + 1]?.kind === 'number') {
      item = tokens[++j];
    }
    if (item === undefined || !(item.kind === 'parameter' || isLiteral(item.kind, item.upper))) return -1;
    const next = tokens[j + 1];
    if (isChar(sql, next, CLOSE)) return j + 1;
    if (!isChar(sql, next, COMMA)) return -1;
    j += 2;
  }
}

/**
 * Normalizes SQL text into the key of per-statement statistics, as pg_stat_statements does: statements that
 * differ only in constant values, bind-parameter style, list lengths, whitespace, comments or keyword case give
 * the same text.
 *
 * Comments are dropped; literals (with their sign) and parameters (`?`, `?NNN`, `:x`, `@x`, `$x`) become `?`;
 * a list of constants after `IN` becomes `IN (...)`; repeated identical rows of a `VALUES` list are kept once;
 * keywords are uppercased while names keep their case; tokens are separated by single spaces (none inside
 * parentheses, before commas or around dots); empty and trailing statements' `;` are dropped. Never throws; a
 * value that is not a string gives `''`.
 *
 * @example normalizeSql('select * from t where id in (1, 2, 3);') // 'SELECT * FROM t WHERE id IN (...)'
 */
export function normalizeSql(sql: string): string {
  if (typeof sql !== 'string') return '';
  const tokens = scanSignificant(sql);
  const out = new Writer();
  const parts = out.parts;
  let pendingSemicolon = false;
  const levels: Level[] = [newLevel(-1)];
  let level = levels[0] as Level;

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as ScannedToken;
    const { kind, start, end, upper } = token;
    const single = kind === 'operator' && end - start === 1 ? sql.charCodeAt(start) : 0;

    if (single === SEMICOLON) {
      pendingSemicolon = parts.length > 0;
      levels.length = 1;
      level = levels[0] as Level;
      level.values = 0;
      continue;
    }
    if (pendingSemicolon) {
      out.write(';', 'other', false);
      pendingSemicolon = false;
    }
    if (level.values === 1 && single !== OPEN) level.values = 0;
    if (level.values === 2 && single !== COMMA) level.values = 0;

    if (single === OPEN) {
      const row = level.values === 1;
      out.write('(', 'open', out.previous !== 'name');
      const opened = newLevel(row ? parts.length - 1 : -1);
      if (row) opened.commaCut = level.commaCut;
      levels.push(opened);
      level = opened;
    } else if (single === CLOSE) {
      out.write(')', 'other', false);
      if (levels.length === 1) continue;
      const closed = levels.pop() as Level;
      level = levels[levels.length - 1] as Level;
      if (closed.rowStart < 0) continue;
      const row = parts.slice(closed.rowStart).join('');
      if (row === level.lastRow && closed.commaCut >= 0) parts.length = closed.commaCut;
      else level.lastRow = row;
      level.values = 2;
      level.commaCut = -1;
    } else if (single === COMMA) {
      if (level.values === 2) {
        level.commaCut = parts.length;
        level.values = 1;
      }
      out.write(',', 'other', false);
    } else if (single === DOT) {
      out.write('.', 'dot', false);
    } else if (kind === 'parameter' || isLiteral(kind, upper)) {
      out.write('?', 'other', true);
    } else if (isSign(sql, kind, start, end) && tokens[i + 1]?.kind === 'number' && isUnary(sql, tokens[i - 1])) {
      // A unary sign belongs to its number, so `-1` and `1` give the same `?`.
      continue;
    } else if (kind === 'keyword') {
      if (upper === 'IN' && isChar(sql, tokens[i + 1], OPEN)) {
        const close = constantListEnd(sql, tokens, i + 1);
        if (close > 0) {
          out.write('IN', 'other', true);
          out.write('(...)', 'other', true);
          i = close;
          continue;
        }
      }
      out.write(upper, 'other', true);
      if (upper === 'VALUES') {
        level.values = 1;
        level.lastRow = undefined;
        level.commaCut = -1;
      }
    } else if (kind === 'identifier' || kind === 'quoted-identifier') {
      out.write(sql.slice(start, end), 'name', true);
    } else {
      out.write(sql.slice(start, end), 'other', true);
    }
  }
  return parts.join('');
}
