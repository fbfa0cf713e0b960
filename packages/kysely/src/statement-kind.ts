/** How a compiled query is run: `all` when it returns rows, `run` when it returns changes, or found out by trying. */
export type StatementKind = 'rows' | 'changes' | 'unknown';

const DML: ReadonlySet<string> = new Set(['InsertQueryNode', 'UpdateQueryNode', 'DeleteQueryNode', 'MergeQueryNode']);

/**
 * Reads the kind of statement from Kysely's operation node. Nodes are matched by their `kind` string, not by class,
 * so a query built by another copy of Kysely (MikroORM bundles its own) is recognised too.
 */
export function statementKind(query: { readonly kind: string } | undefined): StatementKind {
  const kind = query?.kind;
  if (kind === 'SelectQueryNode') return 'rows';
  if (kind === undefined || kind === 'RawNode') return 'unknown';
  if (DML.has(kind)) return (query as { readonly returning?: unknown }).returning === undefined ? 'changes' : 'rows';
  // Schema statements (CREATE, ALTER, DROP…) return no rows.
  return 'changes';
}
