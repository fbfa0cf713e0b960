import { MigrateError, MigrateErrorCodes } from '../errors.ts';
import { classifyStatement } from './classify.ts';
import { splitStatements } from './split-statements.ts';

/** One step of a script plan: a statement to run, or `PRAGMA foreign_key_check` run as an assertion. */
export interface ScriptStep {
  readonly kind: 'exec' | 'foreign-key-check';
  readonly sql: string;
}

/** How a script runs: inside one transaction or not, and which foreign-key pragmas are moved around it. */
export interface ScriptPlan {
  /** False for a `-- rapsqlite: no-transaction` script: each statement then runs on its own. */
  readonly transactional: boolean;
  /** The script starts with `PRAGMA foreign_keys = OFF`: run before BEGIN, with a foreign-key check before COMMIT. */
  readonly foreignKeysOff: boolean;
  /** The script ends with `PRAGMA foreign_keys = ON`: run after COMMIT. */
  readonly foreignKeysOn: boolean;
  readonly steps: readonly ScriptStep[];
}

/**
 * Plans a script: splits it into statements and decides where each runs. In a transactional script, leading
 * `PRAGMA foreign_keys = OFF` and trailing `PRAGMA foreign_keys = ON` move outside the transaction (inside one they
 * would do nothing), as in SQLite's documented procedure for changing a table. Any other statement that cannot run
 * in a transaction fails the plan with `ERR_RAPSQLITE_MIGRATE_NEEDS_NO_TRANSACTION`.
 */
export function planScript(sql: string, options: { readonly transactional: boolean; readonly name?: string }): ScriptPlan {
  const statements = splitStatements(sql).map((s) => ({ statement: s, cls: classifyStatement(s) }));
  if (!options.transactional) {
    return {
      transactional: false,
      foreignKeysOff: false,
      foreignKeysOn: false,
      steps: statements.map(({ statement, cls }) => ({ kind: cls === 'foreign-key-check' ? 'foreign-key-check' : 'exec', sql: statement.text })),
    };
  }
  let first = 0;
  let last = statements.length;
  while (first < last && statements[first]!.cls === 'foreign-keys-off') first++;
  while (last > first && statements[last - 1]!.cls === 'foreign-keys-on') last--;
  const steps: ScriptStep[] = [];
  for (const { statement, cls } of statements.slice(first, last)) {
    if (cls === 'no-transaction' || cls === 'foreign-keys-off' || cls === 'foreign-keys-on') {
      const where = options.name === undefined ? '' : ` in migration ${options.name}`;
      const why =
        cls === 'no-transaction'
          ? 'cannot run inside a transaction'
          : 'does nothing inside a transaction (only a leading OFF and a trailing ON are moved out of it)';
      throw new MigrateError(
        MigrateErrorCodes.NEEDS_NO_TRANSACTION,
        `The statement "${statement.text.slice(0, 60)}"${where} ${why}. Add the line "-- rapsqlite: no-transaction" to run the script statement by statement outside a transaction.`,
        { sql: statement.text, ...(options.name === undefined ? {} : { migration: options.name }) },
      );
    }
    steps.push({ kind: cls === 'foreign-key-check' ? 'foreign-key-check' : 'exec', sql: statement.text });
  }
  return { transactional: true, foreignKeysOff: first > 0, foreignKeysOn: last < statements.length, steps };
}
