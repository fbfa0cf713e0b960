import { sql } from 'drizzle-orm';
import { readMigrationFiles, type MigrationConfig } from 'drizzle-orm/migrator';
import type { RapsqliteDatabase } from './driver.ts';

/** A migration as it was applied: its folder's timestamp and the hash drizzle-kit's journal gives it. */
export interface AppliedMigration {
  readonly hash: string;
  readonly createdAt: number;
}

/**
 * Applies the migrations `drizzle-kit generate` wrote to `migrationsFolder` that the database has not seen yet, with
 * Drizzle's own file reader and bookkeeping table (`__drizzle_migrations`), so a database migrated by Drizzle's
 * other drivers is recognised. Unlike Drizzle's SQLite migrators, it reads what was applied **inside** the write
 * transaction (`BEGIN IMMEDIATE`, on a pool the writer): two processes migrating at once apply each migration once,
 * and a failure leaves the database as it was. Resolves with the migrations it applied.
 *
 * @example
 * ```ts
 * await migrate(db, { migrationsFolder: './drizzle' });
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function migrate(db: RapsqliteDatabase<any>, config: MigrationConfig): Promise<AppliedMigration[]> {
  const migrations = readMigrationFiles(config);
  const table = sql.identifier(config.migrationsTable ?? '__drizzle_migrations');
  return db.transaction(async (tx) => {
    await tx.run(sql`CREATE TABLE IF NOT EXISTS ${table} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`);
    const last = await tx.values<[unknown, string, number | string]>(sql`SELECT id, hash, created_at FROM ${table} ORDER BY created_at DESC LIMIT 1`);
    const lastMillis = last[0] === undefined ? undefined : Number(last[0][2]);
    const applied: AppliedMigration[] = [];
    for (const migration of migrations) {
      if (lastMillis !== undefined && migration.folderMillis <= lastMillis) continue;
      for (const statement of migration.sql) if (statement.trim() !== '') await tx.run(sql.raw(statement));
      await tx.run(sql`INSERT INTO ${table} ("hash", "created_at") VALUES (${migration.hash}, ${migration.folderMillis})`);
      applied.push({ hash: migration.hash, createdAt: migration.folderMillis });
    }
    return applied;
  });
}
