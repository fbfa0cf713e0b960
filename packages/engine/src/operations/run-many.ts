import type { RunManyResult } from '../types.ts';
import type { DriverDatabase } from '../worker/driver.ts';
import type { Entry, WorkerSession } from '../worker/session.ts';
import type { RequestHandler } from './handler.ts';

/** How far the running `runMany` got: read after it returns, or after it throws (the failing parameter set's index). */
interface Progress {
  index: number;
  changes: number;
  last: number | bigint;
}

type Body = (session: WorkerSession, entry: Entry, list: readonly unknown[], progress: Progress) => void;

/** A `runMany`'s loop: every parameter set through the statement, counting changes. */
const body: Body = (session, entry, list, progress) => {
  const stmt = entry.stmt;
  // A positional array binds as it is (what `bindArgs` would return for it), without a spread per row.
  const direct = !entry.numbered;
  for (let index = 0; index < list.length; index++) {
    progress.index = index;
    const params = list[index];
    const result = direct && Array.isArray(params) ? stmt.run(params) : stmt.run(...session.bindArgs(entry, params));
    progress.changes += result.changes;
    progress.last = result.lastInsertRowid;
  }
  progress.index = list.length;
};

type Transaction = ((...args: Parameters<Body>) => void) & { immediate: (...args: Parameters<Body>) => void };

/** The transaction function of each connection, made once: better-sqlite3 builds several wrappers per `transaction()`. */
const transactions = new WeakMap<DriverDatabase, Transaction>();

function transactionOf(db: DriverDatabase): Transaction {
  let tx = transactions.get(db);
  if (tx === undefined) transactions.set(db, (tx = db.transaction(body)));
  return tx;
}

/** `runMany`: one statement over many parameter sets, all-or-nothing (a savepoint inside an open transaction). */
export const runMany: RequestHandler<'runMany'> = {
  kind: 'runMany',
  writes: 'always',
  harmless: false,
  execute(session, { sql, params, mode }) {
    const entry = session.statement(sql);
    const list = params as unknown[];
    const progress: Progress = { index: 0, changes: 0, last: 0 };
    const db = session.db;
    try {
      // Inside an open transaction better-sqlite3 uses a savepoint, so a failing runMany is still all-or-nothing.
      const tx = transactionOf(db);
      if (db.inTransaction) tx(session, entry, list, progress);
      else tx.immediate(session, entry, list, progress);
    } catch (err) {
      (err as { index?: number }).index = progress.index;
      throw err;
    }
    const [, rowid] = session.runResult({ changes: progress.changes, lastInsertRowid: progress.last }, mode);
    return [progress.changes, rowid, list.length];
  },
  decode(payload): RunManyResult {
    const [changes, lastInsertRowid, count] = payload as [number, number | bigint, number];
    return { changes, lastInsertRowid, count };
  },
};
