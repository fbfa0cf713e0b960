// Type tests, checked by `tsc -p tsconfig.json` (the typecheck target): the plugin's declaration merging.
import type { Queryable } from '@rapsqlite/engine';
import Fastify from 'fastify';
import { expectTypeOf } from 'vitest';
import { rapsqlite, type SqliteHandle } from '../src/index.ts';

const app = Fastify();
void app.register(rapsqlite, { path: 'x.db', pool: { maxReaders: 2 }, errorStatus: { SQLITE_CONSTRAINT_CHECK: 422 } });
// @ts-expect-error: `pool` takes pool options or a boolean
void app.register(rapsqlite, { path: 'x.db', pool: 'yes' });

expectTypeOf(app.sqlite.get<{ n: number }>('SELECT 1 AS n')).toEqualTypeOf<Promise<{ n: number } | undefined>>();
expectTypeOf(app.sqlite['audit']).toEqualTypeOf<SqliteHandle | undefined>();

app.post('/orders', { config: { sqlite: { transaction: { mode: 'immediate', name: 'audit' } } } }, async (request) => {
  expectTypeOf(request.sqlite).toEqualTypeOf<Queryable>();
  return request.sqlite.run('INSERT INTO t VALUES (1)');
});
// @ts-expect-error: an unknown transaction mode
app.post('/bad', { config: { sqlite: { transaction: { mode: 'eager' } } } }, async () => 'x');
