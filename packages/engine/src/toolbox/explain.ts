/**
 * `explain()`: the `EXPLAIN QUERY PLAN` of a statement as a tree, findings about it (full scans of large tables,
 * temporary b-trees, automatic indexes, correlated subqueries, LIKE that no index serves), and `CREATE INDEX`
 * proposals that are verified: the statement is planned again against a schema-only in-memory copy of the database
 * with the index added, and the plan change is reported. Nothing runs against the user's data but the planner and a
 * bounded row count.
 */
import type { Queryable } from '../handle/queryable.ts';
import { ErrorCodes } from '../errors/codes.ts';
import { RapsqliteError } from '../errors/rapsqlite-error.ts';
import { open } from '../open.ts';
import { sqlParameters } from '../sql/parameter-names.ts';
import { tokenizeSql, type SqlToken } from '../sql/tokenize.ts';
import type { Params } from '../types.ts';
import { dump } from './dump.ts';
import { identifierText } from './schema.ts';
import { StatementSplitter } from './sql-split.ts';
import { foldName, quoteIdentifier } from './sql-text.ts';

/** One line of the plan, with its children. */
export interface PlanNode {
  readonly id: number;
  readonly parent: number;
  readonly detail: string;
  readonly children: readonly PlanNode[];
}

/** The kinds of finding, as an `as const` tuple. */
export const FINDING_KINDS = ['full-scan', 'temp-btree', 'automatic-index', 'correlated-subquery', 'like-no-index'] as const;

/** A kind of finding. */
export type FindingKind = (typeof FINDING_KINDS)[number];

/** What re-planning against the schema-only copy with the proposed index showed. */
export interface Verification {
  /** `'improved'`: the finding is gone from the new plan; `'unchanged'`: SQLite would not use the index; `'failed'`: the copy could not plan it. */
  readonly status: 'improved' | 'unchanged' | 'failed';
  /** True when the copy planned the statement exactly as the database did before the index (the check is meaningful). */
  readonly planMatched: boolean;
  /** The copy's plan with the index. */
  readonly planAfter: readonly PlanNode[];
  /** Why verification failed. */
  readonly error?: string;
}

/** A proposed index. */
export interface IndexProposal {
  /** The statement to run (`CREATE INDEX … ON …`). */
  readonly sql: string;
  readonly schema: string;
  readonly table: string;
  /** The index's key, in order (with `COLLATE NOCASE` for LIKE). */
  readonly columns: readonly string[];
  /** Present unless verification was switched off. */
  readonly verification?: Verification;
}

/** Something worth knowing about a plan. */
export interface Finding {
  readonly kind: FindingKind;
  /** The plan line it is about. */
  readonly detail: string;
  readonly message: string;
  /** The table concerned (its real name, not the alias), when there is one. */
  readonly table?: string;
  readonly schema?: string;
  /** For a full scan: the table's rows, counted up to `largeTableRows + 1` (or SQLite's statistics). */
  readonly rows?: number;
  readonly proposal?: IndexProposal;
}

/** The result of {@link explain}. */
export interface QueryPlan {
  readonly sql: string;
  /** The plan's top-level lines; each has its children. */
  readonly plan: readonly PlanNode[];
  readonly findings: readonly Finding[];
  /** The plan drawn like the sqlite3 shell's `.eqp`. */
  readonly text: string;
}

/** Options of {@link explain}. */
export interface ExplainOptions {
  /** A full scan is a finding from this many rows (default 1 000). */
  readonly largeTableRows?: number;
  /** Verify proposals against a schema-only in-memory copy (default true; it opens a private in-memory database). */
  readonly verify?: boolean;
}

interface TableRef {
  readonly schema: string | undefined;
  readonly table: string;
}

interface RawPlanRow {
  id: number;
  parent: number;
  detail: string;
}

function invalid(message: string): RapsqliteError {
  return new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, message);
}

