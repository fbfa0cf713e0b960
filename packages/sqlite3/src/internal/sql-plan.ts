import { SqlMemo } from '@rapsqlite/engine/plugin';
import { tokenizeSql, type SqlToken } from '@rapsqlite/engine/sql';

/**
 * How bound values reach the engine for one statement: nothing to bind, an array for `?` slots, an object for named
 * parameters, an array for gap-free `?NNN` slots, or an array for SQL whose parameters were renumbered to `?1..?n`
 * (mixed kinds, gaps, or names that differ only by their prefix, which better-sqlite3 cannot bind apart).
 */
export type BindMode = 'none' | 'positional' | 'named' | 'numbered' | 'rewritten';

/** A parameter occurrence in the statement text, for rendering the expanded SQL of a `trace` event. */
export interface ParameterSite {
  readonly start: number;
  readonly end: number;
  readonly index: number;
}

/** What one SQL text means to node-sqlite3: its first statement, its parameter slots, what kind of statement it is. */
export interface SqlPlan {
  /** The first statement as SQLite keeps it (up to and including its `;`), as `trace` and `profile` report it. */
  readonly text: string;
  /** The SQL sent to the engine: the first statement, renumbered when `mode` is `'rewritten'`. */
  readonly sql: string;
  /** No statement at all (empty text, only comments or `;`): node-sqlite3 fails every run with `SQLITE_MISUSE`. */
  readonly empty: boolean;
  /** `sqlite3_bind_parameter_count`: the highest parameter index. */
  readonly count: number;
  /** `sqlite3_bind_parameter_index`: a parameter name with its prefix (`:id`, `$id`, `?2`) to its index. */
  readonly indexOf: ReadonlyMap<string, number>;
  readonly mode: BindMode;
  /** For `'named'`: the engine's key (the name without prefix) of each index. */
  readonly keys: readonly string[];
  /** For `'rewritten'`: the original index of each engine slot. */
  readonly order: readonly number[];
  readonly sites: readonly ParameterSite[];
  /** An INSERT, UPDATE, DELETE or REPLACE: its run reports its own change count (other statements report the last one). */
  readonly dml: boolean;
  /** Whether the statement returns rows; `undefined` until learned (a PRAGMA), then set once. */
  reader: boolean | undefined;
}

// sqlite3_complete's state machine (SQLite's complete.c): tells the semicolon that ends a statement from one inside a
// CREATE TRIGGER body. Tokens: 0 semicolon, 1 whitespace/comment, 2 other, 3 EXPLAIN, 4 CREATE, 5 TEMP, 6 TRIGGER, 7 END.
const TRANSITIONS: readonly (readonly number[])[] = [
  [1, 0, 2, 3, 4, 2, 2, 2],
  [1, 1, 2, 3, 4, 2, 2, 2],
  [1, 2, 2, 2, 2, 2, 2, 2],
  [1, 3, 3, 2, 4, 2, 2, 2],
  [1, 4, 2, 2, 2, 4, 5, 2],
  [6, 5, 5, 5, 5, 5, 5, 5],
  [6, 6, 5, 5, 5, 5, 5, 7],
  [1, 7, 5, 5, 5, 5, 5, 5],
];

function tokenClass(token: SqlToken): number {
  if (token.kind === 'whitespace' || token.kind === 'comment') return 1;
  if (token.kind === 'operator' && token.text === ';') return 0;
  if (token.kind !== 'keyword' && token.kind !== 'identifier') return 2;
  switch (token.text.toUpperCase()) {
    case 'EXPLAIN':
      return 3;
    case 'CREATE':
      return 4;
    case 'TEMP':
    case 'TEMPORARY':
      return 5;
    case 'TRIGGER':
      return 6;
    case 'END':
      return 7;
    default:
      return 2;
  }
}

/** One statement of a script: its tokens and its text (leading whitespace kept, as sqlite3_sql keeps it). */
export interface StatementSpan {
  readonly tokens: readonly SqlToken[];
  readonly start: number;
  readonly end: number;
  /** True when it holds something besides whitespace, comments and semicolons. */
  readonly significant: boolean;
}

/** Splits tokens into statements the way SQLite's prepare consumes them (a trigger body stays whole). */
export function splitStatements(tokens: readonly SqlToken[]): StatementSpan[] {
  const spans: StatementSpan[] = [];
  let state = 1;
  let from = 0;
  let significant = false;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as SqlToken;
    const cls = tokenClass(token);
    if (cls >= 2) significant = true;
    state = (TRANSITIONS[state] as readonly number[])[cls] as number;
    if (cls === 0 && state === 1) {
      const part = tokens.slice(from, i + 1);
      spans.push({ tokens: part, start: (part[0] as SqlToken).start, end: token.end, significant });
      from = i + 1;
      significant = false;
    }
  }
  if (from < tokens.length) {
    const part = tokens.slice(from);
    spans.push({ tokens: part, start: (part[0] as SqlToken).start, end: (part[part.length - 1] as SqlToken).end, significant });
  }
  return spans;
}

