/** A transaction-control statement knex sends, recognised so the engine can frame the transaction itself. */
export type Control =
  | { readonly kind: 'begin' }
  | { readonly kind: 'commit' }
  | { readonly kind: 'rollback' }
  | { readonly kind: 'savepoint'; readonly name: string }
  | { readonly kind: 'release'; readonly name: string }
  | { readonly kind: 'rollbackTo'; readonly name: string };

const NAME = '([A-Za-z_][A-Za-z0-9_$]*|"[^"]+"|`[^`]+`)';
const PATTERNS: readonly [RegExp, (name: string) => Control][] = [
  [/^\s*BEGIN(?:\s+(?:DEFERRED|IMMEDIATE|EXCLUSIVE))?(?:\s+TRANSACTION)?\s*;?\s*$/i, () => ({ kind: 'begin' })],
  [/^\s*(?:COMMIT|END)(?:\s+TRANSACTION)?\s*;?\s*$/i, () => ({ kind: 'commit' })],
  [new RegExp(`^\\s*ROLLBACK(?:\\s+TRANSACTION)?\\s+TO(?:\\s+SAVEPOINT)?\\s+${NAME}\\s*;?\\s*$`, 'i'), (name) => ({ kind: 'rollbackTo', name })],
  [/^\s*ROLLBACK(?:\s+TRANSACTION)?\s*;?\s*$/i, () => ({ kind: 'rollback' })],
  [new RegExp(`^\\s*SAVEPOINT\\s+${NAME}\\s*;?\\s*$`, 'i'), (name) => ({ kind: 'savepoint', name })],
  [new RegExp(`^\\s*RELEASE(?:\\s+SAVEPOINT)?\\s+${NAME}\\s*;?\\s*$`, 'i'), (name) => ({ kind: 'release', name })],
];

function unquote(name: string): string {
  return /^["`]/.test(name) ? name.slice(1, -1) : name;
}

/** The control statement `sql` is, or undefined for any other statement. Cheap for ordinary SQL (one first-word test). */
export function parseControl(sql: string): Control | undefined {
  if (!/^\s*(?:BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE)\b/i.test(sql)) return undefined;
  for (const [pattern, make] of PATTERNS) {
    const match = pattern.exec(sql);
    if (match !== null) return make(unquote(match[1] ?? ''));
  }
  return undefined;
}

/** `PRAGMA foreign_keys = OFF` → false, `= ON` → true; undefined for any other statement. */
export function foreignKeysSetting(sql: string): boolean | undefined {
  const match = /^\s*PRAGMA\s+(?:\w+\.)?foreign_keys\s*=\s*['"]?(\w+)['"]?\s*;?\s*$/i.exec(sql);
  if (match?.[1] === undefined) return undefined;
  return /^(?:on|1|true|yes)$/i.test(match[1]);
}

/** True for a PRAGMA that reads a setting (`PRAGMA foreign_keys`, `PRAGMA table_info(t)`), not one that sets it. */
export function isPragmaRead(sql: string): boolean {
  return /^\s*PRAGMA\b/i.test(sql) && !/=/.test(sql);
}

/** True for a PRAGMA that sets a setting. */
export function isPragmaWrite(sql: string): boolean {
  return /^\s*PRAGMA\b/i.test(sql) && /=/.test(sql);
}
