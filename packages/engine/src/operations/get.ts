import type { RowsPayload } from '../worker/protocol.ts';
import type { RequestHandler } from './handler.ts';

/** `get`: the first row of a query, or undefined. */
export const get: RequestHandler<'get'> = {
  kind: 'get',
  writes: 'sql',
  harmless: false,
  execute(session, { sql, params, mode }) {
    const entry = session.query(sql);
    const row = entry.stmt.get(...session.bindArgs(entry, params)) as unknown[] | undefined;
    return row === undefined ? undefined : session.rowsPayload(entry, [row], mode);
  },
  decode(payload, context) {
    return payload === undefined ? undefined : context.rows(payload as RowsPayload)[0];
  },
};
