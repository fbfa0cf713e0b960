import { restoreBuffers } from '../connection/rows.ts';
import type { ColumnInfo } from '../types.ts';
import { columnInfo } from '../worker/session.ts';
import type { RequestHandler } from './handler.ts';

/**
 * `values`: rows as arrays in column order, with the columns' metadata. With `extra` 1, only the first row (the
 * statement is stepped once): how `get` reads when its rows need the columns' declared types or order (converters,
 * row shapes).
 */
export const values: RequestHandler<'values'> = {
  kind: 'values',
  writes: 'sql',
  harmless: false,
  execute(session, { sql, params, mode, extra }) {
    const entry = session.query(sql);
    const args = session.bindArgs(entry, params);
    let rows: unknown[][];
    if (extra === 1) {
      const row = entry.stmt.get(...args) as unknown[] | undefined;
      rows = row === undefined ? [] : [row];
    } else {
      rows = entry.stmt.all(...args) as unknown[][];
    }
    let blobs: 0 | 1 = 0;
    for (const row of rows) blobs = (session.convertCells(row, row.length, mode, entry.names) | blobs) as 0 | 1;
    return [columnInfo(entry.stmt), rows, blobs];
  },
  decode(payload) {
    const [columns, rows, blobs] = payload as [ColumnInfo[], unknown[][], 0 | 1];
    if (blobs === 1) for (const row of rows) restoreBuffers(row);
    return { columns, rows };
  },
};
