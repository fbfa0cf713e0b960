import { restoreBuffers } from '../connection/rows.ts';
import type { ColumnInfo, Row } from '../types.ts';
import type { RowsPayload } from '../worker/protocol.ts';
import { columnInfo, type WorkerSession } from '../worker/session.ts';
import type { DecodeContext, RequestHandler } from './handler.ts';

/**
 * Cursors whose rows travel as cells with their columns' metadata (`iterate` with converters or a row shape), per
 * session. Kept here, beside the handlers that use it, so the worker's own state is unchanged.
 */
const cellCursors = new WeakMap<WorkerSession, Set<number>>();

function cellsOf(session: WorkerSession): Set<number> {
  let set = cellCursors.get(session);
  if (set === undefined) cellCursors.set(session, (set = new Set()));
  return set;
}

/**
 * The rows of a chunk as arrays of cells in column order, instead of objects. The shape table still learns the
 * chunk's column names (sent once per shape), so later object rows of the same shape decode.
 */
function cellRows(payload: RowsPayload, context: DecodeContext): Row[] {
  const [shape, names, width, values, blobs] = payload;
  context.rows([shape, names, 1, [], 0]);
  if (blobs === 1) restoreBuffers(values);
  const rows: unknown[][] = [];
  if (width > 0) for (let at = 0; at < values.length; at += width) rows.push(values.slice(at, at + width));
  return rows as unknown as Row[];
}

/**
 * `iterOpen`: opens a cursor (for `iterate`) and returns its first chunk. `extra` is the chunk size, or
 * `[chunkSize, 1]` for a cursor whose rows come as cells, with the columns' metadata in the first answer.
 */
export const iterOpen: RequestHandler<'iterOpen'> = {
  kind: 'iterOpen',
  writes: 'sql',
  harmless: false,
  execute(session, { sql, params, mode, extra }) {
    const cells = Array.isArray(extra);
    const entry = session.query(sql);
    const columns = cells ? columnInfo(entry.stmt) : undefined;
    const id = session.openCursor(entry, params, mode, (cells ? extra[0] : extra) as number);
    if (cells) cellsOf(session).add(id);
    try {
      const [rows, done] = session.readChunk(id);
      if (done === 1) cellCursors.get(session)?.delete(id);
      return columns === undefined ? [id, rows, done] : [id, rows, done, columns];
    } catch (err) {
      cellCursors.get(session)?.delete(id);
      throw err;
    }
  },
  decode(payload, context) {
    const [cursor, rows, done, columns] = payload as [number, RowsPayload, 0 | 1, ColumnInfo[] | undefined];
    if (columns === undefined) return { cursor, rows: context.rows(rows), done: done === 1 };
    return { cursor, rows: cellRows(rows, context), done: done === 1, columns };
  },
};

/** `iterNext`: the next chunk of an open cursor (`extra` is its id). */
export const iterNext: RequestHandler<'iterNext'> = {
  kind: 'iterNext',
  writes: 'never',
  harmless: false,
  execute(session, { extra }) {
    const id = extra as number;
    const cells = cellCursors.get(session)?.has(id) === true;
    if (!cells) return session.readChunk(id);
    try {
      const [rows, done] = session.readChunk(id);
      if (done === 1) cellCursors.get(session)?.delete(id);
      return [rows, done, 1];
    } catch (err) {
      cellCursors.get(session)?.delete(id);
      throw err;
    }
  },
  decode(payload, context) {
    const [rows, done, cells] = payload as [RowsPayload, 0 | 1, 1 | undefined];
    return { rows: cells === 1 ? cellRows(rows, context) : context.rows(rows), done: done === 1 };
  },
};

/** `iterClose`: finalizes an open cursor early (a `break` out of the loop). */
export const iterClose: RequestHandler<'iterClose'> = {
  kind: 'iterClose',
  writes: 'never',
  harmless: true,
  execute(session, { extra }) {
    session.closeCursor(extra as number);
    cellCursors.get(session)?.delete(extra as number);
    return undefined;
  },
  decode: () => undefined,
};
