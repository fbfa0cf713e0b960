import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Database } from '../../src/index.ts';
import { openConnection, resolveOptions, SingleConnectionProvider, type WorkerConnection } from '../../src/plugin.ts';
import type { Connection } from '../../src/connection/connection.ts';
import { onCleanup, tempDir } from '../helpers.ts';

/** A database built as a provider author builds one, with the query tools of `options`, keeping its connection at hand. */
async function openWith(options: Parameters<typeof resolveOptions>[0], wrap?: (c: WorkerConnection) => Connection) {
  const resolved = resolveOptions(options);
  const connection = await openConnection(join(tempDir(), 'seam.db'), resolved, 'writer');
  const settings = { integers: resolved.integers, timeoutMs: resolved.timeoutMs, statementTiming: false, readonly: false, tools: resolved.tools };
  const provided = wrap === undefined ? connection : wrap(connection);
  const db = new Database({ provider: new SingleConnectionProvider(provided as WorkerConnection), settings }, []);
  onCleanup(() => db.close());
  return { db, connection };
}

async function prepared(connection: WorkerConnection): Promise<number> {
  return (await connection.execute({ kind: 'inspect', sql: '' })).statementsPrepared;
}

describe('the query tools at the connection seam', () => {
  it('prepares one statement per SQL text for IN (?) whatever the array length', async () => {
    const { db, connection } = await openWith({});
    await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY); WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000) INSERT INTO t SELECT x FROM c');
    const text = 'SELECT count(*) FROM t WHERE id IN (?)';
    expect(await db.scalar(text, [[1]])).toBe(1);
    const start = await prepared(connection);
    const counts: unknown[] = [];
    for (const length of [0, 2, 17, 500, 1999]) counts.push(await db.scalar(text, [Array.from({ length }, (_, i) => i + 1)]));
    expect(counts).toEqual([0, 2, 17, 500, 1999]);
    expect((await prepared(connection)) - start).toBe(0);
  });

  it('shapes and converts the rows of a connection that sends no cells (object rows, converters by column name)', async () => {
    // A connection of another kind: it takes the chunk size only and answers iterate with object rows.
    const { db } = await openWith({ converters: { columns: { doc: 'json' } } }, (inner) =>
      new Proxy(inner, {
        get(target, key) {
          if (key === 'execute') {
            return (request: Parameters<Connection['execute']>[0]) =>
              target.execute(request.kind === 'iterOpen' && Array.isArray(request.extra) ? { ...request, extra: request.extra[0] as number } : request);
          }
          const value: unknown = Reflect.get(target, key, target);
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      }),
    );
    await db.exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, doc TEXT); INSERT INTO t VALUES (1, '{"a":1}'), (2, '[2]'), (3, 'null')`);
    const rows: unknown[] = [];
    for await (const row of db.iterate('SELECT id, doc FROM t ORDER BY id', [], { rowMode: 'array', chunkSize: 2 })) rows.push(row);
    expect(rows).toEqual([[1, { a: 1 }], [2, [2]], [3, null]]);
    const docs: unknown[] = [];
    for await (const doc of db.iterate('SELECT doc FROM t ORDER BY id', [], { pluck: true })) docs.push(doc);
    expect(docs).toEqual([{ a: 1 }, [2], null]);
  });
});
