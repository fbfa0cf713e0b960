import { describe, expect, it } from 'vitest';
import { open } from '@rapsqlite/engine';
import { drizzle, type RapsqliteClient } from '../src/index.ts';

describe('drizzle() options', () => {
  it('refuses a client that is not a rapsqlite handle, unknown options and a bad integer mode', async () => {
    await using client = await open(':memory:');
    const invalid = expect.objectContaining({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
    expect(() => drizzle('app.db' as unknown as RapsqliteClient)).toThrow(invalid);
    expect(() => drizzle(client, { connection: 'x' } as never)).toThrow(invalid);
    expect(() => drizzle(client, { integers: 'big' } as never)).toThrow(invalid);
    expect(drizzle(client, { logger: false }).$client).toBe(client);
  });
});

describe('drizzle() with a logger and a casing', () => {
  it('logs every query with its parameters and maps camelCase keys to snake_case columns', async () => {
    const { sqliteTable, integer, text } = await import('drizzle-orm/sqlite-core');
    const people = sqliteTable('people', { personId: integer().primaryKey(), fullName: text().notNull() });
    await using client = await open(':memory:');
    const logged: [string, unknown[]][] = [];
    const db = drizzle(client, { casing: 'snake_case', logger: { logQuery: (query, params) => logged.push([query, params]) } });
    await client.exec('CREATE TABLE people (person_id INTEGER PRIMARY KEY, full_name TEXT NOT NULL)');
    await db.insert(people).values({ personId: 1, fullName: 'Ada Lovelace' });
    expect(await db.select().from(people)).toEqual([{ personId: 1, fullName: 'Ada Lovelace' }]);
    expect(logged).toEqual([
      ['insert into "people" ("person_id", "full_name") values (?, ?)', [1, 'Ada Lovelace']],
      ['select "person_id", "full_name" from "people"', []],
    ]);
  });
});
