import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { hasErrorCode, type Queryable } from '@rapsqlite/engine';
import { createMigration, type CreateMigrationOptions, type CreatedMigration } from './create-migration.ts';
import { MigrateError, MigrateErrorCodes, invalidArgument } from './errors.ts';
import { executePlan } from './execute.ts';
import { History, type HistoryEntry } from './history.ts';
import { MigrationLock } from './lock.ts';
import { resolveMigratorOptions, type MigratorEvent, type MigratorOptions, type ResolvedMigratorOptions } from './migrator-options.ts';
import { checksumOf } from './source/checksum.ts';
import { inlineMigrations, loadMigrations } from './source/load-migrations.ts';
import type { Migration, MigrationBody, MigrationDirection, MigrationFunction, MigrationModule } from './source/migration.ts';
import { planScript, type ScriptPlan } from './sql/plan-script.ts';
import { quoteName, quoteText } from './sql/quote.ts';

/** The states a migration can be in; see {@link MigrationStatus}. */
export const MIGRATION_STATES = ['applied', 'pending', 'drifted', 'missing'] as const;

/**
 * `'applied'`; `'pending'`; `'drifted'`: applied, but its file changed since (checksum differs); `'missing'`: applied,
 * but no file has its name any more.
 */
export type MigrationState = (typeof MIGRATION_STATES)[number];

/** One line of {@link Migrator.status}. */
export interface MigrationStatus {
  readonly name: string;
  readonly version: bigint;
  readonly state: MigrationState;
  /** When it was applied (ISO 8601, UTC), for applied, drifted and missing migrations. */
  readonly appliedAt: string | undefined;
  readonly durationMs: number | undefined;
  /** The checksum of the file now (undefined when missing). */
  readonly checksum: string | null | undefined;
  /** The checksum recorded when it was applied. */
  readonly appliedChecksum: string | null | undefined;
  readonly path: string | undefined;
  /** Whether it has a `down` part (a module counts as reversible until it is loaded and found without `down()`). */
  readonly reversible: boolean;
}

/** One migration that ran (or, in a dry run, would run). */
export interface MigrationRun {
  readonly name: string;
  readonly direction: MigrationDirection;
  /** Milliseconds it took; 0 in a dry run. */
  readonly durationMs: number;
}

/** What {@link Migrator.up}, {@link Migrator.down} and {@link Migrator.redo} return. */
export interface MigrateResult {
  /** The migrations run, in order. Empty when there was nothing to do (another process may have done it). */
  readonly runs: readonly MigrationRun[];
  readonly dryRun: boolean;
  /** In a dry run, the SQL that would run, with its transaction framing and bookkeeping. */
  readonly sql: string | undefined;
  /** Milliseconds spent taking the migration lock: a few when it was free, the wait when another process held it. */
  readonly waitedMs: number;
}

/** Options shared by the commands that change the database. */
export interface RunOptions {
  /** Go on although applied migrations drifted or are missing. Default `false`. */
  readonly force?: boolean;
  /** Change nothing; return the SQL that would run. Default `false`. */
  readonly dryRun?: boolean;
}

/** Options of {@link Migrator.up}. */
export interface UpOptions extends RunOptions {
  /** Stop after this migration (its name, or its version as text). Default: apply every pending one. */
  readonly to?: string;
}

/** Options of {@link Migrator.down}. */
export interface DownOptions extends RunOptions {
  /** How many applied migrations to roll back, newest first, or `'all'`. Default 1. */
  readonly steps?: number | 'all';
  /** Roll back every migration applied after this one (which stays). Overrides `steps`. */
  readonly to?: string;
}

interface State {
  readonly migrations: readonly Migration[];
  readonly history: readonly HistoryEntry[];
  readonly statuses: readonly MigrationStatus[];
  /** Entries read from the `sqlite` package's table, to record before running anything. */
  readonly adopted: readonly HistoryEntry[];
  /** History entries recorded under a file name (umzug's), to rename to the migration's name. */
  readonly renames: readonly { readonly from: string; readonly to: string }[];
}

interface Step {
  readonly migration: Migration;
  readonly direction: MigrationDirection;
}

interface PreparedStep extends Step {
  readonly body: Exclude<MigrationBody, { kind: 'module' }>;
}

const RUN_KEYS = new Set(['force', 'dryRun']);

function checkRunOptions(options: object, extra: readonly string[]): void {
  if (typeof options !== 'object' || options === null) throw invalidArgument('Options must be an object.');
  for (const key of Object.keys(options)) if (!RUN_KEYS.has(key) && !extra.includes(key)) throw invalidArgument(`Unknown option "${key}".`);
}

