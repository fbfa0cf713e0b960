import { SqlScanner } from './scanner.ts';

/** The bind parameters of a SQL text, as {@link sqlParameters} finds them. */
export interface SqlParameters {
  /** Distinct named parameters in order of first use, without their `:`, `@` or `$` prefix. */
  readonly named: readonly string[];
  /**
   * The number of positional slots: each `?` takes the slot after the highest one used so far and `?NNN` takes
   * slot NNN, as SQLite numbers them. Named parameters are not counted.
   */
  readonly positional: number;
}

/**
 * Lists the bind parameters of SQL text: its distinct named parameters without their prefix, and its number of
 * positional slots.
 *
 * Names are given as better-sqlite3 binds them from an object: `:id`, `@id` and `$id` are all `id`, and the Tcl
 * form `$a::b(c)` is `a::b(c)`. Parameters inside strings, quoted identifiers and comments are ignored. Never
 * throws; a value that is not a string has no parameters.
 *
 * @example sqlParameters('SELECT * FROM t WHERE a = :id OR b = @id OR c = ?') // { named: ['id'], positional: 1 }
 */
export function sqlParameters(sql: string): SqlParameters {
  let positional = 0;
  if (typeof sql !== 'string') return { named: [], positional };
  // A Set keeps first-use order and drops repeats.
  const names = new Set<string>();
  const scanner = new SqlScanner(sql);
  while (scanner.next()) {
    if (scanner.kind !== 'parameter') continue;
    const { start, end } = scanner;
    if (sql.charCodeAt(start) === 63) {
      if (end - start === 1) positional++;
      else positional = Math.max(positional, slotNumber(sql, start + 1, end));
      continue;
    }
    names.add(sql.slice(start + 1, end));
  }
  return { named: [...names], positional };
}

function slotNumber(sql: string, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i++) {
    value = value * 10 + (sql.charCodeAt(i) - 48);
    // SQLite rejects anything beyond 32766 anyway; capping keeps absurd inputs finite.
    if (value > Number.MAX_SAFE_INTEGER / 10) return Number.MAX_SAFE_INTEGER;
  }
  return value;
}
