import type { RequestHandler } from './handler.ts';

/** `exec`: a script of one or more statements, run by SQLite's own parser. */
export const exec: RequestHandler<'exec'> = {
  kind: 'exec',
  writes: 'always',
  harmless: false,
  execute(session, { sql }) {
    session.db.exec(sql);
    // A script may change the schema; cached statements would then report stale column names.
    session.cache.clear();
    return undefined;
  },
  decode: () => undefined,
};