/** Builds the tree from EXPLAIN QUERY PLAN rows (parents come before their children). */
export function planTree(rows: readonly RawPlanRow[]): PlanNode[] {
  const nodes = new Map<number, { id: number; parent: number; detail: string; children: PlanNode[] }>();
  const roots: PlanNode[] = [];
  for (const row of rows) {
    const node = { id: row.id, parent: row.parent, detail: row.detail, children: [] as PlanNode[] };
    nodes.set(row.id, node);
    const parent = nodes.get(row.parent);
    if (parent === undefined) roots.push(node);
    else parent.children.push(node);
  }
  return roots;
}

/** Draws a plan like the sqlite3 shell. */
export function planText(plan: readonly PlanNode[]): string {
  const lines = ['QUERY PLAN'];
  const draw = (nodes: readonly PlanNode[], prefix: string): void => {
    nodes.forEach((node, i) => {
      const last = i === nodes.length - 1;
      lines.push(`${prefix}${last ? '`--' : '|--'}${node.detail}`);
      draw(node.children, prefix + (last ? '   ' : '|  '));
    });
  };
  draw(plan, '');
  return lines.join('\n');
}

function flatten(plan: readonly PlanNode[]): PlanNode[] {
  const out: PlanNode[] = [];
  const walk = (nodes: readonly PlanNode[]) => {
    for (const n of nodes) {
      out.push(n);
      walk(n.children);
    }
  };
  walk(plan);
  return out;
}

function significant(sql: string): SqlToken[] {
  return tokenizeSql(sql).filter((t) => t.kind !== 'whitespace' && t.kind !== 'comment');
}

const NAME_KINDS = new Set(['identifier', 'quoted-identifier']);
const CLAUSE_END = new Set(['WHERE', 'GROUP', 'ORDER', 'LIMIT', 'HAVING', 'WINDOW', 'UNION', 'EXCEPT', 'INTERSECT', 'SET', 'VALUES', 'RETURNING']);

/** The tables a statement names and their aliases (lower-cased alias → table), read from its FROM/JOIN/UPDATE/INTO clauses. */
export function tableAliases(sql: string): Map<string, TableRef> {
  const tokens = significant(sql);
  const aliases = new Map<string, TableRef>();
  const word = (t: SqlToken | undefined) => (t?.kind === 'keyword' ? t.text.toUpperCase() : '');
  const isName = (t: SqlToken | undefined) => t !== undefined && (NAME_KINDS.has(t.kind) || t.kind === 'string');
  let depth = 0;
  let fromDepth = -1;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.text === '(') depth++;
    else if (t.text === ')') {
      if (depth === fromDepth) fromDepth = -1;
      depth--;
    }
    const w = word(t);
    if (CLAUSE_END.has(w) && depth === fromDepth) fromDepth = -1;
    const starts = w === 'FROM' || w === 'JOIN' || w === 'UPDATE' || w === 'INTO' || (t.text === ',' && depth === fromDepth);
    if (!starts) continue;
    if (w === 'FROM' || w === 'JOIN') fromDepth = depth;
    let j = i + 1;
    if (word(tokens[j]) === 'OR') j += 2; // UPDATE OR REPLACE
    if (!isName(tokens[j])) continue;
    let schema: string | undefined;
    let table = identifierText(tokens[j]!);
    if (tokens[j + 1]?.text === '.' && isName(tokens[j + 2])) {
      schema = identifierText(tokens[j]!);
      table = identifierText(tokens[j + 2]!);
      j += 2;
    }
    const ref = { schema, table };
    aliases.set(foldName(table), ref);
    let k = j + 1;
    if (word(tokens[k]) === 'AS') k++;
    if (isName(tokens[k]) && tokens[k + 1]?.text !== '(') aliases.set(foldName(identifierText(tokens[k]!)), ref);
  }
  return aliases;
}

interface Predicate {
  readonly qualifier: string | undefined;
  readonly column: string;
  readonly kind: 'equality' | 'range' | 'like';
  /** For LIKE: the literal pattern, when it is one. */
  readonly pattern?: string;
}

const EQUALITY_OPS = new Set(['=', '==']);
const RANGE_OPS = new Set(['<', '>', '<=', '>=']);

