import type { RunResult } from '../types.ts';
import type { RequestHandler } from './handler.ts';

/** DDL: a statement after which cached statements (and their column names) must be forgotten. */
export const SCHEMA_CHANGE = /^\s*(?:CREATE|DROP|ALTER)\b/i;

/** `run`: one statement that changes data; BEGIN, COMMIT and the savepoint statements travel as `run` too. */
export const run: RequestHandler<'run'> = {
  kind: 'run',
  writes: 'always',
  harmless: false,
  execute(session, { sql, params, mode }) {
    const entry = session.statement(sql);
    const result = session.runResult(entry.stmt.run(...session.bindArgs(entry, params)), mode);
    // Cached statements would report stale column names after a schema change.
    if (!entry.reader && SCHEMA_CHANGE.test(sql)) session.cache.clear();
    return result;
  },
  decode(payload): RunResult {
    const [changes, lastInsertRowid] = payload as [number, number | bigint];
    return { changes, lastInsertRowid };
  },
};
