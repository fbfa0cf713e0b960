import type { RowsPayload } from '../worker/protocol.ts';
import type { RequestHandler } from './handler.ts';

/** `get`: the first row of a query, or undefined. */
export const get: RequestHandler<'get'> = {
  kind: 'get',
  writes: 'sql',
  harmless: false,
  execute(session, { sql, params, mode }) {
    const entry = session.query(sql);
    // A positional array binds as it is (what `bindArgs` would return for it), without an array and a spread per call.
    const row = (Array.isArray(params) && !entry.numbered ? entry.stmt.get(params) : entry.stmt.get(...session.bindArgs(entry, params))) as unknown[] | undefined;
    return row === undefined ? undefined : session.rowsPayload(entry, [row], mode);
  },
  decode(payload, context) {
    return payload === undefined ? undefined : context.rows(payload as RowsPayload)[0];
  },
};