function compareVersions(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function importModule(path: string, name: string): Promise<MigrationModule> {
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    throw new MigrateError(hasErrorCode(error) ? error.code : MigrateErrorCodes.INVALID_FILE, `Migration ${name}: its module cannot be loaded (${(error as Error).message}).`, {
      cause: error,
      migration: name,
    });
  }
  // A CommonJS module's exports arrive as `default`.
  const candidate = (typeof loaded['up'] === 'function' ? loaded : (loaded['default'] ?? loaded)) as Partial<MigrationModule>;
  if (typeof candidate.up !== 'function') {
    throw new MigrateError(MigrateErrorCodes.INVALID_FILE, `Migration ${name}: the module exports no up() function.`, { migration: name });
  }
  if (candidate.down !== undefined && typeof candidate.down !== 'function') {
    throw new MigrateError(MigrateErrorCodes.INVALID_FILE, `Migration ${name}: its down export is not a function.`, { migration: name });
  }
  return candidate as MigrationModule;
}

/**
 * Applies and rolls back migrations on one database: each migration and its history row in one writer
 * transaction, one process at a time. Create one with {@link createMigrator}.
 */
export class Migrator {
  readonly #db: Queryable;
  readonly #options: ResolvedMigratorOptions;
  readonly #history: History;

  constructor(db: Queryable, options: MigratorOptions) {
    if (typeof db !== 'object' || db === null || typeof db.transaction !== 'function') {
      throw invalidArgument('createMigrator() needs a rapsqlite database or pool.');
    }
    this.#db = db;
    this.#options = resolveMigratorOptions(options);
    this.#history = new History(this.#options.table);
  }

  /** The history table's name. */
  get table(): string {
    return this.#history.table;
  }

