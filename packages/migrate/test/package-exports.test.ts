import { describe, expect, it } from 'vitest';
import { openTemp } from './helpers.ts';

const EXPORTS = [
  'DEFAULT_IGNORED_TABLES', 'MIGRATION_LAYOUTS', 'MIGRATION_NUMBERING', 'MIGRATION_STATES', 'MigrateError', 'MigrateErrorCodes', 'Migrator',
  'SCHEMA_CHANGE_KINDS', 'SCHEMA_DIFFERENCE_KINDS', 'applyScript', 'check', 'compareSchemas', 'createMigration', 'createMigrator', 'diff',
  'diffSchemas', 'loadMigrations', 'loadSchema', 'readSchema', 'splitStatements', 'umzugStorage',
];

// Imports the built package through its `exports` map (run `build` first; nx does), so packaging mistakes fail here.
describe('@rapsqlite/migrate as published', () => {
  it('exposes its API from the package entry point', async () => {
    const pkg = await import('@rapsqlite/migrate');
    expect(Object.keys(pkg).sort()).toEqual(EXPORTS);
    const db = await openTemp();
    const { runs } = await pkg.createMigrator(db, { migrations: [{ name: 'one', up: 'CREATE TABLE one (x)' }] }).up();
    expect(runs.map((r) => r.name)).toEqual(['one']);
  });
});
