import { expect } from 'vitest';
import type { Queryable } from '@rapsqlite/engine';
import { check, readSchema } from '../src/index.ts';
import { canonicalDefinition, canonicalSql } from '../src/schema/sql-text.ts';

/** Asserts that two databases have the same schema, object by object, as canonical SQL. */
export async function expectSameSchema(actual: Queryable, expected: Queryable): Promise<void> {
  const [a, b] = [await readSchema(actual), await readSchema(expected)];
  const shape = (s: typeof a) => ({
    tables: s.tables.map((t) => [t.name.toLowerCase(), canonicalDefinition(t.sql), t.indexes.map((i) => [i.name, i.sql && canonicalSql(i.sql)])]).sort(),
    views: s.views.map((v) => [v.name, canonicalSql(v.sql)]).sort(),
    triggers: s.triggers.map((t) => [t.name, canonicalSql(t.sql)]).sort(),
  });
  expect(shape(a)).toEqual(shape(b));
  expect((await check(actual, expected)).differences).toEqual([]);
}