  #emit(event: MigratorEvent): void {
    try {
      this.#options.onEvent?.(event);
    } catch {
      // A progress listener must not break a migration.
    }
  }

  async #migrations(): Promise<Migration[]> {
    if (this.#options.migrations !== undefined) return inlineMigrations(this.#options.migrations);
    return loadMigrations(this.#options.dir!, this.#options.layout);
  }

  async #adoptable(migrations: readonly Migration[], history: readonly HistoryEntry[]): Promise<HistoryEntry[]> {
    if (this.#options.layout !== 'sqlite' || history.length > 0) return [];
    const table = this.#options.sqliteTable;
    const exists = await this.#db.get("SELECT 1 AS found FROM sqlite_schema WHERE type = 'table' AND name = ?", [table]);
    if (exists === undefined) return [];
    const rows = await this.#db.all<{ id: number; name: string; up: string }>(`SELECT id, name, up FROM ${quoteName(table)} ORDER BY id`, [], { integers: 'auto' });
    const now = new Date().toISOString();
    return rows.map((row) => {
      const file = migrations.find((m) => m.version === BigInt(row.id));
      return { name: file?.name ?? `${row.id}-${row.name}`, version: String(row.id), checksum: checksumOf(row.up), appliedAt: now, durationMs: null };
    });
  }

  async #state(): Promise<State> {
    const migrations = await this.#migrations();
    const recorded = await this.#history.read(this.#db);
    const adopted = await this.#adoptable(migrations, recorded);
    const known = new Set(migrations.map((m) => m.name));
    const renames: { from: string; to: string }[] = [];
    // umzug records file names with their extension: such an entry stands for the migration of that file.
    const history = (recorded.length > 0 ? recorded : adopted).map((entry) => {
      if (known.has(entry.name)) return entry;
      const file = migrations.find((m) => m.path !== undefined && basename(m.path) === entry.name);
      if (file === undefined) return entry;
      renames.push({ from: entry.name, to: file.name });
      return { ...entry, name: file.name };
    });
    const byName = new Map(history.map((h) => [h.name, h]));
    const statuses: MigrationStatus[] = migrations.map((m) => {
      const entry = byName.get(m.name);
      byName.delete(m.name);
      const state: MigrationState =
        entry === undefined ? 'pending' : entry.checksum !== null && m.checksum !== null && entry.checksum !== m.checksum ? 'drifted' : 'applied';
      return {
        name: m.name,
        version: m.version,
        state,
        appliedAt: entry?.appliedAt,
        durationMs: entry?.durationMs ?? undefined,
        checksum: m.checksum,
        appliedChecksum: entry?.checksum,
        path: m.path,
        reversible: m.down !== undefined,
      };
    });
    for (const entry of byName.values()) {
      statuses.push({
        name: entry.name,
        version: /^\d+$/.test(entry.version) ? BigInt(entry.version) : 0n,
        state: 'missing',
        appliedAt: entry.appliedAt,
        durationMs: entry.durationMs ?? undefined,
        checksum: undefined,
        appliedChecksum: entry.checksum,
        path: undefined,
        reversible: false,
      });
    }
    statuses.sort((a, b) => compareVersions(a.version, b.version) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { migrations, history, statuses, adopted, renames };
  }

  /**
   * Lists every migration (from the files and from the history table) with its state, in version order.
   * Reads only: a database without a history table has every migration pending.
   */
  async status(): Promise<MigrationStatus[]> {
    return [...(await this.#state()).statuses];
  }

  #checkIntegrity(state: State, force: boolean): void {
    const bad = state.statuses.filter((s) => s.state === 'drifted' || s.state === 'missing');
    if (bad.length > 0 && !force) {
      const list = bad.map((s) => `${s.name} (${s.state === 'drifted' ? 'changed since it was applied' : 'file missing'})`).join(', ');
      throw new MigrateError(MigrateErrorCodes.DRIFT, `Applied migrations no longer match their files: ${list}. Restore the files, or pass force to go on.`, {
        migration: bad[0]!.name,
      });
    }
  }

  #pending(state: State, to: string | undefined): Migration[] {
    const applied = new Set(state.history.map((h) => h.name));
    let pending = state.migrations.filter((m) => !applied.has(m.name));
    if (!this.#options.allowOutOfOrder) {
      const appliedVersions = state.statuses.filter((s) => s.state !== 'pending').map((s) => s.version);
      const newest = appliedVersions.reduce((a, b) => (b > a ? b : a), -1n);
      const early = pending.find((m) => m.version < newest);
      if (early !== undefined) {
        throw new MigrateError(
          MigrateErrorCodes.OUT_OF_ORDER,
          `Migration ${early.name} is pending but sorts before migrations already applied; renumber it, or set allowOutOfOrder.`,
          { migration: early.name },
        );
      }
    }
    if (to !== undefined) {
      const target = this.#find(state.migrations, to);
      pending = pending.filter((m) => m.version <= target.version);
    }
    return pending;
  }

  #find(migrations: readonly Migration[], to: string): Migration {
    if (typeof to !== 'string' || to === '') throw invalidArgument('to must be a migration name or version.');
    const target = migrations.find((m) => m.name === to) ?? (/^\d+$/.test(to) ? migrations.find((m) => m.version === BigInt(to)) : undefined);
    if (target === undefined) throw new MigrateError(MigrateErrorCodes.UNKNOWN_TARGET, `No migration is named ${to}.`, { migration: to });
    return target;
  }

  #appliedNewestFirst(state: State): Migration[] {
    const applied = new Set(state.history.map((h) => h.name));
    const missing = state.statuses.filter((s) => s.state === 'missing');
    const list = state.migrations.filter((m) => applied.has(m.name));
    const newest = list.at(-1);
    const orphan = missing.find((s) => newest === undefined || s.version >= newest.version);
    if (orphan !== undefined) {
      throw new MigrateError(MigrateErrorCodes.NO_DOWN, `Migration ${orphan.name} is applied but its file is missing: it cannot be rolled back.`, { migration: orphan.name });
    }
    return list.reverse();
  }

  #rollbacks(state: State, options: DownOptions): Migration[] {
    const applied = this.#appliedNewestFirst(state);
    let chosen: Migration[];
    if (options.to !== undefined) {
      const target = this.#find(state.migrations, options.to);
      if (!applied.includes(target)) throw new MigrateError(MigrateErrorCodes.UNKNOWN_TARGET, `Migration ${options.to} is not applied.`, { migration: options.to });
      chosen = applied.filter((m) => m.version > target.version);
    } else {
      const steps = options.steps ?? 1;
      if (steps !== 'all' && (!Number.isInteger(steps) || steps < 1)) throw invalidArgument("steps must be a positive integer or 'all'.");
      chosen = steps === 'all' ? applied : applied.slice(0, steps);
    }
    const irreversible = chosen.find((m) => m.down === undefined);
    if (irreversible !== undefined) {
      throw new MigrateError(MigrateErrorCodes.NO_DOWN, `Migration ${irreversible.name} has no down part: it cannot be rolled back.`, { migration: irreversible.name });
    }
    return chosen;
  }

  /**
   * Applies pending migrations in version order, each in its own writer transaction with its history row.
   * Several processes may call it at once: one applies, the others wait for it and then find nothing to do.
   *
   * @example
   * const migrator = createMigrator(db, { dir: 'migrations' });
   * const { runs } = await migrator.up();
   * console.log(runs.map((r) => r.name));
   */
  async up(options: UpOptions = {}): Promise<MigrateResult> {
    checkRunOptions(options, ['to']);
    return this.#run(options, (state) => this.#pending(state, options.to).map((migration) => ({ migration, direction: 'up' as const })));
  }

  /** Rolls back the newest applied migrations (one by default), each in its own transaction. */
  async down(options: DownOptions = {}): Promise<MigrateResult> {
    checkRunOptions(options, ['steps', 'to']);
    return this.#run(options, (state) => this.#rollbacks(state, options).map((migration) => ({ migration, direction: 'down' as const })));
  }

  /** Rolls back the newest applied migration and applies it again (to try a change to a migration being written). */
  async redo(options: RunOptions = {}): Promise<MigrateResult> {
    checkRunOptions(options, []);
    return this.#run(options, (state) => {
      const [last] = this.#rollbacks(state, { steps: 1 });
      return last === undefined
        ? []
        : [
            { migration: last, direction: 'down' as const },
            { migration: last, direction: 'up' as const },
          ];
    });
  }

  /**
   * Writes a new, empty migration file in the migrations folder, numbered after the existing ones (or timestamped).
   *
   * @example
   * const { path } = await migrator.create('add users email');
   */
  async create(name: string, options: Omit<CreateMigrationOptions, 'layout'> = {}): Promise<CreatedMigration> {
    if (this.#options.dir === undefined) throw invalidArgument('create() needs a migrator with a dir.');
    return createMigration(this.#options.dir, name, { ...options, layout: this.#options.layout });
  }

  async #run(options: RunOptions, choose: (state: State) => Step[]): Promise<MigrateResult> {
    const force = options.force === true;
    if (options.dryRun === true) {
      const state = await this.#state();
      this.#checkIntegrity(state, force);
      const steps = choose(state);
      return {
        runs: steps.map((s) => ({ name: s.migration.name, direction: s.direction, durationMs: 0 })),
        dryRun: true,
        sql: steps.map((s) => this.#render(s)).join('\n\n'),
        waitedMs: 0,
      };
    }
    const lock = new MigrationLock(this.#db, `${this.#options.table}_lock`, {
      timeoutMs: this.#options.lockTimeoutMs,
      staleMs: this.#options.staleLockMs,
      onWait: (holder) => this.#emit({ type: 'lock-wait', holder }),
    });
    const waitedMs = await lock.acquire();
    this.#emit({ type: 'lock-acquired', waitedMs });
    let failed = false;
    try {
      await this.#history.ensure(this.#db);
      // State is read only now, under the lock: a process that waited sees what the holder applied.
      const state = await this.#state();
      if (state.adopted.length > 0) {
        await this.#db.transaction(async (tx) => {
          for (const entry of state.adopted) await this.#history.record(tx, entry);
        });
      }
      for (const { from, to } of state.renames) await this.#history.rename(this.#db, from, to);
      for (const status of state.statuses) {
        if (status.state === 'applied' && status.appliedChecksum === null && typeof status.checksum === 'string') {
          await this.#history.setChecksum(this.#db, status.name, status.checksum);
        }
      }
      this.#checkIntegrity(state, force);
      const steps = await this.#prepare(choose(state));
      const direction = steps.at(-1)?.direction ?? 'up';
      this.#emit({ type: 'plan', direction, names: steps.map((s) => s.migration.name) });
      const runs: MigrationRun[] = [];
      for (const [index, step] of steps.entries()) {
        this.#emit({ type: 'start', name: step.migration.name, direction: step.direction, index, total: steps.length });
        const durationMs = await this.#runOne(step);
        runs.push({ name: step.migration.name, direction: step.direction, durationMs });
        this.#emit({ type: 'done', name: step.migration.name, direction: step.direction, durationMs, index, total: steps.length });
      }
      return { runs, dryRun: false, sql: undefined, waitedMs };
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      // A failure to release must not hide the migration's own error; after a success it is the error.
      await lock.release().catch((error: unknown) => {
        if (!failed) throw error;
      });
    }
  }

  /** Loads modules and plans every script before anything runs, so a bad migration later in the list changes nothing. */
  async #prepare(steps: readonly Step[]): Promise<PreparedStep[]> {
    const prepared: PreparedStep[] = [];
    for (const step of steps) {
      let body = step.direction === 'up' ? step.migration.up : step.migration.down!;
      if (body.kind === 'module') body = await this.#resolveModule(step.migration, body.path, step.direction);
      if (body.kind === 'sql') planScript(body.sql, { transactional: body.transactional, name: step.migration.name });
      prepared.push({ ...step, body });
    }
    return prepared;
  }

  async #runOne({ migration, direction, body }: PreparedStep): Promise<number> {
    const started = performance.now();
    let elapsed = 0;
    const bookkeeping = async (db: Queryable): Promise<void> => {
      elapsed = performance.now() - started;
      if (direction === 'down') {
        await this.#history.forget(db, migration.name);
        return;
      }
      await this.#history.record(db, {
        name: migration.name,
        version: String(migration.version),
        checksum: migration.checksum,
        appliedAt: new Date().toISOString(),
        durationMs: Math.round(elapsed * 1000) / 1000,
      });
    };
    try {
      if (body.kind === 'sql') {
        await executePlan(this.#db, planScript(body.sql, { transactional: body.transactional, name: migration.name }), bookkeeping, migration.name);
      } else {
        const run: MigrationFunction = body.run;
        const context = { name: migration.name, direction };
        if (body.transactional) {
          await this.#db.transaction(
            async (tx) => {
              await run(tx, context);
              await bookkeeping(tx);
            },
            { mode: 'immediate' },
          );
        } else {
          await run(this.#db, context);
          await bookkeeping(this.#db);
        }
      }
    } catch (error) {
      if (error instanceof MigrateError && error.migration === migration.name) throw error;
      const code = hasErrorCode(error) ? error.code : MigrateErrorCodes.FAILED;
      const sql = (error as { sql?: unknown } | undefined)?.sql;
      throw new MigrateError(code, `Migration ${migration.name} (${direction}) failed: ${(error as Error)?.message ?? String(error)}`, {
        cause: error,
        migration: migration.name,
        ...(typeof sql === 'string' ? { sql } : {}),
      });
    }
    return elapsed;
  }

  async #resolveModule(migration: Migration, path: string, direction: MigrationDirection): Promise<PreparedStep['body']> {
    const module = await importModule(path, migration.name);
    const run = direction === 'up' ? module.up : module.down;
    if (run === undefined) throw new MigrateError(MigrateErrorCodes.NO_DOWN, `Migration ${migration.name} exports no down(): it cannot be rolled back.`, { migration: migration.name });
    return { kind: 'function', run, transactional: module.transaction !== false };
  }

  #render({ migration, direction }: Step): string {
    const body = direction === 'up' ? migration.up : migration.down!;
    const head = `-- ${migration.name}: ${direction}`;
    if (body.kind !== 'sql') {
      const where = body.kind === 'module' ? ` of ${body.path}` : '';
      return `${head}\n-- runs the ${direction}() function${where}; its SQL is known only when it runs`;
    }
    const plan: ScriptPlan = planScript(body.sql, { transactional: body.transactional, name: migration.name });
    const table = quoteName(this.#history.table);
    const record =
      direction === 'up'
        ? `INSERT INTO ${table} (name, version, checksum, applied_at, duration_ms) VALUES (${quoteText(migration.name)}, ${quoteText(String(migration.version))}, ${migration.checksum === null ? 'NULL' : quoteText(migration.checksum)}, :applied_at, :duration_ms);`
        : `DELETE FROM ${table} WHERE name = ${quoteText(migration.name)};`;
    const lines = [head];
    if (!plan.transactional) lines.push('-- no-transaction: each statement runs on its own');
    if (plan.foreignKeysOff) lines.push('PRAGMA foreign_keys = OFF;');
    if (plan.transactional) lines.push('BEGIN IMMEDIATE;');
    for (const step of plan.steps) lines.push(`${step.sql};`);
    if (plan.foreignKeysOff) lines.push('PRAGMA foreign_key_check; -- any row fails the migration');
    lines.push(record);
    if (plan.transactional) lines.push('COMMIT;');
    if (plan.foreignKeysOn) lines.push('PRAGMA foreign_keys = ON;');
    else if (plan.foreignKeysOff) lines.push('-- foreign_keys back to its previous setting');
    return lines.join('\n');
  }
}

/**
 * Creates a {@link Migrator} for a database or pool.
 *
 * @example
 * import { open } from '@rapsqlite/engine';
 * import { createMigrator } from '@rapsqlite/migrate';
 *
 * await using db = await open('app.db');
 * await createMigrator(db, { dir: 'migrations' }).up();
 */
export function createMigrator(db: Queryable, options: MigratorOptions): Migrator {
  return new Migrator(db, options);
}