/** Column comparisons of a statement: `col = …`, `… = col`, `col IN`, `col IS`, ranges, BETWEEN, LIKE/GLOB. */
export function predicates(sql: string): Predicate[] {
  const tokens = significant(sql);
  const out: Predicate[] = [];
  const kindOf = (t: SqlToken | undefined, next: SqlToken | undefined): Predicate['kind'] | undefined => {
    if (t === undefined) return undefined;
    const up = t.kind === 'keyword' ? t.text.toUpperCase() : '';
    if (EQUALITY_OPS.has(t.text) || up === 'IN' || (up === 'IS' && next?.text.toUpperCase() !== 'NOT')) return 'equality';
    if (RANGE_OPS.has(t.text) || up === 'BETWEEN') return 'range';
    if (up === 'LIKE' || up === 'GLOB') return 'like';
    return undefined;
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (!NAME_KINDS.has(t.kind) && t.kind !== 'keyword') continue;
    let qualifier: string | undefined;
    const column = identifierText(t);
    if (tokens[i - 1]?.text === '.') {
      const q = tokens[i - 2];
      if (q === undefined) continue;
      qualifier = identifierText(q);
    } else if (tokens[i + 1]?.text === '.') {
      continue;
    }
    const after = kindOf(tokens[i + 1], tokens[i + 2]);
    if (after !== undefined) {
      const p = tokens[i + 2];
      out.push({ qualifier, column, kind: after, ...(after === 'like' && p?.kind === 'string' ? { pattern: identifierText(p) } : {}) });
      continue;
    }
    const before = kindOf(tokens[qualifier === undefined ? i - 1 : i - 3], t);
    if (before === 'equality' || before === 'range') out.push({ qualifier, column, kind: before });
  }
  return out;
}

/** ORDER BY columns (simple column references only), in order. */
function orderByColumns(sql: string): Array<{ qualifier: string | undefined; column: string; descending: boolean }> {
  const tokens = significant(sql);
  const at = tokens.findIndex((t, i) => t.kind === 'keyword' && t.text.toUpperCase() === 'ORDER' && tokens[i + 1]?.text.toUpperCase() === 'BY');
  if (at === -1) return [];
  const out: Array<{ qualifier: string | undefined; column: string; descending: boolean }> = [];
  let i = at + 2;
  while (i < tokens.length) {
    let qualifier: string | undefined;
    let t = tokens[i];
    if (t === undefined || (!NAME_KINDS.has(t.kind) && t.kind !== 'keyword')) break;
    if (tokens[i + 1]?.text === '.') {
      qualifier = identifierText(t);
      i += 2;
      t = tokens[i];
      if (t === undefined) break;
    }
    const column = identifierText(t);
    i++;
    let descending = false;
    const dir = tokens[i]?.text.toUpperCase();
    if (dir === 'ASC' || dir === 'DESC') {
      descending = dir === 'DESC';
      i++;
    }
    out.push({ qualifier, column, descending });
    if (tokens[i]?.text !== ',') break;
    i++;
  }
  return out;
}

function fillParams(sql: string, params: Params | undefined): Params | undefined {
  if (params !== undefined) return params;
  // The planner does not need values; NULLs stand in for parameters the caller did not give.
  const { named, positional } = sqlParameters(sql);
  if (named.length > 0) return Object.fromEntries(named.map((n) => [n, null]));
  if (positional > 0) return Array.from({ length: positional }, () => null);
  return undefined;
}

async function planOf(db: Queryable, sql: string, params: Params | undefined): Promise<PlanNode[]> {
  const rows = await db.all<RawPlanRow>(`EXPLAIN QUERY PLAN ${sql}`, params);
  return planTree(rows);
}

/** `CREATE TABLE x` → `CREATE TABLE "schema".x`, for replaying an attached schema's objects in the copy. */
function qualifyCreate(statement: string, schema: string): string {
  const tokens = tokenizeSql(statement);
  const words = new Set(['CREATE', 'TEMP', 'TEMPORARY', 'UNIQUE', 'VIRTUAL', 'TABLE', 'INDEX', 'VIEW', 'TRIGGER', 'IF', 'NOT', 'EXISTS']);
  for (const t of tokens) {
    if (t.kind === 'whitespace' || t.kind === 'comment') continue;
    if (t.kind === 'keyword' && words.has(t.text.toUpperCase())) continue;
    return `${statement.slice(0, t.start)}${quoteIdentifier(schema)}.${statement.slice(t.start)}`;
  }
  return statement;
}

