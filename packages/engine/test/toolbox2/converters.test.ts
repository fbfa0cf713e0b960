import { describe, expect, it } from 'vitest';
import { compileConverters, decimalText, parseDateText, resolveConverters } from '../../src/toolbox/converters.ts';
import { withQueryTools } from '../../src/toolbox/query-tools.ts';
import { openWith, rejection, thrown } from './helpers.ts';

const SCHEMA = `
  CREATE TABLE items (
    id INTEGER PRIMARY KEY, created DATETIME, stamped TIMESTAMP, day DATE, active BOOLEAN, doc JSON,
    price DECIMAL(10, 2), amount NUMERIC, uid UUID, raw_uid UUID, label VARCHAR(20), point POINT
  );
  INSERT INTO items VALUES (1, '2026-03-01 09:30:00', '2026-03-01T09:30:00.250Z', '2026-03-01', 1, '{"a":[1,2],"b":null}',
    '12.30', 7, 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', X'a0eebc999c0b4ef8bb6d6bb9bd380a11', 'x', '1,2');
  INSERT INTO items (id) VALUES (2);`;

describe('value converters', () => {
  it('converts by declared type as PARSE_DECLTYPES does, and leaves NULL alone', async () => {
    const db = withQueryTools(await openWith(SCHEMA), { converters: true });
    const [row, empty] = await db.all('SELECT * FROM items ORDER BY id');
    expect(row).toEqual({
      id: 1,
      created: new Date('2026-03-01T09:30:00Z'),
      stamped: new Date('2026-03-01T09:30:00.250Z'),
      day: new Date('2026-03-01T00:00:00Z'),
      active: true,
      doc: { a: [1, 2], b: null },
      price: '12.3',
      amount: '7',
      uid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      raw_uid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      label: 'x',
      point: '1,2',
    });
    expect(Object.values(empty as object).filter((v) => v !== null)).toEqual([2]);
  });

  it('converts nothing unless configured, and compiles to nothing for a shape without such columns', async () => {
    const db = withQueryTools(await openWith(SCHEMA));
    expect(await db.get('SELECT created, active FROM items WHERE id = 1')).toEqual({ created: '2026-03-01 09:30:00', active: 1 });
    const set = resolveConverters(true);
    expect(compileConverters([{ name: 'id', type: 'INTEGER' }, { name: 'n', type: null }], set)).toBeUndefined();
    expect(compileConverters([{ name: 'created', type: 'DATETIME' }], undefined)).toBeUndefined();
    expect(compileConverters([{ name: 'created', type: 'datetime' }], set)).toBeTypeOf('function');
  });

  it('takes user converters by type name and per-column overrides, also for expressions', async () => {
    const db = withQueryTools(await openWith(SCHEMA), {
      converters: { types: { point: (v) => String(v).split(',').map(Number), 'varchar': (v, column) => `${column.table}.${column.column}=${String(v)}` } },
    });
    expect(await db.get('SELECT point, label FROM items WHERE id = 1')).toEqual({ point: [1, 2], label: 'items.label=x' });
    const perCall = await db.get("SELECT json_group_array(id) AS ids, created, active FROM items", undefined, {
      converters: { columns: { ids: 'json', created: false, active: (v) => (v === 1 ? 'yes' : 'no') } },
    });
    expect(perCall).toEqual({ ids: [1, 2], created: '2026-03-01 09:30:00', active: 'yes' });
    const none = await db.get('SELECT point FROM items WHERE id = 1', undefined, { converters: false });
    expect(none).toEqual({ point: '1,2' });
    const onlyMine = withQueryTools(db.base, { converters: { builtins: false, types: { DATE: 'date' } } });
    expect(await onlyMine.get('SELECT created, day FROM items WHERE id = 1')).toEqual({ created: '2026-03-01 09:30:00', day: new Date('2026-03-01T00:00:00Z') });
  });

  it('names the column when a converter throws', async () => {
    const db = withQueryTools(await openWith(SCHEMA), { converters: true });
    await db.base.run("UPDATE items SET created = 'next tuesday', doc = '{oops' WHERE id = 2");
    const date = await rejection(db.all('SELECT created FROM items'));
    expect(date).toMatchObject({ code: 'ERR_RAPSQLITE_COLUMN_CONVERTER', column: 'created' });
    expect(date.message).not.toContain('next tuesday');
    expect(await rejection(db.all('SELECT doc AS payload FROM items'))).toMatchObject({ code: 'ERR_RAPSQLITE_COLUMN_CONVERTER', column: 'payload' });
    const mine = withQueryTools(db.base, { converters: { columns: { id: () => { throw new Error('boom'); } } } });
    const error = await rejection(mine.get('SELECT id FROM items'));
    expect(error).toMatchObject({ code: 'ERR_RAPSQLITE_COLUMN_CONVERTER', column: 'id' });
    expect((error.cause as Error).message).toBe('boom');
  });

  it('reads date numbers as epoch ms, or seconds when the adapter writes seconds', async () => {
    const base = await openWith('CREATE TABLE t (at DATETIME)');
    const ms = withQueryTools(base, { converters: true, adapters: { dates: 'ms' } });
    await ms.run('INSERT INTO t VALUES (?)', [new Date('2026-01-02T03:04:05.678Z')]);
    expect(await ms.scalar('SELECT at FROM t')).toEqual(new Date('2026-01-02T03:04:05.678Z'));
    const s = withQueryTools(base, { converters: true, adapters: { dates: 's' } });
    await s.run('DELETE FROM t');
    await s.run('INSERT INTO t VALUES (?)', [new Date('2026-01-02T03:04:05.678Z')]);
    expect(await s.scalar('SELECT at FROM t')).toEqual(new Date('2026-01-02T03:04:05Z'));
    expect(await s.scalar('SELECT at FROM t', undefined, { converters: { dateNumbers: 'ms' } })).toEqual(new Date(1767323045));
  });

  it('reads date text in ISO-8601 and SQLite forms, with offsets, as UTC when it has none', () => {
    expect(parseDateText('2026-03-01 09:30:00.5')).toEqual(new Date('2026-03-01T09:30:00.500Z'));
    expect(parseDateText('2026-03-01T09:30+02:00')).toEqual(new Date('2026-03-01T07:30:00Z'));
    expect(parseDateText('0001-01-01')).toEqual(new Date('0001-01-01T00:00:00Z'));
    for (const bad of ['2026-02-30', '2026-13-01', '2026-03-01 25:00', 'tomorrow', '']) expect(() => parseDateText(bad)).toThrow(TypeError);
  });

  it('writes decimals in plain notation', () => {
    expect([1e21, 1.5e-7, -2.5e-10, 123.45, 0].map(decimalText)).toEqual(['1000000000000000000000', '0.00000015', '-0.00000000025', '123.45', '0']);
  });

  it('refuses bad converter options with ERR_RAPSQLITE_INVALID_ARGUMENT', () => {
    for (const bad of [{ types: { X: 'nope' } }, { columns: [] }, { dateNumbers: 'us' }, { builtins: 1 }, { typo: true }]) {
      expect(thrown(() => resolveConverters(bad as never))).toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
    }
  });
});
