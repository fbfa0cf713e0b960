import { tokenize, type SqlToken } from '../sql/tokenize.ts';
import { unquoteName } from '../sql/split-statements.ts';

/** The tokens of SQL text without whitespace and comments. */
export function significantTokens(sql: string): SqlToken[] {
  return tokenize(sql).filter((t) => t.kind !== 'whitespace' && t.kind !== 'comment');
}

function normalToken(token: SqlToken): string {
  if (token.kind === 'word' || token.kind === 'quoted-identifier') {
    const name = (token.kind === 'quoted-identifier' ? unquoteName(token) : token.text).toLowerCase();
    return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
  }
  if (token.kind === 'blob' || token.kind === 'number') return token.text.toLowerCase();
  return token.text;
}

/**
 * SQL text in a canonical form for comparing definitions: comments and spacing dropped, names and keywords in
 * lower case and unquoted where they can be, string literals untouched.
 */
export function canonicalSql(sql: string | SqlToken[]): string {
  const tokens = typeof sql === 'string' ? significantTokens(sql) : sql;
  return tokens
    .filter((t, i, all) => !(i === all.length - 1 && t.text === ';'))
    .map(normalToken)
    .join(' ');
}

/** One top-level item of a CREATE TABLE body: a column definition or a table constraint. */
export interface TableItem {
  readonly kind: 'column' | 'constraint';
  /** The column's name (for a column). */
  readonly name: string;
  /** The item's text as written. */
  readonly text: string;
  readonly canonical: string;
  readonly tokens: readonly SqlToken[];
}

/** A CREATE TABLE statement taken apart. */
export interface ParsedTable {
  /** Offsets of the table name (schema prefix included) in the text. */
  readonly nameStart: number;
  readonly nameEnd: number;
  readonly items: readonly TableItem[];
  /** Canonical text after the closing parenthesis (`without rowid`, `strict`). */
  readonly options: string;
}

const CONSTRAINT_WORDS = new Set(['CONSTRAINT', 'PRIMARY', 'UNIQUE', 'CHECK', 'FOREIGN']);

/** Takes a `CREATE TABLE` statement apart; undefined for anything else (virtual tables, AS SELECT). */
export function parseCreateTable(sql: string): ParsedTable | undefined {
  const tokens = significantTokens(sql);
  const word = (i: number) => (tokens[i]?.kind === 'word' ? tokens[i]!.text.toUpperCase() : '');
  let i = 0;
  if (word(i) !== 'CREATE') return undefined;
  i++;
  if (word(i) === 'TEMP' || word(i) === 'TEMPORARY') i++;
  if (word(i) !== 'TABLE') return undefined;
  i++;
  if (word(i) === 'IF' && word(i + 1) === 'NOT' && word(i + 2) === 'EXISTS') i += 3;
  const nameStart = tokens[i]?.start ?? 0;
  if (tokens[i + 1]?.text === '.') i += 2;
  const nameEnd = tokens[i]?.end ?? 0;
  i++;
  if (tokens[i]?.text !== '(') return undefined;
  i++;
  const items: TableItem[] = [];
  let depth = 0;
  let current: SqlToken[] = [];
  const push = () => {
    if (current.length === 0) return;
    const first = current[0]!;
    const isConstraint = first.kind === 'word' && CONSTRAINT_WORDS.has(first.text.toUpperCase());
    items.push({
      kind: isConstraint ? 'constraint' : 'column',
      name: isConstraint ? '' : unquoteName(first),
      text: sql.slice(first.start, current[current.length - 1]!.end),
      canonical: canonicalSql(current),
      tokens: current,
    });
    current = [];
  };
  for (; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.text === '(') depth++;
    if (token.text === ')') {
      if (depth === 0) break;
      depth--;
    }
    if (token.text === ',' && depth === 0) {
      push();
      continue;
    }
    current.push(token);
  }
  push();
  return { nameStart, nameEnd, items, options: canonicalSql(tokens.slice(i + 1)) };
}

/** The canonical text of a CREATE statement with its object name left out, to compare definitions across names. */
export function canonicalDefinition(sql: string): string {
  const parsed = parseCreateTable(sql);
  if (parsed === undefined) return canonicalSql(sql);
  return canonicalSql(sql.slice(0, parsed.nameStart) + 'x' + sql.slice(parsed.nameEnd));
}