/** A schema-only in-memory copy of `db`: every schema's tables, indexes, views and triggers, and its planner statistics. */
async function schemaCopy(db: Queryable): Promise<{ copy: Awaited<ReturnType<typeof open>>; problems: string[] }> {
  const copy = await open(':memory:', { foreignKeys: false });
  const problems: string[] = [];
  try {
    const schemas = await db.all<{ name: string }>('SELECT name FROM pragma_database_list');
    for (const { name } of schemas) {
      if (name !== 'main' && name !== 'temp') await copy.run('ATTACH DATABASE ? AS ?', [':memory:', name]);
      const splitter = new StatementSplitter();
      const statements: string[] = [];
      for await (const chunk of dump(db, { schema: name, schemaOnly: true })) statements.push(...splitter.push(chunk));
      for (const statement of statements) {
        if (/^(BEGIN|COMMIT)\b/i.test(statement)) continue;
        try {
          await copy.exec(name === 'main' ? statement : qualifyCreate(statement, name));
        } catch (err) {
          problems.push(`${(err as Error).message} (${statement.slice(0, 60)})`);
        }
      }
      const s = quoteIdentifier(name);
      const hasStat = await db.get(`SELECT 1 AS x FROM ${s}.sqlite_schema WHERE name = 'sqlite_stat1'`);
      if (hasStat !== undefined) {
        const stats = await db.all<{ tbl: string; idx: string | null; stat: string }>(`SELECT tbl, idx, stat FROM ${s}.sqlite_stat1`);
        await copy.exec(`ANALYZE ${s}.sqlite_schema`);
        await copy.exec(`DELETE FROM ${s}.sqlite_stat1`);
        await copy.runMany(`INSERT INTO ${s}.sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)`, stats.map((r) => [r.tbl, r.idx, r.stat]));
        // Statistics are read when the schema loads: a new connection to the copy's own schema is not possible, so
        // ANALYZE of the schema table, which reloads them, is run once more.
        await copy.exec(`ANALYZE ${s}.sqlite_schema`);
      }
    }
  } catch (err) {
    await copy.close();
    throw err;
  }
  return { copy, problems };
}

function samePlan(a: readonly PlanNode[], b: readonly PlanNode[]): boolean {
  const fa = flatten(a).map((n) => n.detail);
  const fb = flatten(b).map((n) => n.detail);
  return fa.length === fb.length && fa.every((d, i) => d === fb[i]);
}

const AUTOMATIC = /^ USING AUTOMATIC (?:PARTIAL )?COVERING INDEX \((.*)\)$/;
const TEMP_BTREE = /^USE TEMP B-TREE FOR (.+)$/;
const CORRELATED = /^CORRELATED (SCALAR|LIST) SUBQUERY/;

/**
 * Explains a statement: its query plan as a tree, findings, and verified index proposals. The statement is never run;
 * parameters may be omitted (NULLs stand in for them; the plan rarely depends on values).
 *
 * @example
 * ```ts
 * const { text, findings } = await explain(db, 'SELECT * FROM orders WHERE customer = ? ORDER BY placed', ['ada']);
 * console.log(text);
 * for (const f of findings) console.log(f.kind, f.message, f.proposal?.sql, f.proposal?.verification?.status);
 * ```
 */
