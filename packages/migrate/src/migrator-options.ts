import { invalidArgument } from './errors.ts';
import type { LockHolder } from './lock.ts';
import { MIGRATION_LAYOUTS, type MigrationLayout } from './source/load-migrations.ts';
import type { MigrationDefinition } from './source/migration.ts';

/** Progress events of a migrator, for logs and progress bars. */
export type MigratorEvent =
  | { readonly type: 'lock-wait'; readonly holder: LockHolder }
  | { readonly type: 'lock-acquired'; readonly waitedMs: number }
  | { readonly type: 'plan'; readonly direction: 'up' | 'down'; readonly names: readonly string[] }
  | { readonly type: 'start'; readonly name: string; readonly direction: 'up' | 'down'; readonly index: number; readonly total: number }
  | { readonly type: 'done'; readonly name: string; readonly direction: 'up' | 'down'; readonly durationMs: number; readonly index: number; readonly total: number };

/** Options of {@link createMigrator}. */
export interface MigratorOptions {
  /** The migrations folder. Either `dir` or `migrations` is required. */
  readonly dir?: string;
  /** Inline migrations, run in list order (for bundled applications). */
  readonly migrations?: readonly MigrationDefinition[];
  /** The folder's layout: `'rapsqlite'` (default) or `'sqlite'` (the `sqlite` package's `migrate()`). */
  readonly layout?: MigrationLayout;
  /** The history table. Default `'rapsqlite_migrations'`; the lock table is this name plus `_lock`. */
  readonly table?: string;
  /** With `layout: 'sqlite'`: the `sqlite` package's table whose rows count as applied. Default `'migrations'`. */
  readonly sqliteTable?: string;
  /** How long to wait for another process's migrations, in ms. Default 60 000. */
  readonly lockTimeoutMs?: number;
  /** A lock whose holder, on another host, has not renewed it for this long is taken over, in ms. Default 300 000. */
  readonly staleLockMs?: number;
  /** Accept a pending migration that sorts before an applied one. Default `false`. */
  readonly allowOutOfOrder?: boolean;
  /** Called with progress events. Errors it throws are ignored. */
  readonly onEvent?: (event: MigratorEvent) => void;
}

/** {@link MigratorOptions} with defaults applied. */
export interface ResolvedMigratorOptions {
  readonly dir: string | undefined;
  readonly migrations: readonly MigrationDefinition[] | undefined;
  readonly layout: MigrationLayout;
  readonly table: string;
  readonly sqliteTable: string;
  readonly lockTimeoutMs: number;
  readonly staleLockMs: number;
  readonly allowOutOfOrder: boolean;
  readonly onEvent: ((event: MigratorEvent) => void) | undefined;
}

const KNOWN = new Set(['dir', 'migrations', 'layout', 'table', 'sqliteTable', 'lockTimeoutMs', 'staleLockMs', 'allowOutOfOrder', 'onEvent']);

function duration(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw invalidArgument(`${name} must be a non-negative number of milliseconds.`);
  return value;
}

function name(option: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value === '' || value.startsWith('sqlite_')) throw invalidArgument(`${option} must be a table name (not starting with sqlite_).`);
  return value;
}

/** Checks and freezes migrator options. */
export function resolveMigratorOptions(options: MigratorOptions): ResolvedMigratorOptions {
  if (typeof options !== 'object' || options === null) throw invalidArgument('createMigrator() needs options: { dir } or { migrations }.');
  for (const key of Object.keys(options)) if (!KNOWN.has(key)) throw invalidArgument(`Unknown migrator option "${key}".`);
  if ((options.dir === undefined) === (options.migrations === undefined)) throw invalidArgument('Give exactly one of dir and migrations.');
  if (options.dir !== undefined && (typeof options.dir !== 'string' || options.dir === '')) throw invalidArgument('dir must be a folder path.');
  if (options.layout !== undefined && !MIGRATION_LAYOUTS.includes(options.layout)) throw invalidArgument(`layout must be one of ${MIGRATION_LAYOUTS.join(', ')}.`);
  if (options.allowOutOfOrder !== undefined && typeof options.allowOutOfOrder !== 'boolean') throw invalidArgument('allowOutOfOrder must be a boolean.');
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function') throw invalidArgument('onEvent must be a function.');
  return Object.freeze({
    dir: options.dir,
    migrations: options.migrations,
    layout: options.layout ?? 'rapsqlite',
    table: name('table', options.table, 'rapsqlite_migrations'),
    sqliteTable: name('sqliteTable', options.sqliteTable, 'migrations'),
    lockTimeoutMs: duration('lockTimeoutMs', options.lockTimeoutMs, 60_000),
    staleLockMs: duration('staleLockMs', options.staleLockMs, 300_000),
    allowOutOfOrder: options.allowOutOfOrder ?? false,
    onEvent: options.onEvent,
  });
}
