import { describe, expect, it, vi } from 'vitest';
import { SqlMemo, changedRows, createPluginReporter, returnedRows, watchIterator } from '../src/plugin.ts';
import { openTemp } from './helpers.ts';

describe('watchIterator', () => {
  it('reports the rows delivered once, when the stream ends', async () => {
    const db = await openTemp();
    const ends: Array<[number, unknown]> = [];
    const rows: unknown[] = [];
    const it = watchIterator(db.iterate('SELECT 1 AS n UNION ALL SELECT 2'), (count, error) => ends.push([count, error]));
    for await (const row of it) rows.push(row);
    expect(rows).toEqual([{ n: 1 }, { n: 2 }]);
    expect(ends).toEqual([[2, undefined]]);
  });

  it('reports once when the consumer leaves early, and passes the early exit on', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1), (2), (3)');
    const ends: number[] = [];
    for await (const _ of watchIterator(db.iterate('SELECT x FROM t', undefined, { chunkSize: 1 }), (count) => ends.push(count))) break;
    expect(ends).toEqual([1]);
    // The early exit reached the engine: the statement was finalized, so the table can be dropped.
    await db.exec('DROP TABLE t');
  });

  it('reports the error of a failing stream', async () => {
    const db = await openTemp();
    const ends: unknown[] = [];
    const it = watchIterator(db.iterate('SELECT * FROM missing'), (_count, error) => ends.push(error));
    await expect(it.next()).rejects.toMatchObject({ code: 'SQLITE_ERROR' });
    expect(ends).toHaveLength(1);
    expect(ends[0]).toMatchObject({ code: 'SQLITE_ERROR' });
  });
});

describe('createPluginReporter', () => {
  it('hands failures to onError with the plugin and phase', () => {
    const seen: unknown[] = [];
    const report = createPluginReporter('tracer', (error, context) => seen.push([String(error), context]));
    report(new Error('exporter down'), 'end');
    expect(seen).toEqual([['Error: exporter down', { plugin: 'tracer', phase: 'end' }]]);
  });

  it('warns once per plugin instance without onError, and never throws', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const report = createPluginReporter('metrics', undefined);
      report(new Error('a'), 'start');
      report(new Error('b'), 'start');
      expect(warn).toHaveBeenCalledTimes(1);
      const broken = createPluginReporter('broken', () => {
        throw new Error('handler fails too');
      });
      expect(() => broken(new Error('c'), 'end')).not.toThrow();
      expect(warn).toHaveBeenCalledTimes(2);
    } finally {
      warn.mockRestore();
    }
  });
});

describe('returnedRows and changedRows', () => {
  it('read row counts from the results of each kind', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE t (x)');
    expect(changedRows('runMany', await db.runMany('INSERT INTO t VALUES (?)', [[1], [2], [3]]))).toBe(3);
    expect(changedRows('run', await db.run('DELETE FROM t WHERE x = 1'))).toBe(1);
    expect(returnedRows('all', await db.all('SELECT x FROM t'))).toBe(2);
    expect(returnedRows('values', await db.values('SELECT x FROM t'))).toBe(2);
    expect(returnedRows('get', await db.get('SELECT x FROM t'))).toBe(1);
    expect(returnedRows('get', await db.get('SELECT x FROM t WHERE 0'))).toBe(0);
    expect(returnedRows('exec', undefined)).toBeUndefined();
    expect(changedRows('get', { changes: 1 })).toBeUndefined();
  });
});

describe('SqlMemo', () => {
  it('computes once per text, evicts the oldest past its capacity and never keeps over-long texts', () => {
    const computed: string[] = [];
    const memo = new SqlMemo((sql) => (computed.push(sql), sql.length), 2, 10);
    expect(memo.get('SELECT 1')).toBe(8);
    expect(memo.get('SELECT 1')).toBe(8);
    memo.get('SELECT 2');
    memo.get('SELECT 3');
    memo.get('SELECT 1');
    const long = 'SELECT 1234567';
    memo.get(long);
    memo.get(long);
    expect(computed).toEqual(['SELECT 1', 'SELECT 2', 'SELECT 3', 'SELECT 1', long, long]);
  });

  it('keeps at most maxChars characters of keys, evicting the oldest', () => {
    const computed: string[] = [];
    const memo = new SqlMemo((sql) => (computed.push(sql), sql.length), 100, 100, 20);
    memo.get('SELECT 11'); // 9 characters
    memo.get('SELECT 22'); // 18 in all
    memo.get('SELECT 33'); // 27 > 20: 'SELECT 11' goes
    memo.get('SELECT 22');
    memo.get('SELECT 33');
    memo.get('SELECT 11');
    expect(computed).toEqual(['SELECT 11', 'SELECT 22', 'SELECT 33', 'SELECT 11']);
  });
});
