import { RapsqliteError, type ColumnInfo, type Execute, type Operation, type Row, type RunResult } from '@rapsqlite/engine';
import { TestingErrorCodes } from '../errors/codes.ts';
import { copyRow, rowIterator } from '../internal/rows.ts';

/** How a mock rule answers. */
export type MockReply =
  | { readonly type: 'rows'; readonly rows: readonly Row[]; readonly columns: readonly string[] | undefined }
  | { readonly type: 'result'; readonly result: Partial<RunResult> }
  | { readonly type: 'error'; readonly error: (op: Operation) => Error }
  | { readonly type: 'passthrough' }
  | { readonly type: 'custom'; readonly handler: (op: Operation, next: Execute) => unknown };

function mismatch(op: Operation, what: string): RapsqliteError {
  return new RapsqliteError(TestingErrorCodes.MOCK_REPLY, `The mock rule answers with ${what}, which does not fit a ${op.kind} call`, { sql: op.sql });
}

function columnsOf(rows: readonly Row[], names: readonly string[] | undefined): ColumnInfo[] {
  const list = names ?? (rows[0] === undefined ? [] : Object.keys(rows[0]));
  return list.map((name) => ({ name, type: null, table: null, column: null, database: null }));
}

/** The statement metadata a mocked `prepare` resolves with. */
export function preparedInfo(reply: MockReply): { reader: boolean; readonly: boolean; columns: ColumnInfo[] } {
  if (reply.type === 'rows') return { reader: true, readonly: true, columns: columnsOf(reply.rows, reply.columns) };
  return { reader: false, readonly: false, columns: [] };
}

/** Produces the result of `op` from a reply, shaped as the engine would shape it for that kind. */
export function answer(reply: MockReply, op: Operation, next: Execute): Promise<unknown> {
  switch (reply.type) {
    case 'passthrough':
      return next(op);
    case 'custom':
      return Promise.resolve().then(() => reply.handler(op, next));
    case 'error':
      return Promise.reject(reply.error(op));
    case 'rows': {
      const rows = reply.rows;
      switch (op.kind) {
        case 'get':
          return Promise.resolve(rows[0] === undefined ? undefined : copyRow(rows[0]));
        case 'all':
          return Promise.resolve(rows.map(copyRow));
        case 'values': {
          const columns = columnsOf(rows, reply.columns);
          return Promise.resolve({ columns, rows: rows.map((row) => columns.map((c) => copyRow(row)[c.name])) });
        }
        case 'iterate':
          return Promise.resolve(rowIterator(rows.map(copyRow)));
        case 'prepare':
          return Promise.resolve(preparedInfo(reply));
        default:
          return Promise.reject(mismatch(op, 'rows'));
      }
    }
    case 'result': {
      const { changes, lastInsertRowid = 0 } = reply.result;
      switch (op.kind) {
        case 'run':
          return Promise.resolve({ changes: changes ?? 1, lastInsertRowid });
        case 'runMany':
          return Promise.resolve({ changes: changes ?? op.paramsList.length, lastInsertRowid, count: op.paramsList.length });
        case 'prepare':
          return Promise.resolve(preparedInfo(reply));
        case 'get':
        case 'all':
        case 'values':
        case 'iterate':
        case 'transaction':
          return Promise.reject(mismatch(op, 'a run result'));
        default:
          // exec and the statements that frame a transaction resolve with nothing.
          return Promise.resolve(undefined);
      }
    }
  }
}
