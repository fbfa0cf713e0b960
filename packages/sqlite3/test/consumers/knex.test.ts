import { createRequire } from 'node:module';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMPLEMENTATIONS, tempDir, type Sqlite3 } from '../helpers.ts';

const require = createRequire(import.meta.url);
/** knex's own `client: 'sqlite3'` dialect, which loads its driver with `require('sqlite3')`. */
const ClientSQLite3 = require('knex/lib/dialects/sqlite3/index.js') as new (config: Knex.Config) => Knex.Client;

/** The sqlite3 client with its driver given instead of required: what an npm alias of sqlite3 does for a whole app. */
function clientFor(sqlite3: Sqlite3) {
  return class extends ClientSQLite3 {
    _driver(): unknown {
      return sqlite3;
    }
  };
}

const migrations: Record<string, Knex.Migration> = {
  '001_create_accounts': {
    up: (k) => k.schema.createTable('accounts', (t) => {
      t.increments('id');
      t.string('owner').notNullable().unique();
      t.integer('balance').notNullable().defaultTo(0);
    }),
    down: (k) => k.schema.dropTable('accounts'),
  },
  '002_create_transfers': {
    up: (k) => k.schema.createTable('transfers', (t) => {
      t.increments('id');
      t.integer('from_id').references('accounts.id');
      t.integer('to_id').references('accounts.id');
      t.integer('amount');
    }),
    down: (k) => k.schema.dropTable('transfers'),
  },
};

describe.each(IMPLEMENTATIONS)("knex with client 'sqlite3': %s", (_name, sqlite3) => {
  const { dir, cleanup } = tempDir();
  let db: Knex;

  beforeAll(async () => {
    db = knexFactory({ client: clientFor(sqlite3) as unknown as typeof Knex.Client, connection: { filename: join(dir, 'knex.db') }, useNullAsDefault: true });
    await db.migrate.latest({
      migrationSource: {
        getMigrations: async () => Object.keys(migrations),
        getMigrationName: (name: string) => name,
        getMigration: async (name: string) => migrations[name] as Knex.Migration,
      },
    });
  });
  afterAll(async () => {
    await db.destroy();
    cleanup();
  });

  it('migrates, inserts with returning ids, and selects', async () => {
    const ids = await db('accounts').insert([{ owner: 'ada', balance: 100 }, { owner: 'bob', balance: 50 }], ['id']);
    expect(ids).toEqual([{ id: 1 }, { id: 2 }]);
    const [single] = await db('accounts').insert({ owner: 'cy', balance: 0 });
    expect(single).toBe(3);
    expect(await db('accounts').select('owner', 'balance').orderBy('id')).toEqual([
      { owner: 'ada', balance: 100 },
      { owner: 'bob', balance: 50 },
      { owner: 'cy', balance: 0 },
    ]);
    expect(await db('knex_migrations').pluck('name')).toEqual(['001_create_accounts', '002_create_transfers']);
  });

  it('commits a transaction, rolls back a failing one, and rolls back a nested savepoint alone', async () => {
    await db.transaction(async (trx) => {
      await trx('accounts').where({ owner: 'ada' }).decrement('balance', 30);
      await trx('accounts').where({ owner: 'bob' }).increment('balance', 30);
      await trx('transfers').insert({ from_id: 1, to_id: 2, amount: 30 });
    });
    const failed = await db
      .transaction(async (trx) => {
        await trx('accounts').where({ owner: 'ada' }).decrement('balance', 1000);
        throw new Error('insufficient funds');
      })
      .catch((err: Error) => err.message);
    expect(failed).toBe('insufficient funds');
    await db.transaction(async (trx) => {
      await trx('accounts').where({ owner: 'cy' }).increment('balance', 5);
      await trx.transaction(async (inner) => {
        await inner('accounts').where({ owner: 'cy' }).increment('balance', 1000);
        throw new Error('inner');
      }).catch(() => undefined);
    });
    expect(await db('accounts').select('owner', 'balance').orderBy('id')).toEqual([
      { owner: 'ada', balance: 70 },
      { owner: 'bob', balance: 80 },
      { owner: 'cy', balance: 5 },
    ]);
  });

  it('surfaces a unique violation with node-sqlite3’s code and errno', async () => {
    const err = await db('accounts').insert({ owner: 'ada' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SQLITE_CONSTRAINT', errno: 19 });
    expect((err as Error).message).toContain('UNIQUE constraint failed: accounts.owner');
  });

  it('reports updated and deleted row counts, and streams rows', async () => {
    expect(await db('accounts').where('balance', '>', 60).update({ balance: 60 })).toBe(2);
    expect(await db('transfers').del()).toBe(1);
    const streamed: unknown[] = [];
    for await (const row of db('accounts').select('owner').orderBy('id').stream()) streamed.push(row);
    expect(streamed).toEqual([{ owner: 'ada' }, { owner: 'bob' }, { owner: 'cy' }]);
  });

  it('rolls the migrations back', async () => {
    await db.migrate.rollback(
      {
        migrationSource: {
          getMigrations: async () => Object.keys(migrations),
          getMigrationName: (name: string) => name,
          getMigration: async (name: string) => migrations[name] as Knex.Migration,
        },
      },
      true,
    );
    expect(await db.schema.hasTable('accounts')).toBe(false);
  });
});