const VERBS = new Set(['SELECT', 'VALUES', 'INSERT', 'REPLACE', 'UPDATE', 'DELETE']);
const DML = new Set(['INSERT', 'REPLACE', 'UPDATE', 'DELETE']);

/** Whether a statement returns rows and whether it is DML, from its leading keyword (and, after WITH, its main verb). */
function classify(tokens: readonly SqlToken[]): { reader: boolean | undefined; dml: boolean } {
  const significant = tokens.filter((t) => t.kind !== 'whitespace' && t.kind !== 'comment');
  const first = significant[0]?.text.toUpperCase();
  let verb = first;
  let depth = 0;
  let verbAt = 0;
  if (first === 'WITH') {
    verb = undefined;
    for (let i = 1; i < significant.length; i++) {
      const t = significant[i] as SqlToken;
      if (t.text === '(') depth++;
      else if (t.text === ')') depth--;
      else if (depth === 0 && t.kind === 'keyword' && VERBS.has(t.text.toUpperCase())) {
        verb = t.text.toUpperCase();
        verbAt = i;
        break;
      }
    }
  }
  if (verb === 'EXPLAIN' || verb === 'SELECT' || verb === 'VALUES') return { reader: true, dml: false };
  if (verb !== undefined && DML.has(verb)) {
    depth = 0;
    for (let i = verbAt; i < significant.length; i++) {
      const t = significant[i] as SqlToken;
      if (t.text === '(') depth++;
      else if (t.text === ')') depth--;
      else if (depth === 0 && t.kind === 'keyword' && t.text.toUpperCase() === 'RETURNING') return { reader: true, dml: true };
    }
    return { reader: false, dml: true };
  }
  if (verb === 'PRAGMA' || first === 'WITH') return { reader: undefined, dml: false };
  return { reader: false, dml: false };
}

/** Analyzes a SQL text; see {@link SqlPlan}. Never throws. */
export function analyzeSql(source: string): SqlPlan {
  const tokens = tokenizeSql(source);
  const spans = splitStatements(tokens);
  const first = spans[0];
  if (first === undefined || !first.significant) {
    const text = first === undefined ? '' : source.slice(0, first.end);
    return { text, sql: text, empty: true, count: 0, indexOf: new Map(), mode: 'none', keys: [], order: [], sites: [], dml: false, reader: false };
  }
  const text = source.slice(0, first.end);
  // Parameter numbering follows SQLite's sqlite3ExprAssignVarNumber.
  const indexOf = new Map<string, number>();
  const sites: ParameterSite[] = [];
  let count = 0;
  let anonymous = false;
  let numbered = false;
  let named = false;
  for (const token of first.tokens) {
    if (token.kind !== 'parameter') continue;
    let index: number;
    if (token.text === '?') {
      anonymous = true;
      index = ++count;
    } else if (token.text.startsWith('?')) {
      numbered = true;
      index = Number(token.text.slice(1));
      if (index > count) count = index;
      if (!indexOf.has(token.text)) indexOf.set(token.text, index);
    } else {
      named = true;
      const known = indexOf.get(token.text);
      index = known ?? ++count;
      if (known === undefined) indexOf.set(token.text, index);
    }
    sites.push({ start: token.start, end: token.end, index });
  }
  const { reader, dml } = classify(first.tokens);
  const base = { text, empty: false, count, indexOf, sites, dml, reader };
  if (count === 0) return { ...base, sql: text, mode: 'none', keys: [], order: [] };
  const used = new Set(sites.map((s) => s.index));
  const kinds = Number(anonymous) + Number(numbered) + Number(named);
  if (kinds === 1 && anonymous && !/\?\d/.test(text)) return { ...base, sql: text, mode: 'positional', keys: [], order: [] };
  if (kinds === 1 && numbered && used.size === count) return { ...base, sql: text, mode: 'numbered', keys: [], order: [] };
  if (kinds === 1 && named) {
    const keys: string[] = [];
    for (const [name, index] of indexOf) keys[index - 1] = name.slice(1);
    if (new Set(keys).size === keys.length) return { ...base, sql: text, mode: 'named', keys, order: [] };
  }
  // Renumber every parameter to ?1..?n (gaps closed) so the engine binds one array, whatever the kinds.
  const order = [...used].sort((a, b) => a - b);
  const slot = new Map(order.map((index, k) => [index, k + 1]));
  let sql = '';
  let at = 0;
  for (const site of sites) {
    sql += `${text.slice(at, site.start)}?${slot.get(site.index) as number}`;
    at = site.end;
  }
  sql += text.slice(at);
  return { ...base, sql, mode: 'rewritten', keys: [], order };
}

const plans = new SqlMemo<SqlPlan>(analyzeSql, 2000, 16_384);

/** The plan of a SQL text, memoized (a bounded memo: applications have a bounded set of SQL texts). */
export function planFor(sql: string): SqlPlan {
  return plans.get(sql);
}

/** The statements of an `exec` script, as SQLite's `sqlite3_exec` runs them (leading whitespace dropped). */
export function scriptStatements(sql: string): string[] {
  return splitStatements(tokenizeSql(sql))
    .filter((span) => span.significant)
    .map((span) => sql.slice(span.start, span.end).trimStart());
}
