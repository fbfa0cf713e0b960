import type { Row } from '../types.ts';
import type { RowsPayload } from '../worker/protocol.ts';
import type { RequestHandler } from './handler.ts';

/** Rows of an `all` result above which it moves in several messages (a huge message stalls its receiver). */
const CHUNK_ROWS = 2000;

/** `all`: every row of a query, in chunks when the result is large. */
export const all: RequestHandler<'all'> = {
  kind: 'all',
  writes: 'sql',
  harmless: false,
  execute(session, { sql, params, mode }, reply) {
    const entry = session.query(sql);
    const rows = (Array.isArray(params) && !entry.numbered ? entry.stmt.all(params) : entry.stmt.all(...session.bindArgs(entry, params))) as unknown[][];
    if (rows.length <= CHUNK_ROWS) return session.rowsPayload(entry, rows, mode);
    // Convert every chunk before sending any, so an integer overflow fails the call without a partial answer.
    const payloads: RowsPayload[] = [];
    for (let at = 0; at < rows.length; at += CHUNK_ROWS) payloads.push(session.rowsPayload(entry, rows, mode, at, Math.min(at + CHUNK_ROWS, rows.length)));
    for (let k = 0; k < payloads.length - 1; k++) reply.partial(payloads[k]);
    return payloads[payloads.length - 1];
  },
  decode(payload, context) {
    const last = context.rows(payload as RowsPayload);
    const chunks = context.chunks;
    if (chunks === undefined || chunks.length === 0) return last;
    // `concat` copies whole arrays at once; `flat()` (its generic path) took ten times as long for 5 000 rows.
    return (chunks[0] as Row[]).concat(...chunks.slice(1), last);
  },
};
