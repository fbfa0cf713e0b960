import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMPLEMENTATIONS, call, closeDb, exec, openDb, type Sqlite3 } from '../helpers.ts';

describe.each(IMPLEMENTATIONS)('parameters: %s', (_name, sqlite3) => {
  let db: Sqlite3;
  beforeAll(async () => {
    db = await openDb(sqlite3);
    await exec(db, 'CREATE TABLE foo (txt TEXT, num INT)');
  });
  afterAll(() => closeDb(db));

  const get = (sql: string, ...params: unknown[]) => call<Record<string, unknown>>(db, 'get', sql, ...params);
  const RANGE = { message: 'SQLITE_RANGE: column index out of range', errno: 25, code: 'SQLITE_RANGE' };

  it('binds variadic values, an array, or a single value by position', async () => {
    expect((await get('SELECT ? AS a, ? AS b', 1, 'x')).value).toEqual({ a: 1, b: 'x' });
    expect((await get('SELECT ? AS a, ? AS b', [2, 'y'])).value).toEqual({ a: 2, b: 'y' });
    expect((await get('SELECT ? AS a', 3)).value).toEqual({ a: 3 });
    // Only the first array counts.
    expect((await get('SELECT ? AS a', [1], [2])).value).toEqual({ a: 1 });
  });

  it('leaves missing positional values NULL and refuses extra ones with SQLITE_RANGE (unless undefined)', async () => {
    expect((await get('SELECT ? AS a, ? AS b', [1])).value).toEqual({ a: 1, b: null });
    expect((await get('SELECT ? AS a, ? AS b')).value).toEqual({ a: null, b: null });
    expect((await get('SELECT ? AS a', [1, 2])).err).toMatchObject(RANGE);
    expect((await get('SELECT ? AS a', 1, 2)).err).toMatchObject(RANGE);
    expect((await get('SELECT ? AS a', [1, undefined])).value).toEqual({ a: 1 });
  });

  it('binds named parameters from object keys that carry their prefix', async () => {
    expect((await call(db, 'run', 'INSERT INTO foo VALUES ($text, $id)', { $id: 1, $text: 'Lorem Ipsum' })).err).toBeNull();
    expect((await call(db, 'run', 'INSERT INTO foo VALUES (:text, :id)', { ':id': 2, ':text': 'Dolor Sit Amet' })).err).toBeNull();
    expect((await call(db, 'run', 'INSERT INTO foo VALUES (@txt, @id)', { '@id': 3, '@txt': 'Consectetur' })).err).toBeNull();
    expect((await call(db, 'run', 'INSERT INTO foo VALUES (@txt, @id)', ['Sed Do Eiusmod', 4])).err).toBeNull();
    expect((await call(db, 'run', 'INSERT INTO foo VALUES (?2, ?4)', [null, 'Tempor Incididunt', null, 5])).err).toBeNull();
    expect((await call(db, 'run', 'INSERT INTO foo VALUES (?, ?)', { 2: 6, 1: 'Ut Labore' })).err).toBeNull();
    const { value } = await call(db, 'all', 'SELECT txt, num FROM foo ORDER BY num');
    expect(value).toEqual([
      { txt: 'Lorem Ipsum', num: 1 },
      { txt: 'Dolor Sit Amet', num: 2 },
      { txt: 'Consectetur', num: 3 },
      { txt: 'Sed Do Eiusmod', num: 4 },
      { txt: 'Tempor Incididunt', num: 5 },
      { txt: 'Ut Labore', num: 6 },
    ]);
  });

  it('refuses a key without its prefix with SQLITE_RANGE, and leaves names absent from the object NULL', async () => {
    expect((await get('SELECT :a AS a', { a: 1 })).err).toMatchObject(RANGE);
    expect((await get('SELECT :a AS a, $b AS b', { ':a': 1 })).value).toEqual({ a: 1, b: null });
    expect((await get('SELECT :a AS a', { 0: 1 })).err).toMatchObject(RANGE);
    expect((await get('SELECT ? AS a', { ' 1': 'z' })).value).toEqual({ a: 'z' });
  });

  it('numbers parameters as SQLite does: repeats share a slot, ?NNN sets it, names differing by prefix are distinct', async () => {
    expect((await get('SELECT :x AS a, :x AS b, ? AS c', { ':x': 1, 2: 'two' })).value).toEqual({ a: 1, b: 1, c: 'two' });
    expect((await get('SELECT :x AS a, $x AS b', { ':x': 1, $x: 2 })).value).toEqual({ a: 1, b: 2 });
    expect((await get('SELECT ? AS a, :b AS b, ? AS c', [1, 2, 3])).value).toEqual({ a: 1, b: 2, c: 3 });
    expect((await get('SELECT ?2 AS a, ?1 AS b', ['one', 'two'])).value).toEqual({ a: 'two', b: 'one' });
    expect((await get('SELECT ?3 AS a', [1, 2, 3])).value).toEqual({ a: 3 });
    expect((await get('SELECT ?2 AS a, ? AS b', [1, 2, 3])).value).toEqual({ a: 2, b: 3 });
    expect((await get("SELECT '?1' AS lit, ? AS a", [9])).value).toEqual({ lit: '?1', a: 9 });
    expect((await get('SELECT ?1 AS a', { '?1': 'by name' })).value).toEqual({ a: 'by name' });
  });

  it('ignores parameters inside strings, comments and quoted names', async () => {
    expect((await get("SELECT ':a' AS s, ? AS v -- ? and :b\n", [5])).value).toEqual({ s: ':a', v: 5 });
    expect((await get('SELECT 1 AS "?", ? AS v', [6])).value).toEqual({ '?': 1, v: 6 });
    expect((await get("SELECT ':a' AS s, ? /* ? */ AS v", [5])).value).toEqual({ s: ':a', v: 5 });
  });

  it('treats a Buffer, Date or RegExp first argument as a positional value, not a parameters object', async () => {
    expect((await get('SELECT typeof(?) AS t, ? AS b', Buffer.from([1]), 'x')).value).toEqual({ t: 'blob', b: 'x' });
    expect((await get('SELECT ? AS d', new Date(5))).value).toEqual({ d: 5 });
    expect((await get('SELECT ? AS r', /x/)).value).toEqual({ r: '/x/' });
  });
});
