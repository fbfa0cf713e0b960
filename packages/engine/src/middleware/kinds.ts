import type { OperationKind } from './operation.ts';

/**
 * Sets of operation kinds, for plugins that treat kinds alike (one list here instead of one per plugin):
 * - `STATEMENT_KINDS`: one SQL statement or script the application sent (`exec`, `run`, `runMany`, `get`, `all`,
 *   `values`, `iterate`); `prepare` compiles without running and is not among them;
 * - `QUERY_KINDS`: the statements that return rows;
 * - `WRITE_KINDS`: the statements that change data whatever their SQL (a query may too: `INSERT … RETURNING`);
 * - `CONTROL_KINDS`: the statements that frame a transaction (BEGIN, COMMIT, ROLLBACK and the savepoint twins);
 * - `TRANSACTION_KINDS`: the whole transaction, and its framing statements.
 */
export const STATEMENT_KINDS: ReadonlySet<OperationKind> = new Set(['exec', 'run', 'runMany', 'get', 'all', 'values', 'iterate']);
export const QUERY_KINDS: ReadonlySet<OperationKind> = new Set(['get', 'all', 'values', 'iterate']);
export const WRITE_KINDS: ReadonlySet<OperationKind> = new Set(['exec', 'run', 'runMany']);
export const CONTROL_KINDS: ReadonlySet<OperationKind> = new Set(['begin', 'commit', 'rollback', 'savepoint', 'release', 'rollbackTo']);
export const TRANSACTION_KINDS: ReadonlySet<OperationKind> = new Set(['transaction', ...CONTROL_KINDS]);
