import type { Queryable } from '@rapsqlite/engine';
import { invalidArgument } from '../errors.ts';
import { History } from '../history.ts';

/** The storage contract of umzug 3 (`UmzugStorage`), typed structurally so umzug is not a dependency. */
export interface UmzugStorageLike {
  logMigration(params: { readonly name: string }): Promise<void>;
  unlogMigration(params: { readonly name: string }): Promise<void>;
  executed(meta?: unknown): Promise<string[]>;
}

/** Options of {@link umzugStorage}. */
export interface UmzugStorageOptions {
  /** The history table. Default `'rapsqlite_migrations'`, the migrator's own, so the two can be swapped. */
  readonly table?: string;
}

/**
 * An umzug storage that keeps umzug's executed list in a rapsqlite database, in the same history table as
 * {@link createMigrator} (name, version from the name's leading digits, applied-at; no checksum, since umzug gives
 * none). umzug writes the row after the migration, outside its transaction: that is umzug's design.
 *
 * @example
 * import { Umzug } from 'umzug';
 * const umzug = new Umzug({ migrations: { glob: 'migrations/*.js' }, context: db, storage: umzugStorage(db), logger: undefined });
 * await umzug.up();
 */
export function umzugStorage(db: Queryable, options: UmzugStorageOptions = {}): UmzugStorageLike {
  if (typeof db !== 'object' || db === null || typeof db.run !== 'function') throw invalidArgument('umzugStorage() needs a rapsqlite database or pool.');
  const frozen = Object.freeze({ ...options });
  for (const key of Object.keys(frozen)) if (key !== 'table') throw invalidArgument(`Unknown umzugStorage option "${key}".`);
  const table = frozen.table ?? 'rapsqlite_migrations';
  if (typeof table !== 'string' || table === '') throw invalidArgument('table must be a table name.');
  const history = new History(table);
  let ready: Promise<void> | undefined;
  const ensure = (): Promise<void> => (ready ??= history.ensure(db).catch((error: unknown) => {
    ready = undefined;
    throw error;
  }));
  const nameOf = (params: { readonly name: string }): string => {
    if (typeof params?.name !== 'string' || params.name === '') throw invalidArgument('umzug passed a migration without a name.');
    return params.name;
  };
  return {
    async logMigration(params) {
      const name = nameOf(params);
      await ensure();
      await history.record(db, { name, version: /^\d+/.exec(name)?.[0] ?? '0', checksum: null, appliedAt: new Date().toISOString(), durationMs: null });
    },
    async unlogMigration(params) {
      const name = nameOf(params);
      await ensure();
      await history.forget(db, name);
    },
    async executed() {
      return (await history.read(db)).map((entry) => entry.name);
    },
  };
}
