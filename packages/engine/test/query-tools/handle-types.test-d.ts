import { describe, expectTypeOf, it } from 'vitest';
import { sql, type Database, type ExpandedRow, type OpenTransaction, type Page, type Queryable, type Row, type RunResult, type Transaction, type ValuesResult } from '../../src/index.ts';

class User {
  readonly id: number;
  constructor(row: { id: number }) {
    this.id = row.id;
  }
}

declare const db: Database;
declare const tx: Transaction;
declare const open: OpenTransaction;

describe('the query tools in the handles’ types', () => {
  it('types the rows of get, all and iterate by their options, on a database', () => {
    expectTypeOf(db.all('SELECT 1')).toEqualTypeOf<Promise<Row[]>>();
    expectTypeOf(db.all<User>('SELECT 1')).toEqualTypeOf<Promise<User[]>>();
    expectTypeOf(db.all('SELECT 1', [], { pluck: true })).toEqualTypeOf<Promise<unknown[]>>();
    expectTypeOf(db.all('SELECT 1', [], { map: User })).toEqualTypeOf<Promise<User[]>>();
    expectTypeOf(db.all('SELECT 1', [[1, 2]], { rowMode: 'array' })).toEqualTypeOf<Promise<unknown[][]>>();
    expectTypeOf(db.all('SELECT 1', [], { expand: true })).toEqualTypeOf<Promise<ExpandedRow[]>>();
    expectTypeOf(db.get('SELECT 1', [new Date(), true], { map: User })).toEqualTypeOf<Promise<User | undefined>>();
    expectTypeOf(db.get<{ n: number }>('SELECT 1 AS n')).toEqualTypeOf<Promise<{ n: number } | undefined>>();
    expectTypeOf(db.iterate('SELECT 1', [], { pluck: true, chunkSize: 10 })).toEqualTypeOf<AsyncIterableIterator<unknown> & AsyncDisposable>();
    expectTypeOf(db.iterate('SELECT 1', [], { map: User, converters: true })).toEqualTypeOf<AsyncIterableIterator<User> & AsyncDisposable>();
  });

  it('types the same on a transaction and an open transaction', () => {
    expectTypeOf(tx.all('SELECT 1', [], { map: User })).toEqualTypeOf<Promise<User[]>>();
    expectTypeOf(tx.get('SELECT 1', [], { pluck: true })).toEqualTypeOf<Promise<unknown>>();
    expectTypeOf(open.all('SELECT 1', [], { rowMode: 'array' })).toEqualTypeOf<Promise<unknown[][]>>();
    expectTypeOf(db.transaction(async (t) => t.all('SELECT 1', [], { map: User }))).toEqualTypeOf<Promise<User[]>>();
  });

  it('takes a query made by the sql tag on every query method', () => {
    const query = sql`SELECT id FROM users WHERE id = ${1}`;
    expectTypeOf(db.all(query, { map: User })).toEqualTypeOf<Promise<User[]>>();
    expectTypeOf(db.get(query)).toEqualTypeOf<Promise<Row | undefined>>();
    expectTypeOf(db.run(query)).toEqualTypeOf<Promise<RunResult>>();
    expectTypeOf(db.values(query)).toEqualTypeOf<Promise<ValuesResult>>();
    expectTypeOf(tx.insert(query)).toEqualTypeOf<Promise<number | bigint | undefined>>();
    expectTypeOf(db.scalar<number>(query)).toEqualTypeOf<Promise<number | undefined>>();
    expectTypeOf(db.exists(query)).toEqualTypeOf<Promise<boolean>>();
    expectTypeOf(db.paginate<User>(query, { orderBy: ['id'] })).toEqualTypeOf<Promise<Page<User>>>();
  });

  it('refuses options a method does not take', () => {
    // @ts-expect-error pluck and expand exclude each other
    void db.all('SELECT 1', [], { pluck: true, expand: true });
    // @ts-expect-error run() shapes no rows
    void db.run('SELECT 1', [], { pluck: true });
    // @ts-expect-error chunkSize is iterate's
    void db.all('SELECT 1', [], { chunkSize: 10 });
    // @ts-expect-error exists() converts nothing
    void db.exists('SELECT 1', [], { converters: true });
  });

  it('is still a Queryable for code written against it', () => {
    expectTypeOf(db).toExtend<Queryable>();
    expectTypeOf(tx).toExtend<Queryable>();
  });
});
