// Type tests, checked by `tsc -p tsconfig.json` (the typecheck target): the context variable's type.
import type { Queryable } from '@rapsqlite/engine';
import { Hono } from 'hono';
import { expectTypeOf } from 'vitest';
import { transaction, type SqliteEnv } from '../src/index.ts';

const app = new Hono<SqliteEnv>();
app.post('/orders', transaction({ mode: 'immediate' }), async (c) => {
  expectTypeOf(c.var.sqlite).toEqualTypeOf<Queryable>();
  return c.json(await c.var.sqlite.run('INSERT INTO t VALUES (1)'));
});
// @ts-expect-error: an unknown transaction mode
transaction({ mode: 'eager' });
