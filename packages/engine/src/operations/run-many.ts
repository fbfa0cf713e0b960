import type { RunManyResult } from '../types.ts';
import type { RequestHandler } from './handler.ts';

/** `runMany`: one statement over many parameter sets, all-or-nothing (a savepoint inside an open transaction). */
export const runMany: RequestHandler<'runMany'> = {
  kind: 'runMany',
  writes: 'always',
  harmless: false,
  execute(session, { sql, params, mode }) {
    const entry = session.statement(sql);
    const list = params as unknown[];
    let changes = 0;
    let last: number | bigint = 0;
    let index = 0;
    const body = (): void => {
      for (; index < list.length; index++) {
        const result = entry.stmt.run(...session.bindArgs(entry, list[index]));
        changes += result.changes;
        last = result.lastInsertRowid;
      }
    };
    const db = session.db;
    try {
      // Inside an open transaction better-sqlite3 uses a savepoint, so a failing runMany is still all-or-nothing.
      const tx = db.transaction(body);
      if (db.inTransaction) tx();
      else tx.immediate();
    } catch (err) {
      (err as { index?: number }).index = index;
      throw err;
    }
    const [, rowid] = session.runResult({ changes, lastInsertRowid: last }, mode);
    return [changes, rowid, list.length];
  },
  decode(payload): RunManyResult {
    const [changes, lastInsertRowid, count] = payload as [number, number | bigint, number];
    return { changes, lastInsertRowid, count };
  },
};
