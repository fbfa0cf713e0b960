import type { Queryable } from '@rapsqlite/engine';

/** The direction a migration runs in. */
export type MigrationDirection = 'up' | 'down';

/** What a migration function receives besides the database handle. */
export interface MigrationContext {
  /** The migration's name (its file name without extension). */
  readonly name: string;
  readonly direction: MigrationDirection;
}

/**
 * A migration written in JavaScript or TypeScript: `up` (and optionally `down`) receive the handle to use — the
 * migration's transaction, or the database itself when the module exports `transaction = false`.
 */
export type MigrationFunction = (db: Queryable, context: MigrationContext) => unknown;

/** The shape of a `.js`/`.ts` migration module's exports. */
export interface MigrationModule {
  readonly up: MigrationFunction;
  readonly down?: MigrationFunction;
  /** `false` runs the migration outside a transaction (its changes are then not undone if it fails). Default `true`. */
  readonly transaction?: boolean;
}

/** One direction of a migration: SQL text, a function, or a module to import when it runs. */
export type MigrationBody =
  | { readonly kind: 'sql'; readonly sql: string; readonly transactional: boolean }
  | { readonly kind: 'function'; readonly run: MigrationFunction; readonly transactional: boolean }
  | { readonly kind: 'module'; readonly path: string };

/** A migration as the migrator sees it, read from a folder or given inline. */
export interface Migration {
  /** Unique name, the file name without extension (and without `.up`/`.down`): `0001_create_users`. */
  readonly name: string;
  /** The number the name starts with (a sequence number or a timestamp); migrations run in this order. */
  readonly version: bigint;
  /** SHA-256 (hex) of the `up` SQL or of the module's source; `null` for inline functions. */
  readonly checksum: string | null;
  /** The file that holds the `up` part, when there is one. */
  readonly path: string | undefined;
  readonly up: MigrationBody;
  /** `undefined` when the migration cannot be rolled back. */
  readonly down: MigrationBody | undefined;
}

/** An inline migration for {@link MigratorOptions.migrations}: SQL text or functions. */
export interface MigrationDefinition {
  /** Unique name; migrations run in the order of the list. */
  readonly name: string;
  readonly up: string | MigrationFunction;
  readonly down?: string | MigrationFunction;
  /** `false` runs the migration outside a transaction. Default `true`. */
  readonly transaction?: boolean;
}
