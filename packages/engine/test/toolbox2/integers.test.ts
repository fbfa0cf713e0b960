import { describe, expect, it } from 'vitest';
import { parseJson, stringifyJson } from '../../src/toolbox/json-text.ts';
import { withQueryTools } from '../../src/toolbox/query-tools.ts';
import { openWith, rejection, thrown } from './helpers.ts';

const MAX = 2n ** 63n - 1n;
const SCHEMA = `CREATE TABLE t (id INTEGER PRIMARY KEY, amount DECIMAL, flag BOOLEAN, at DATETIME, doc JSON, n INTEGER);
  INSERT INTO t VALUES (1, 9223372036854775807, 1, 1767323045678, '{"big":9223372036854775807,"small":5,"real":1.5,"exp":1e20}', 9007199254740993);`;

describe('integers stay exact through adapters and converters', () => {
  it("applies the engine's integers mode first: 'number' refuses, the converters never see a rounded value", async () => {
    const db = withQueryTools(await openWith(SCHEMA), { converters: true });
    expect(await rejection(db.get('SELECT amount FROM t'))).toMatchObject({ code: 'ERR_RAPSQLITE_INTEGER_OVERFLOW' });
    expect(await db.get('SELECT amount, flag, n FROM t', [], { integers: 'bigint' })).toEqual({ amount: MAX.toString(), flag: true, n: 9007199254740993n });
    expect(await db.get('SELECT amount, flag, at FROM t', [], { integers: 'auto' })).toEqual({ amount: MAX.toString(), flag: true, at: new Date(1767323045678) });
    expect(await db.get('SELECT at FROM t', [], { integers: 'bigint' })).toEqual({ at: new Date(1767323045678) });
  });

  it('reads JSON integers by the same mode', async () => {
    const db = withQueryTools(await openWith(SCHEMA), { converters: true });
    expect(await rejection(db.get('SELECT doc FROM t'))).toMatchObject({ code: 'ERR_RAPSQLITE_INTEGER_OVERFLOW', column: 'doc' });
    expect(await db.scalar('SELECT doc FROM t', [], { integers: 'auto' })).toEqual({ big: MAX, small: 5, real: 1.5, exp: 1e20 });
    expect(await db.scalar('SELECT doc FROM t', [], { integers: 'bigint' })).toEqual({ big: MAX, small: 5n, real: 1.5, exp: 1e20 });
    // The database's default mode applies when a call sets none.
    const auto = withQueryTools(db.base, { converters: true, integers: 'auto' });
    expect(await auto.scalar("SELECT json_object('id', 9007199254740993) AS doc", [], { converters: { columns: { doc: 'json' } } })).toEqual({ id: 9007199254740993n });
  });

  it('passes bigints to user converters and through adapters unchanged', async () => {
    const seen: unknown[] = [];
    const db = withQueryTools(await openWith(SCHEMA), { converters: { columns: { n: (v) => (seen.push(v), v) } } });
    await db.get('SELECT n FROM t', [], { integers: 'bigint' });
    expect(seen).toEqual([9007199254740993n]);
    await db.run('INSERT INTO t (id, n, flag) VALUES (?, ?, ?)', [MAX, -MAX - 1n, true]);
    expect(await db.base.get('SELECT id, n, flag FROM t WHERE id = ?', [MAX], { integers: 'bigint' })).toEqual({ id: MAX, n: -MAX - 1n, flag: 1n });
  });

  it('writes and reads JSON with exact bigints', () => {
    expect(stringifyJson({ a: MAX, b: [1n, 2.5] })).toBe('{"a":9223372036854775807,"b":[1,2.5]}');
    expect(parseJson('[9007199254740993, 12345678901234567.5, 1e300]', 'auto')).toEqual([9007199254740993n, Number('12345678901234567.5'), 1e300]);
    expect(thrown(() => parseJson('[9007199254740993]', 'number'))).toMatchObject({ code: 'ERR_RAPSQLITE_INTEGER_OVERFLOW' });
    expect(parseJson('[9007199254740991]', 'number')).toEqual([9007199254740991]);
    expect(() => stringifyJson({ b: Buffer.from('x') })).toThrow(TypeError);
  });
});
