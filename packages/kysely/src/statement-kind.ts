/** How a compiled query is run: `all` when it returns rows, `run` when it returns changes, or found out by trying. */
export type StatementKind = 'rows' | 'changes' | 'unknown';

const DML: ReadonlySet<string> = new Set(['InsertQueryNode', 'UpdateQueryNode', 'DeleteQueryNode', 'MergeQueryNode']);

/** First keywords of statements that can never return rows, whatever follows (DML without RETURNING is checked apart). */
const NO_ROWS: ReadonlySet<string> = new Set([
  'create', 'drop', 'alter', 'begin', 'commit', 'end', 'rollback', 'savepoint', 'release', 'attach', 'detach', 'vacuum', 'reindex', 'analyze',
]);
const DML_WORDS: ReadonlySet<string> = new Set(['insert', 'update', 'delete', 'replace']);
const LEADING = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*([A-Za-z]+)/;
const RETURNING = /returning/i;

/**
 * Reads the kind of statement from Kysely's operation node. Nodes are matched by their `kind` string, not by class,
 * so a query built by another copy of Kysely (MikroORM bundles its own) is recognised too.
 */
export function statementKind(query: { readonly kind: string } | undefined, sql: string): StatementKind {
  const kind = query?.kind;
  if (kind === 'SelectQueryNode') return 'rows';
  if (kind === undefined || kind === 'RawNode') return rawStatementKind(sql);
  if (DML.has(kind)) return (query as { readonly returning?: unknown }).returning === undefined ? 'changes' : 'rows';
  // Schema statements (CREATE, ALTER, DROP…) return no rows.
  return 'changes';
}

/**
 * The kind of a raw SQL string (`sql\`…\``, `CompiledQuery.raw`, ORMs that inline their values), from its first
 * keyword, and only where that keyword settles it: SELECT returns rows; CREATE, DROP and the like never do, nor an
 * INSERT, UPDATE or DELETE whose text has no RETURNING anywhere. Anything else (WITH, PRAGMA, a statement with
 * RETURNING) is tried as a query first: the engine refuses a statement without rows before running it.
 */
export function rawStatementKind(sql: string): StatementKind {
  const word = LEADING.exec(sql)?.[1]?.toLowerCase();
  if (word === undefined) return 'unknown';
  if (word === 'select' || word === 'values') return 'rows';
  if (NO_ROWS.has(word)) return 'changes';
  if (DML_WORDS.has(word) && !RETURNING.test(sql)) return 'changes';
  return 'unknown';
}
