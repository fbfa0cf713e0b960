import { describe, expectTypeOf, it } from 'vitest';
import type { Row } from '../../src/index.ts';
import type { ToolsHandle } from '../../src/toolbox/query-tools.ts';
import type { Page } from '../../src/toolbox/paginate.ts';
import type { ExpandedRow } from '../../src/toolbox/row-shapes.ts';
import { sql } from '../../src/toolbox/sql-tag.ts';

class User {
  readonly id: number;
  constructor(row: { id: number }) {
    this.id = row.id;
  }
}

declare const db: ToolsHandle;
declare const arrays: ToolsHandle<'array'>;

describe('the types of row shapes', () => {
  it('types all() by its options', () => {
    expectTypeOf(db.all('SELECT 1')).toEqualTypeOf<Promise<Row[]>>();
    expectTypeOf(db.all<User>('SELECT 1')).toEqualTypeOf<Promise<User[]>>();
    expectTypeOf(db.all('SELECT 1', [], { pluck: true })).toEqualTypeOf<Promise<unknown[]>>();
    expectTypeOf(db.all<number>('SELECT 1', [], { pluck: true })).toEqualTypeOf<Promise<number[]>>();
    expectTypeOf(db.all('SELECT 1', [], { map: User })).toEqualTypeOf<Promise<User[]>>();
    expectTypeOf(db.all('SELECT 1', [], { map: (row) => String(row['id']) })).toEqualTypeOf<Promise<string[]>>();
    expectTypeOf(db.all('SELECT 1', [], { map: (row: { id: number }) => row.id })).toEqualTypeOf<Promise<number[]>>();
    expectTypeOf(db.all('SELECT 1', [], { rowMode: 'array' })).toEqualTypeOf<Promise<unknown[][]>>();
    expectTypeOf(db.all<[number, string]>('SELECT 1', [], { rowMode: 'array' })).toEqualTypeOf<Promise<[number, string][]>>();
    expectTypeOf(db.all('SELECT 1', [], { rowMode: 'object' })).toEqualTypeOf<Promise<Row[]>>();
    expectTypeOf(db.all('SELECT 1', [], { expand: true })).toEqualTypeOf<Promise<ExpandedRow[]>>();
    expectTypeOf(db.all('SELECT 1', [], { pluck: true, map: (v) => Number(v) })).toEqualTypeOf<Promise<number[]>>();
    expectTypeOf(db.all('SELECT 1', [], { rowMode: 'array', map: (r) => r.length })).toEqualTypeOf<Promise<number[]>>();
    expectTypeOf(db.all('SELECT 1', [], { expand: true, map: (r) => r['users'] })).toEqualTypeOf<Promise<(Record<string, unknown> | undefined)[]>>();
  });

  it('types get() and iterate() the same way', () => {
    expectTypeOf(db.get('SELECT 1', [], { pluck: true })).toEqualTypeOf<Promise<unknown>>();
    expectTypeOf(db.get('SELECT 1', [], { map: User })).toEqualTypeOf<Promise<User | undefined>>();
    expectTypeOf(db.get<User>('SELECT 1')).toEqualTypeOf<Promise<User | undefined>>();
    expectTypeOf(db.iterate('SELECT 1', [], { map: User })).toEqualTypeOf<AsyncIterableIterator<User> & AsyncDisposable>();
    expectTypeOf(db.iterate('SELECT 1', [], { pluck: true, chunkSize: 100 })).toEqualTypeOf<AsyncIterableIterator<unknown> & AsyncDisposable>();
  });

  it('takes a query made by the sql tag in place of SQL and parameters', () => {
    const query = sql`SELECT id FROM users WHERE id = ${1}`;
    expectTypeOf(db.all(query)).toEqualTypeOf<Promise<Row[]>>();
    expectTypeOf(db.all(query, { pluck: true })).toEqualTypeOf<Promise<unknown[]>>();
    expectTypeOf(db.get(query, { map: User })).toEqualTypeOf<Promise<User | undefined>>();
  });

  it('follows the database default rowMode when a call asks for no shape', () => {
    expectTypeOf(arrays.all('SELECT 1')).toEqualTypeOf<Promise<unknown[][]>>();
    expectTypeOf(arrays.all('SELECT 1', [], { rowMode: 'object' })).toEqualTypeOf<Promise<Row[]>>();
    expectTypeOf(arrays.all('SELECT 1', [], { map: (r) => r.length })).toEqualTypeOf<Promise<number[]>>();
  });

  it('refuses shapes that exclude one another, and falls back to unknown for options that are not literals', () => {
    // @ts-expect-error pluck and expand exclude each other
    void db.all('SELECT 1', [], { pluck: true, expand: true });
    // @ts-expect-error pluck and rowMode: 'array' exclude each other
    void db.all('SELECT 1', [], { pluck: true, rowMode: 'array' });
    const options = { pluck: Math.random() > 0.5 };
    expectTypeOf(db.all('SELECT 1', [], options)).toEqualTypeOf<Promise<unknown[]>>();
  });

  it('types the conveniences', () => {
    expectTypeOf(db.insert('INSERT INTO t DEFAULT VALUES')).toEqualTypeOf<Promise<number | bigint | undefined>>();
    expectTypeOf(db.scalar<number>('SELECT count(*) FROM t')).toEqualTypeOf<Promise<number | undefined>>();
    expectTypeOf(db.exists('SELECT 1')).toEqualTypeOf<Promise<boolean>>();
    expectTypeOf(db.paginate<User>('SELECT id FROM t', { orderBy: ['id'] })).toEqualTypeOf<Promise<Page<User>>>();
  });
});
