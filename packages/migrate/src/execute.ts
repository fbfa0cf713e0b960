import { hasErrorCode, type Queryable } from '@rapsqlite/engine';
import { MigrateError, MigrateErrorCodes } from './errors.ts';
import type { ScriptPlan, ScriptStep } from './sql/plan-script.ts';
import { planScript } from './sql/plan-script.ts';

interface ForeignKeyViolation {
  table: string;
  rowid: number | bigint | null;
  parent: string;
  fkid: number;
}

async function runStep(db: Queryable, step: ScriptStep, name: string | undefined): Promise<void> {
  if (step.kind === 'exec') {
    await db.exec(step.sql);
    return;
  }
  const violations = await db.all<ForeignKeyViolation>(step.sql, [], { integers: 'auto' });
  if (violations.length > 0) {
    const first = violations[0]!;
    throw new MigrateError(
      MigrateErrorCodes.FOREIGN_KEY_VIOLATION,
      `${violations.length} row(s) violate a foreign key (first: ${first.table} rowid ${String(first.rowid)} → ${first.parent}).`,
      { sql: step.sql, ...(name === undefined ? {} : { migration: name }) },
    );
  }
}

async function foreignKeysEnabled(db: Queryable): Promise<boolean> {
  // Inside a transaction so that a pool answers for its writer, where the script runs.
  const row = await db.transaction((tx) => tx.get<{ foreign_keys: number }>('PRAGMA foreign_keys', [], { integers: 'number' }), { mode: 'deferred' });
  return row?.foreign_keys === 1;
}

/** What {@link executePlan} calls to write the bookkeeping, inside the transaction when there is one. */
export type Bookkeeping = (db: Queryable) => Promise<void>;

/**
 * Runs a planned script: in one `BEGIN IMMEDIATE` transaction with the bookkeeping, foreign keys switched off around
 * it and checked before COMMIT when the script asks; or, for a no-transaction script, statement by statement.
 */
export async function executePlan(db: Queryable, plan: ScriptPlan, bookkeeping: Bookkeeping | undefined, name?: string): Promise<void> {
  if (!plan.transactional) {
    let done = 0;
    try {
      for (const step of plan.steps) {
        await runStep(db, step, name);
        done++;
      }
      await bookkeeping?.(db);
    } catch (error) {
      if (done === 0) throw error;
      throw new MigrateError(
        MigrateErrorCodes.PARTIAL,
        `${name === undefined ? 'The script' : `Migration ${name}`} ran outside a transaction and failed at statement ${done + 1} of ${plan.steps.length}; the ${done} before it stay applied.`,
        { cause: error, ...(hasErrorCode(error) && 'sql' in error && typeof error.sql === 'string' ? { sql: error.sql } : {}), ...(name === undefined ? {} : { migration: name }) },
      );
    }
    return;
  }
  let restore: boolean | undefined;
  if (plan.foreignKeysOff) {
    restore = await foreignKeysEnabled(db);
    await db.exec('PRAGMA foreign_keys = OFF');
  }
  let committed = false;
  try {
    await db.transaction(
      async (tx) => {
        for (const step of plan.steps) await runStep(tx, step, name);
        if (plan.foreignKeysOff) await runStep(tx, { kind: 'foreign-key-check', sql: 'PRAGMA foreign_key_check' }, name);
        await bookkeeping?.(tx);
      },
      { mode: 'immediate' },
    );
    committed = true;
  } finally {
    if (committed && plan.foreignKeysOn) await db.exec('PRAGMA foreign_keys = ON');
    else if (restore !== undefined) await db.exec(`PRAGMA foreign_keys = ${restore ? 'ON' : 'OFF'}`);
  }
}

/** Options of {@link applyScript}. */
export interface ApplyScriptOptions {
  /** Run statement by statement outside a transaction (for `VACUUM`, `PRAGMA journal_mode`). Default `false`. */
  readonly noTransaction?: boolean;
}

/**
 * Runs an SQL script the way the migrator runs a migration, without recording it: in one transaction, with a
 * leading `PRAGMA foreign_keys = OFF` moved before BEGIN and a foreign-key check before COMMIT. Use it to apply
 * the output of {@link diff} directly.
 *
 * @example
 * const changes = await diff(db, 'schema.sql');
 * await applyScript(db, changes.sql);
 */
export async function applyScript(db: Queryable, sql: string, options: ApplyScriptOptions = {}): Promise<void> {
  const plan = planScript(sql, { transactional: options.noTransaction !== true });
  await executePlan(db, plan, undefined);
}
