import { describe, expect, it } from 'vitest';
import { IMPLEMENTATIONS, call, closeDb, openDb } from '../helpers.ts';

const ENDLESS =
  'WITH t (n) AS (VALUES (1),(2),(3),(4),(5),(6),(7),(8)) SELECT last.n FROM t,t,t,t,t,t,t,t,t,t,t,t,t,t,t,t,t,t,t,t,t,t,t,t,t,t AS last';
const SLOW = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) AS m FROM c';

describe.each(IMPLEMENTATIONS)('interrupt: %s', (_name, sqlite3) => {
  it('stops an each() from its row callback with SQLITE_INTERRUPT, and close() then completes', async () => {
    const db = await openDb(sqlite3);
    let interrupted = false;
    let saved: (Error & { errno?: number; code?: string }) | undefined;
    db.each(ENDLESS, (err: Error | null) => {
      if (!interrupted) {
        interrupted = true;
        db.interrupt();
      } else if (err) {
        saved = err;
      }
    });
    await closeDb(db);
    expect(saved).toMatchObject({ message: 'SQLITE_INTERRUPT: interrupted', errno: sqlite3.INTERRUPT, code: 'SQLITE_INTERRUPT' });
  });

  it('stops a running query from a timer, and the database stays usable', async () => {
    const db = await openDb(sqlite3);
    const pending = call(db, 'get', SLOW);
    const timer = setTimeout(() => db.interrupt(), 150);
    const { err } = await pending;
    clearTimeout(timer);
    expect(err).toMatchObject({ code: 'SQLITE_INTERRUPT', errno: 9 });
    expect((await call(db, 'get', 'SELECT 1 AS one')).value).toEqual({ one: 1 });
    expect(db.interrupt()).toBe(db);
    await closeDb(db);
  });
});
