import { describe, expectTypeOf, it } from 'vitest';
import type {
  Database,
  Execute,
  Middleware,
  OpenTransaction,
  Operation,
  OperationResults,
  Row,
  RunManyResult,
  RunResult,
  StatementInfo,
  Transaction,
  ValuesResult,
} from '../../src/index.ts';

declare const next: Execute;
declare const db: Database;

describe('typed results through the chain', () => {
  it('narrows next(op) by the operation kind', () => {
    const mw: Middleware = {
      name: 'typed',
      wrap: (inner) => async (op: Operation) => {
        if (op.kind === 'all') expectTypeOf(await inner(op)).toEqualTypeOf<Row[]>();
        if (op.kind === 'get') expectTypeOf(await inner(op)).toEqualTypeOf<Row | undefined>();
        if (op.kind === 'run') expectTypeOf(await inner(op)).toEqualTypeOf<RunResult>();
        if (op.kind === 'runMany') expectTypeOf(await inner(op)).toEqualTypeOf<RunManyResult>();
        if (op.kind === 'values') expectTypeOf(await inner(op)).toEqualTypeOf<ValuesResult>();
        if (op.kind === 'prepare') expectTypeOf(await inner(op)).toEqualTypeOf<StatementInfo>();
        if (op.kind === 'iterate') expectTypeOf(await inner(op)).toEqualTypeOf<AsyncIterableIterator<Row> & AsyncDisposable>();
        if (op.kind === 'exec' || op.kind === 'commit') expectTypeOf(await inner(op)).toEqualTypeOf<undefined>();
        return inner(op);
      },
    };
    expectTypeOf(mw.name).toEqualTypeOf<string>();
  });

  it('gives the union of results for an operation not narrowed', () => {
    expectTypeOf(next<Operation['kind']>).returns.resolves.toEqualTypeOf<OperationResults[Operation['kind']]>();
  });

  it('keeps the result types of the map stable', () => {
    expectTypeOf<OperationResults['all']>().toEqualTypeOf<Row[]>();
    expectTypeOf<OperationResults['get']>().toEqualTypeOf<Row | undefined>();
    expectTypeOf<OperationResults['run']>().toEqualTypeOf<RunResult>();
    expectTypeOf<OperationResults['transaction']>().toEqualTypeOf<unknown>();
  });
});

describe('the query API', () => {
  it('types rows by the caller and transactions by their callbacks', () => {
    expectTypeOf(db.get<{ id: number }>('SELECT 1 AS id')).resolves.toEqualTypeOf<{ id: number } | undefined>();
    expectTypeOf(db.all<{ id: number }>('SELECT 1 AS id')).resolves.toEqualTypeOf<Array<{ id: number }>>();
    expectTypeOf(db.transaction(async (tx) => (expectTypeOf(tx).toEqualTypeOf<Transaction>(), 42))).resolves.toEqualTypeOf<number>();
    expectTypeOf(db.begin()).resolves.toEqualTypeOf<OpenTransaction>();
    expectTypeOf(db.with()).toEqualTypeOf<Database>();
  });
});
