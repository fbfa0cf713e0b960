import knex from 'knex';
import { describe, expect, it } from 'vitest';

// Imports the built package through its `exports` map (run `build` first; nx does), so packaging mistakes fail here.
describe('@rapsqlite/knex as published', () => {
  it('exposes its API from the package entry point', async () => {
    const pkg = await import('@rapsqlite/knex');
    expect(Object.keys(pkg).sort()).toEqual(['RapsqliteClient', 'rapsqliteConnection', 'toNodeSqlite3Error']);
    const db = knex({ client: pkg.RapsqliteClient, connection: { filename: ':memory:' }, useNullAsDefault: true });
    expect(await db.raw('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await db.destroy();
  });
});