export async function explain(db: Queryable, sql: string, params?: Params, options: ExplainOptions = {}): Promise<QueryPlan> {
  if (typeof sql !== 'string' || sql.trim() === '') throw invalid('explain() takes an SQL statement');
  const { largeTableRows = 1000, verify = true } = options;
  if (!Number.isInteger(largeTableRows) || largeTableRows < 0) throw invalid('Option largeTableRows must be a non-negative integer');
  const bound = fillParams(sql, params);
  const plan = await planOf(db, sql, bound);
  const lines = flatten(plan);
  const aliases = tableAliases(sql);
  const realTables = await db.all<{ schema: string; name: string; type: string }>("SELECT schema, name, type FROM pragma_table_list WHERE type IN ('table', 'virtual')");
  const qualified = new Map(realTables.map((t) => [foldName(`${t.schema}.${t.name}`), { schema: t.schema, table: t.name }]));
  const resolve = (shown: string): TableRef & { schema: string } => {
    const ref = aliases.get(foldName(shown)) ?? qualified.get(foldName(shown)) ?? { schema: undefined, table: shown };
    // SQLite resolves a bare name in temp, then main, then the attached databases.
    const rank = (schema: string) => (schema === 'temp' ? 0 : schema === 'main' ? 1 : 2);
    const candidates = realTables.filter((t) => foldName(t.name) === foldName(ref.table) && (ref.schema === undefined || foldName(t.schema) === foldName(ref.schema)));
    candidates.sort((a, b) => rank(a.schema) - rank(b.schema));
    const found = candidates[0];
    return { schema: found?.schema ?? ref.schema ?? '', table: found?.name ?? ref.table };
  };
  // Plan lines name tables unquoted (`SCAN my table`, `SCAN archive.events`, `SCAN o`): the longest known name wins.
  const known = [...aliases.keys(), ...realTables.map((t) => foldName(t.name)), ...qualified.keys()].sort((a, b) => b.length - a.length);
  const subjectOf = (detail: string, verbs: RegExp): { shown: string; rest: string } | undefined => {
    const verb = verbs.exec(detail);
    if (verb === null) return undefined;
    const after = detail.slice(verb[0].length);
    const folded = foldName(after);
    const name = known.find((k) => folded.startsWith(k) && (folded.length === k.length || folded[k.length] === ' '));
    if (name === undefined) return undefined;
    return { shown: after.slice(0, name.length), rest: after.slice(name.length) };
  };
  const preds = predicates(sql);
  const columnsOf = new Map<string, string[]>();
  const tableColumns = async (schema: string, table: string): Promise<string[]> => {
    const key = `${schema}\u0000${table}`;
    let cols = columnsOf.get(key);
    if (cols === undefined) {
      cols = (await db.all<{ name: string }>('SELECT name FROM pragma_table_xinfo(?, ?)', [table, schema])).map((c) => c.name);
      columnsOf.set(key, cols);
    }
    return cols;
  };
  /** The predicates of one table (qualified by its name or alias, or unqualified columns it has). */
  const predicatesFor = async (shown: string, ref: { schema: string; table: string }): Promise<Predicate[]> => {
    const cols = new Set((await tableColumns(ref.schema, ref.table)).map(foldName));
    const names = new Set([foldName(shown), foldName(ref.table)]);
    return preds.filter((p) => cols.has(foldName(p.column)) && (p.qualifier === undefined || names.has(foldName(p.qualifier))));
  };

  const findings: Array<Omit<Finding, 'proposal'> & { proposal?: Omit<IndexProposal, 'verification'> }> = [];
  const usedNames = new Set<string>();
  const propose = (ref: { schema: string; table: string }, columns: string[]): Omit<IndexProposal, 'verification'> => {
    const base = `${ref.table}_${columns.map((c) => c.replace(/ COLLATE NOCASE$/, '_nocase')).join('_')}_idx`.replace(/[^\p{L}\p{N}_]+/gu, '_');
    let name = base;
    for (let n = 2; usedNames.has(foldName(name)); n++) name = `${base}${n}`;
    usedNames.add(foldName(name));
    const key = columns.map((c) => (c.endsWith(' COLLATE NOCASE') ? `${quoteIdentifier(c.slice(0, -15))} COLLATE NOCASE` : quoteIdentifier(c)));
    const target = ref.schema === 'main' || ref.schema === '' ? '' : `${quoteIdentifier(ref.schema)}.`;
    return { sql: `CREATE INDEX ${target}${quoteIdentifier(name)} ON ${quoteIdentifier(ref.table)} (${key.join(', ')})`, schema: ref.schema, table: ref.table, columns };
  };
  const tablesInPlan = lines.map((n) => subjectOf(n.detail, /^(?:SCAN|SEARCH) /)?.shown).filter((x): x is string => x !== undefined);

  for (const node of lines) {
    const scan = subjectOf(node.detail, /^SCAN /);
    if (scan !== undefined && (scan.rest === '' || /^ AS \S+$/.test(scan.rest))) {
      const shown = scan.shown;
      const ref = resolve(shown);
      if (!realTables.some((t) => t.schema === ref.schema && t.name === ref.table && t.type === 'table')) continue;
      const rows = await countRows(db, ref, largeTableRows);
      if (rows < largeTableRows) continue;
      const mine = await predicatesFor(shown, ref);
      const eq = unique(mine.filter((p) => p.kind === 'equality').map((p) => p.column));
      const range = mine.find((p) => p.kind === 'range' && !eq.includes(p.column))?.column;
      const key = [...eq, ...(range === undefined ? [] : [range])];
      const message = key.length > 0
        ? `Full scan of ${ref.table} (${rows > largeTableRows ? `more than ${largeTableRows}` : rows} rows) to filter on ${key.join(', ')}`
        : `Full scan of ${ref.table} (${rows > largeTableRows ? `more than ${largeTableRows}` : rows} rows); the statement has no condition an index could serve`;
      findings.push({
        kind: 'full-scan',
        detail: node.detail,
        message,
        table: ref.table,
        schema: ref.schema,
        rows,
        ...(key.length > 0 ? { proposal: propose(ref, key) } : {}),
      });
      continue;
    }
    const autoSubject = subjectOf(node.detail, /^(?:SEARCH|SCAN) /);
    const auto = autoSubject === undefined ? null : AUTOMATIC.exec(autoSubject.rest);
    if (autoSubject !== undefined && auto !== null) {
      const ref = resolve(autoSubject.shown);
      const key = unique([...auto[1]!.matchAll(/([^\s=<>()]+)(?:=|>|<|>=|<=)\?/g)].map((m) => m[1]!));
      findings.push({
        kind: 'automatic-index',
        detail: node.detail,
        message: `SQLite builds a temporary index on ${ref.table} (${key.join(', ')}) every time the statement runs`,
        table: ref.table,
        schema: ref.schema,
        ...(key.length > 0 ? { proposal: propose(ref, key) } : {}),
      });
      continue;
    }
    const temp = TEMP_BTREE.exec(node.detail);
    if (temp !== null) {
      const purpose = temp[1]!;
      let proposal: Omit<IndexProposal, 'verification'> | undefined;
      if (purpose === 'ORDER BY' && unique(tablesInPlan).length === 1) {
        const shown = tablesInPlan[0]!;
        const ref = resolve(shown);
        const order = orderByColumns(sql);
        const cols = new Set((await tableColumns(ref.schema, ref.table)).map(foldName));
        const names = new Set([foldName(shown), foldName(ref.table)]);
        const usable = order.every((o) => cols.has(foldName(o.column)) && (o.qualifier === undefined || names.has(foldName(o.qualifier))));
        const sameDirection = order.every((o) => o.descending === order[0]?.descending);
        if (order.length > 0 && usable && sameDirection) {
          const eq = unique((await predicatesFor(shown, ref)).filter((p) => p.kind === 'equality').map((p) => p.column));
          proposal = propose(ref, unique([...eq, ...order.map((o) => o.column)]));
        }
      }
      findings.push({
        kind: 'temp-btree',
        detail: node.detail,
        message: `SQLite sorts into a temporary b-tree for ${purpose}`,
        ...(proposal === undefined ? {} : { table: proposal.table, schema: proposal.schema, proposal }),
      });
      continue;
    }
    if (CORRELATED.test(node.detail)) {
      findings.push({
        kind: 'correlated-subquery',
        detail: node.detail,
        message: 'A correlated subquery runs once per outer row; a JOIN or a window function often does the same work once',
      });
    }
  }

  // LIKE/GLOB: SQLite's LIKE optimization needs a literal prefix and, for LIKE, an index with COLLATE NOCASE.
  for (const p of preds.filter((x) => x.kind === 'like')) {
    const shown = p.qualifier ?? tablesInPlan.find((t) => aliases.has(foldName(t))) ?? tablesInPlan[0];
    if (shown === undefined) continue;
    const ref = resolve(shown);
    if (!(await tableColumns(ref.schema, ref.table)).some((c) => foldName(c) === foldName(p.column))) continue;
    const scanned = lines.find((n) => {
      const subject = subjectOf(n.detail, /^SCAN /);
      return subject !== undefined && resolve(subject.shown).table === ref.table;
    });
    if (p.pattern !== undefined && /^[%_*?[]/.test(p.pattern)) {
      findings.push({
        kind: 'like-no-index',
        detail: scanned?.detail ?? '',
        message: `${p.column} LIKE '${p.pattern}' starts with a wildcard: no index can serve it (consider full-text search)`,
        table: ref.table,
        schema: ref.schema,
      });
    } else if (scanned !== undefined && subjectOf(scanned.detail, /^SCAN /)?.rest === '') {
      findings.push({
        kind: 'like-no-index',
        detail: scanned.detail,
        message: `${p.column} LIKE cannot use an ordinary index: LIKE ignores case, so it needs an index with COLLATE NOCASE and a pattern with a literal prefix`,
        table: ref.table,
        schema: ref.schema,
        ...(p.pattern !== undefined ? { proposal: propose(ref, [`${p.column} COLLATE NOCASE`]) } : {}),
      });
    }
  }

  // Several findings may propose the same index: verify each distinct statement once.
  const withProposals = findings.filter((f) => f.proposal !== undefined);
  const verified = new Map<string, Verification>();
  if (verify && withProposals.length > 0) {
    const { copy, problems } = await schemaCopy(db);
    try {
      let before: PlanNode[] | undefined;
      let beforeError: string | undefined;
      try {
        before = await planOf(copy, sql, bound);
      } catch (err) {
        beforeError = (err as Error).message;
      }
      for (const f of withProposals) {
        const statement = f.proposal!.sql;
        if (verified.has(statement)) continue;
        if (before === undefined) {
          verified.set(statement, { status: 'failed', planMatched: false, planAfter: [], error: beforeError ?? problems.join('; ') });
          continue;
        }
        const planMatched = samePlan(before, plan);
        try {
          await copy.exec('SAVEPOINT rapsqlite_verify');
          await copy.exec(statement);
          const after = await planOf(copy, sql, bound);
          await copy.exec('ROLLBACK TO rapsqlite_verify; RELEASE rapsqlite_verify');
          const still = flatten(after).some((n) => n.detail === f.detail);
          verified.set(statement, { status: still ? 'unchanged' : 'improved', planMatched, planAfter: after });
        } catch (err) {
          await copy.exec('ROLLBACK TO rapsqlite_verify; RELEASE rapsqlite_verify').catch(() => undefined);
          verified.set(statement, { status: 'failed', planMatched, planAfter: [], error: (err as Error).message });
        }
      }
    } finally {
      await copy.close();
    }
  }
  const final: Finding[] = findings.map((f) => {
    if (f.proposal === undefined) return f as Finding;
    const verification = verified.get(f.proposal.sql);
    return { ...f, proposal: verification === undefined ? f.proposal : { ...f.proposal, verification } };
  });
  return { sql, plan, findings: final, text: planText(plan) };
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

/** Rows of a table, from SQLite's statistics when it has them, else counted up to `limit + 1` (a bounded read). */
async function countRows(db: Queryable, ref: { schema: string; table: string }, limit: number): Promise<number> {
  const s = quoteIdentifier(ref.schema);
  const hasStat = await db.get(`SELECT 1 AS x FROM ${s}.sqlite_schema WHERE name = 'sqlite_stat1'`);
  if (hasStat !== undefined) {
    const stat = await db.get<{ stat: string }>(`SELECT stat FROM ${s}.sqlite_stat1 WHERE tbl = ? LIMIT 1`, [ref.table]);
    if (stat !== undefined) return Number.parseInt(stat.stat, 10);
  }
  const row = await db.get<{ n: number }>(`SELECT count(*) AS n FROM (SELECT 1 FROM ${s}.${quoteIdentifier(ref.table)} LIMIT ${limit + 1})`);
  return row?.n ?? 0;
}

