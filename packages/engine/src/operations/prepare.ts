import type { StatementInfo } from '../worker/protocol.ts';
import { columnInfo } from '../worker/session.ts';
import type { RequestHandler } from './handler.ts';

/** `prepare`: compiles a statement into the worker's cache and reports what it is. */
export const prepare: RequestHandler<'prepare'> = {
  kind: 'prepare',
  writes: 'never',
  harmless: true,
  execute(session, { sql }): StatementInfo {
    const entry = session.statement(sql);
    return { reader: entry.reader, readonly: entry.stmt.readonly, columns: entry.reader ? columnInfo(entry.stmt) : [] };
  },
  decode: (payload) => payload as StatementInfo,
};
