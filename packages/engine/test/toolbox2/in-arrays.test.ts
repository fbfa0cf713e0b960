import { describe, expect, it } from 'vitest';
import { expandArrayParams } from '../../src/toolbox/in-arrays.ts';
import { withQueryTools } from '../../src/toolbox/query-tools.ts';
import { sql } from '../../src/toolbox/sql-tag.ts';
import { openWith, rejection, thrown } from './helpers.ts';

const SCHEMA = `
  CREATE TABLE users (id INTEGER PRIMARY KEY, team TEXT, code TEXT, region TEXT, n INTEGER);
  CREATE INDEX users_code ON users (code);
  CREATE INDEX users_region_n ON users (region, n);
  WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000)
  INSERT INTO users SELECT x, CASE x % 3 WHEN 0 THEN 'red' WHEN 1 THEN 'blue' ELSE 'green' END, CAST(x AS TEXT), 'r' || (x % 10), x FROM c;`;

describe('array parameters for IN (?)', () => {
  it('becomes a json_each subquery, the same SQL text for every length', () => {
    const text = 'SELECT * FROM users WHERE id IN (?) AND team NOT IN (?)';
    const expected = 'SELECT * FROM users WHERE id IN (SELECT +value FROM json_each(?)) AND team NOT IN (SELECT +value FROM json_each(?))';
    for (const n of [0, 1, 3, 100_000]) {
      const ids = Array.from({ length: n }, (_, i) => i);
      const call = expandArrayParams(text, [ids, ['red']], undefined);
      expect(call.sql).toBe(expected);
      expect(call.params[0]).toBe(JSON.stringify(ids));
    }
    expect(expandArrayParams('SELECT * FROM t WHERE (a, b) IN (:pairs)', { pairs: [[1, 'x']] }, undefined)).toEqual({
      sql: 'SELECT * FROM t WHERE (a, b) IN (SELECT value->>0, value->>1 FROM json_each(:pairs))',
      params: { pairs: '[[1,"x"]]' },
    });
    // Nothing to do: the same objects come back, the SQL is not even read.
    const params = [1];
    const same = expandArrayParams('SELECT ? IN (?)', params, undefined);
    expect(same.params).toBe(params);
  });

  it('returns the rows of the listed keys, for 0 to 100 000 elements, through one index lookup each', async () => {
    const db = withQueryTools(await openWith(SCHEMA));
    expect(await db.all('SELECT id FROM users WHERE id IN (?) ORDER BY id', [[3, 1, 2, 2, 99_999]], { pluck: true })).toEqual([1, 2, 3]);
    expect(await db.all('SELECT id FROM users WHERE id IN (?)', [[]])).toEqual([]);
    expect(await db.scalar('SELECT count(*) FROM users WHERE id NOT IN (?)', [[]])).toBe(2000);
    const many = Array.from({ length: 100_000 }, (_, i) => i * 2);
    expect(await db.scalar('SELECT count(*) FROM users WHERE id IN (?)', [many])).toBe(1000);
    const plan = await db.base.all<{ detail: string }>('EXPLAIN QUERY PLAN ' + expandArrayParams('SELECT * FROM users WHERE code IN (?)', [['1']], undefined).sql, ['["1"]']);
    expect(plan.map((r) => r.detail)).toContain('SEARCH users USING INDEX users_code (code=?)');
  });

  it("compares with the column's affinity, as a literal list does", async () => {
    const db = withQueryTools(await openWith(SCHEMA));
    // code is TEXT: the numbers 1 and 2 match '1' and '2', as in `code IN (1, 2)`.
    expect(await db.all('SELECT id FROM users WHERE code IN (?) ORDER BY id', [[1, 2]], { pluck: true })).toEqual(await db.base.all('SELECT id FROM users WHERE code IN (1, 2) ORDER BY id').then((r) => r.map((x) => x['id'])));
    expect(await db.all('SELECT id FROM users WHERE n IN (?) ORDER BY id', [['5', '6']], { pluck: true })).toEqual([5, 6]);
  });

  it('looks up composite keys with a row value', async () => {
    const db = withQueryTools(await openWith(SCHEMA));
    const rows = await db.all('SELECT id FROM users WHERE (region, n) IN (?) ORDER BY id', [[['r1', 1], ['r2', 12], ['r9', 3]]], { pluck: true });
    expect(rows).toEqual([1, 12]);
    const plan = await db.base.all<{ detail: string }>('EXPLAIN QUERY PLAN ' + expandArrayParams('SELECT id FROM users WHERE (region, n) IN (?)', [[['r1', 1]]], undefined).sql, ['[["r1",1]]']);
    expect(plan.map((r) => r.detail)).toContain('SEARCH users USING COVERING INDEX users_region_n (region=? AND n=?)');
    expect(await db.all('SELECT id FROM users WHERE (region, n) IN (?)', [[]])).toEqual([]);
  });

  it('works with named and numbered parameters, the sql tag, adapters on elements and exact bigints', async () => {
    const db = withQueryTools(await openWith(`${SCHEMA} CREATE TABLE big (v INTEGER); INSERT INTO big VALUES (9223372036854775807), (9223372036854775806);`));
    expect(await db.all('SELECT id FROM users WHERE id IN (:ids) AND team = :team ORDER BY id', { ids: [1, 2, 3, 4], team: 'blue' }, { pluck: true })).toEqual([1, 4]);
    expect(await db.all('SELECT id FROM users WHERE team = ?2 AND id IN (?1) ORDER BY id', [[1, 2, 3, 4], 'blue'], { pluck: true })).toEqual([1, 4]);
    const ids = [6, 7];
    expect(await db.all(sql`SELECT id FROM users WHERE id IN (${ids}) ORDER BY id`, { pluck: true })).toEqual([6, 7]);
    expect(await db.all('SELECT v FROM big WHERE v IN (?)', [[2n ** 63n - 1n]], { pluck: true, integers: 'bigint' })).toEqual([2n ** 63n - 1n]);
    expect(await db.scalar('SELECT count(*) FROM (SELECT 1 AS x) WHERE x IN (?)', [[true]])).toBe(1);
    expect(await db.scalar("SELECT '2026-01-01T00:00:00.000Z' IN (?)", [[new Date('2026-01-01T00:00:00Z')]])).toBe(1);
  });

  it('refuses elements an IN list cannot carry, naming the parameter and the element', async () => {
    const db = withQueryTools(await openWith(SCHEMA));
    const cases: Array<[unknown[], string, number]> = [
      [[1, Buffer.from('x')], 'ERR_RAPSQLITE_ARRAY_PARAMETER', 2],
      [[Number.NaN], 'ERR_RAPSQLITE_ARRAY_PARAMETER', 1],
      [[1, 2, undefined], 'ERR_RAPSQLITE_PARAMETER_TYPE', 3],
      [[[1, 2]], 'ERR_RAPSQLITE_ARRAY_PARAMETER', 1],
      [['\ud800'], 'ERR_RAPSQLITE_PARAMETER_ENCODING', 1],
      [[2n ** 64n], 'ERR_RAPSQLITE_PARAMETER_TYPE', 1],
    ];
    for (const [list, code, element] of cases) {
      expect(await rejection(db.all('SELECT * FROM users WHERE id IN (?)', [list]))).toMatchObject({ code, parameter: '1', element });
    }
    expect(await rejection(db.all('SELECT * FROM users WHERE (region, n) IN (?)', [[['r1']]]))).toMatchObject({ code: 'ERR_RAPSQLITE_ARRAY_PARAMETER', element: 1 });
    expect(await rejection(db.all('SELECT * FROM users WHERE id IN (:ids) OR n = :ids', { ids: [1] }))).toMatchObject({ code: 'ERR_RAPSQLITE_ARRAY_PARAMETER', parameter: 'ids' });
    // An array outside an IN list is not a list: without the JSON adapter it is refused as before.
    expect(await rejection(db.all('SELECT * FROM users WHERE id = ?', [[1]]))).toMatchObject({ code: 'ERR_RAPSQLITE_PARAMETER_TYPE', parameter: '1' });
    // A function call on the left is not a row value: lower(a, b) has one value.
    expect(expandArrayParams('SELECT * FROM t WHERE coalesce(a, b) IN (?)', [[1]], undefined).sql).toBe('SELECT * FROM t WHERE coalesce(a, b) IN (SELECT +value FROM json_each(?))');
  });

  it('runs runMany with one SQL text, refusing sets that bind arrays differently', async () => {
    const db = withQueryTools(await openWith(SCHEMA));
    await db.runMany('UPDATE users SET team = ? WHERE id IN (?)', [['x', [1, 2]], ['y', [3]]]);
    expect(await db.all("SELECT id, team FROM users WHERE team IN ('x', 'y') ORDER BY id", undefined, { rowMode: 'array' })).toEqual([[1, 'x'], [2, 'x'], [3, 'y']]);
    expect(await rejection(db.runMany('UPDATE users SET team = ? WHERE id IN (?)', [['z', [4]], ['z', 5]]))).toMatchObject({ code: 'ERR_RAPSQLITE_ARRAY_PARAMETER', index: 1 });
    expect(await db.scalar("SELECT count(*) FROM users WHERE team = 'z'")).toBe(0);
    expect(thrown(() => expandArrayParams('SELECT ? IN (?)', [1, [{}]], undefined))).toMatchObject({ code: 'ERR_RAPSQLITE_PARAMETER_TYPE', parameter: '2', element: 1 });
  });
});
