import type { RowsPayload } from '../worker/protocol.ts';
import type { RequestHandler } from './handler.ts';

/** `iterOpen`: opens a cursor (for `iterate`) and returns its first chunk. */
export const iterOpen: RequestHandler<'iterOpen'> = {
  kind: 'iterOpen',
  writes: 'sql',
  harmless: false,
  execute(session, { sql, params, mode, extra }) {
    const id = session.openCursor(session.query(sql), params, mode, extra as number);
    const [rows, done] = session.readChunk(id);
    return [id, rows, done];
  },
  decode(payload, context) {
    const [cursor, rows, done] = payload as [number, RowsPayload, 0 | 1];
    return { cursor, rows: context.rows(rows), done: done === 1 };
  },
};

/** `iterNext`: the next chunk of an open cursor (`extra` is its id). */
export const iterNext: RequestHandler<'iterNext'> = {
  kind: 'iterNext',
  writes: 'never',
  harmless: false,
  execute: (session, { extra }) => session.readChunk(extra as number),
  decode(payload, context) {
    const [rows, done] = payload as [RowsPayload, 0 | 1];
    return { rows: context.rows(rows), done: done === 1 };
  },
};

/** `iterClose`: finalizes an open cursor early (a `break` out of the loop). */
export const iterClose: RequestHandler<'iterClose'> = {
  kind: 'iterClose',
  writes: 'never',
  harmless: true,
  execute(session, { extra }) {
    session.closeCursor(extra as number);
    return undefined;
  },
  decode: () => undefined,
};
