import { describe, expect, it } from 'vitest';
import { resolveQueryTools, encodeCall, TOOL_CALL_OPTION_KEYS, withQueryTools } from '../../src/toolbox/query-tools.ts';
import { openWith, rejection, thrown } from './helpers.ts';

const SCHEMA = `CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, tags JSON, pinned BOOLEAN NOT NULL DEFAULT 0, at DATETIME);`;

describe('the query tools on every handle', () => {
  it('carries adapters, converters and shapes into transactions and savepoints', async () => {
    const db = withQueryTools(await openWith(SCHEMA), { converters: true, adapters: { json: true } });
    const at = new Date('2026-05-01T08:00:00Z');
    await db.transaction(async (tx) => {
      await tx.run('INSERT INTO notes (body, tags, pinned, at) VALUES (?, ?, ?, ?)', ['a', ['x', 'y'], true, at]);
      await tx.transaction(async (inner) => {
        await inner.runMany('INSERT INTO notes (body, tags, pinned) VALUES (?, ?, ?)', [['b', { k: 1 }, false], ['c', [], true]]);
        expect(await inner.all('SELECT body FROM notes WHERE pinned = ? ORDER BY id', [true], { pluck: true })).toEqual(['a', 'c']);
      });
    });
    expect(await db.all('SELECT body, tags, pinned, at FROM notes ORDER BY id')).toEqual([
      { body: 'a', tags: ['x', 'y'], pinned: true, at },
      { body: 'b', tags: { k: 1 }, pinned: false, at: null },
      { body: 'c', tags: [], pinned: true, at: null },
    ]);
    const values = await db.values('SELECT pinned, tags FROM notes WHERE id = ?', [1]);
    expect(values.rows).toEqual([[true, ['x', 'y']]]);
  });

  it('streams converted rows and finalizes when the loop breaks', async () => {
    const db = withQueryTools(await openWith(SCHEMA), { converters: true });
    await db.base.exec(`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000)
      INSERT INTO notes (body, pinned) SELECT 'n' || x, x % 2 FROM c`);
    let count = 0;
    for await (const pinned of db.iterate('SELECT pinned FROM notes ORDER BY id', [], { pluck: true, chunkSize: 50 })) {
      expect(typeof pinned).toBe('boolean');
      if (++count === 120) break;
    }
    expect(count).toBe(120);
    // The connection is free again: a write goes through at once.
    await db.run('DELETE FROM notes');
    expect(await db.exists('SELECT 1 FROM notes')).toBe(false);
    const failing = withQueryTools(db.base, { converters: { columns: { body: () => { throw new Error('bad'); } } } });
    await db.run("INSERT INTO notes (body) VALUES ('x')");
    const iterator = failing.iterate('SELECT body FROM notes');
    expect(await rejection(iterator.next())).toMatchObject({ code: 'ERR_RAPSQLITE_COLUMN_CONVERTER', column: 'body' });
  });

  it('leaves calls alone when nothing is configured or needed', () => {
    const tools = resolveQueryTools();
    const params = [1, 'a'];
    const call = encodeCall(tools, 'SELECT ?, ?', params);
    expect(call.params).toBe(params);
    expect(call.sql).toBe('SELECT ?, ?');
    expect(tools.converters).toBeUndefined();
    expect(TOOL_CALL_OPTION_KEYS).toEqual(['rowMode', 'pluck', 'expand', 'map', 'adapters', 'converters']);
    expect(thrown(() => resolveQueryTools({ rowMode: 'table' as never }))).toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
  });

  it('keeps the engine checking the options it owns', async () => {
    const db = withQueryTools(await openWith(SCHEMA));
    expect(await rejection(db.all('SELECT 1', [], { integer: 'bigint' } as never))).toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
    const controller = new AbortController();
    controller.abort();
    expect(await rejection(db.all('SELECT 1', [], { signal: controller.signal, pluck: true }))).toMatchObject({ code: 'ERR_RAPSQLITE_ABORTED' });
  });
});
