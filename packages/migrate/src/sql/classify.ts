import type { ScriptStatement } from './split-statements.ts';
import { wordOf } from './split-statements.ts';

/**
 * What a statement means for the transaction a migration runs in:
 * - `'plain'`: runs inside the migration's transaction;
 * - `'foreign-keys-off'` / `'foreign-keys-on'`: `PRAGMA foreign_keys = …`, a no-op inside a transaction, so the
 *   migrator runs it before BEGIN (off, at the start) or after COMMIT (on, at the end);
 * - `'foreign-key-check'`: `PRAGMA foreign_key_check`, run as an assertion (any row fails the migration);
 * - `'no-transaction'`: cannot run inside a transaction at all (`VACUUM`, `PRAGMA journal_mode = …`, `ATTACH`,
 *   `DETACH`, explicit `BEGIN`/`COMMIT`/`ROLLBACK`/`SAVEPOINT`/`RELEASE`).
 */
export type StatementClass = 'plain' | 'foreign-keys-off' | 'foreign-keys-on' | 'foreign-key-check' | 'no-transaction';

const TRANSACTION_CONTROL = new Set(['BEGIN', 'COMMIT', 'END', 'ROLLBACK', 'SAVEPOINT', 'RELEASE', 'VACUUM', 'ATTACH', 'DETACH']);
const FALSE_WORDS = new Set(['OFF', 'FALSE', 'NO', '0']);
const TRUE_WORDS = new Set(['ON', 'TRUE', 'YES', '1']);

/** Classifies one statement; see {@link StatementClass}. */
export function classifyStatement(statement: ScriptStatement): StatementClass {
  const words = statement.tokens.map(wordOf);
  const first = words[0] ?? '';
  if (TRANSACTION_CONTROL.has(first)) return 'no-transaction';
  if (first !== 'PRAGMA') return 'plain';
  // PRAGMA [schema.]name [= value | (value)]
  let i = 1;
  if (words[i + 1] === '.') i += 2;
  const name = (words[i] ?? '').toLowerCase();
  const hasValue = words[i + 1] === '=' || words[i + 1] === '(';
  const value = words[i + 1] === '(' ? words[i + 2] : words[i + 1] === '=' ? words[i + 2] : undefined;
  const unquoted = value?.replace(/^['"]|['"]$/g, '').toUpperCase();
  if (name === 'foreign_keys' && hasValue && unquoted !== undefined) {
    if (FALSE_WORDS.has(unquoted)) return 'foreign-keys-off';
    if (TRUE_WORDS.has(unquoted)) return 'foreign-keys-on';
  }
  if (name === 'foreign_key_check') return 'foreign-key-check';
  if (name === 'journal_mode' && hasValue) return 'no-transaction';
  return 'plain';
}
