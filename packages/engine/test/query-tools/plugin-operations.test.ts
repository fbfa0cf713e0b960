import { describe, expect, it } from 'vitest';
import type { Middleware } from '../../src/index.ts';
import { createOperation } from '../../src/plugin.ts';
import { openTemp } from '../helpers.ts';

describe("a plugin's own statements", () => {
  it('read plain object rows and bind as they are, whatever query-tool defaults the database has', async () => {
    const seen: unknown[] = [];
    const probe: Middleware = {
      name: 'probe',
      wrap: (next) => async (op) => {
        if (op.kind === 'get' && op.sql.startsWith('SELECT n')) {
          seen.push(await next(createOperation('get', 'SELECT count(*) AS total, ? AS flag FROM t', [1], { parent: op })));
        }
        return next(op);
      },
    };
    const db = await openTemp({ rowMode: 'array', converters: true, adapters: true, middleware: [probe] });
    await db.exec('CREATE TABLE t (n INTEGER, at DATETIME); INSERT INTO t VALUES (1, 1700000000000)');
    // The caller's own call follows the database's defaults …
    expect(await db.get('SELECT n FROM t')).toEqual([1]);
    // … the plugin's statement does not.
    expect(seen).toEqual([{ total: 1, flag: 1 }]);
    // A plugin that passes options gets what it asks for.
    const arrays = await next(db);
    expect(arrays).toEqual([1, 1]);
  });
});

/** A plugin statement with explicit options, through a database's chain. */
async function next(db: Awaited<ReturnType<typeof openTemp>>): Promise<unknown> {
  let result: unknown;
  const asker: Middleware = {
    name: 'asker',
    wrap: (n) => async (op) => {
      if (op.sql === 'SELECT 2') result = await n(createOperation('get', 'SELECT 1 AS a, 1 AS b', undefined, { parent: op, options: { rowMode: 'array' } as never }));
      return n(op);
    },
  };
  await db.with(asker).get('SELECT 2');
  return result;
}
