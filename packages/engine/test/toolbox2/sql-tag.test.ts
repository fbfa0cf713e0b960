import { describe, expect, it } from 'vitest';
import { withQueryTools } from '../../src/toolbox/query-tools.ts';
import { isSqlQuery, sql } from '../../src/toolbox/sql-tag.ts';
import { openWith, rejection, thrown } from './helpers.ts';

describe('the sql tag', () => {
  it('binds every interpolated value as a parameter', () => {
    const name = "Robert'); DROP TABLE students;--";
    const query = sql`SELECT * FROM students WHERE name = ${name} AND age > ${12}`;
    expect(query.sql).toBe('SELECT * FROM students WHERE name = ? AND age > ?');
    expect(query.params).toEqual([name, 12]);
    expect(isSqlQuery(query)).toBe(true);
    expect(isSqlQuery({ sql: 'SELECT 1', params: [] })).toBe(false);
  });

  it('composes fragments, identifiers and joins, keeping parameters in order', () => {
    const filters = [sql`status = ${'open'}`, sql`owner_id = ${7}`];
    const where = filters.length === 0 ? sql.empty : sql`WHERE ${sql.join(filters, sql` AND `)}`;
    const query = sql`SELECT ${sql.join([sql.id('id'), sql.id('total')])} FROM ${sql.id('main', 'order "items"')} ${where} LIMIT ${10}`;
    expect(query.sql).toBe('SELECT "id", "total" FROM "main"."order ""items""" WHERE status = ? AND owner_id = ? LIMIT ?');
    expect(query.params).toEqual(['open', 7, 10]);
    expect(sql`INSERT INTO t (a, b) VALUES (${sql.join([1, null])})`.sql).toBe('INSERT INTO t (a, b) VALUES (?, ?)');
    expect(sql.join([]).sql).toBe('');
  });

  it('keeps a digit after a value from making a numbered parameter', () => {
    expect(sql`SELECT ${1}0`.sql).toBe('SELECT ? 0');
  });

  it('refuses what is not a value, with ERR_RAPSQLITE_SQL_INTERPOLATION', () => {
    const code = 'ERR_RAPSQLITE_SQL_INTERPOLATION';
    expect(thrown(() => sql`SELECT ${undefined}`)).toMatchObject({ code });
    expect(thrown(() => sql`SELECT ${() => 1}`)).toMatchObject({ code });
    expect(thrown(() => sql`SELECT ${Symbol('x')}`)).toMatchObject({ code });
    expect(thrown(() => sql`SELECT ${Promise.resolve(1)}`)).toMatchObject({ code });
    // Inside quotes, a comment or a quoted identifier the value could only be text: refused rather than bound wrongly.
    expect(thrown(() => sql`SELECT * FROM t WHERE name = '${'x'}'`)).toMatchObject({ code });
    expect(thrown(() => sql`SELECT 1 -- ${'x'}`)).toMatchObject({ code });
    expect(thrown(() => sql`SELECT "${'x'}" FROM t`)).toMatchObject({ code });
    expect(thrown(() => sql`SELECT * FROM t WHERE a = ? AND b = ${1}`)).toMatchObject({ code });
    expect(thrown(() => sql`SELECT * FROM t WHERE a = :a`)).toMatchObject({ code });
    expect(thrown(() => (sql as unknown as (text: string) => unknown)('SELECT 1'))).toMatchObject({ code });
    expect(thrown(() => sql.join([sql`a`, undefined]))).toMatchObject({ code });
    expect(thrown(() => sql.id(''))).toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
  });

  it('runs through the query methods, with adapters and IN arrays', async () => {
    const db = withQueryTools(await openWith(`CREATE TABLE tasks (id INTEGER PRIMARY KEY, title TEXT, done INTEGER, due TEXT);
      INSERT INTO tasks VALUES (1, 'a', 0, '2026-01-01T00:00:00.000Z'), (2, 'b', 1, '2026-02-01T00:00:00.000Z'), (3, 'c', 0, '2026-03-01T00:00:00.000Z')`));
    const done = false;
    const before = new Date('2026-02-15T00:00:00Z');
    expect(await db.all(sql`SELECT id FROM tasks WHERE done = ${done} AND due < ${before} ORDER BY id`, { pluck: true })).toEqual([1]);
    expect(await db.all(sql`SELECT title FROM ${sql.id('tasks')} WHERE id IN (${[2, 3]}) ORDER BY id`, { pluck: true })).toEqual(['b', 'c']);
    const id = await db.insert(sql`INSERT INTO tasks (title, done) VALUES (${'d'}, ${true})`);
    expect(id).toBe(4);
    expect(await db.exists(sql`SELECT 1 FROM tasks WHERE title = ${'d'} AND done = ${true}`)).toBe(true);
    // Through the plain engine API today: the text and the values.
    const query = sql`SELECT count(*) AS n FROM tasks WHERE done = ${1}`;
    expect(await db.base.get(query.sql, query.params as never)).toEqual({ n: 2 });
    expect(await rejection(db.all(sql`SELECT * FROM tasks WHERE id = ${new Map() as never}`))).toMatchObject({ code: 'ERR_RAPSQLITE_PARAMETER_TYPE' });
  });
});
