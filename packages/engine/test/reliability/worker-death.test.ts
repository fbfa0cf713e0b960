import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { open, type Database, type Middleware } from '../../src/index.ts';
import { tempDir } from '../helpers.ts';
import { limit, Random, report, scaled, seedFor, sleep, until } from './support.ts';
import { slowCount } from './storm.ts';
import { WorkerWatch } from './workers.ts';

const FUNCTIONS = new URL('./fixtures/functions.js', import.meta.url);
const READ_DIED = 'ERR_RAPSQLITE_WORKER_DIED';
const UNKNOWN = 'ERR_RAPSQLITE_OUTCOME_UNKNOWN';

const code = (err: unknown): string => String((err as { code?: unknown })?.code ?? `uncoded ${(err as Error)?.message}`);
const settle = (p: Promise<unknown>): Promise<string> => p.then(() => 'resolved', code);

let watch: WorkerWatch | undefined;
const open_: Database[] = [];

afterEach(async () => {
  for (const db of open_.splice(0)) await db.close();
  watch?.stop();
  watch = undefined;
});

interface Setup {
  readonly db: Database;
  readonly path: string;
  readonly watch: WorkerWatch;
}

/** A database with the death fixtures registered, a pragma to replay, and a table `t` of `rows` rows. */
async function setup(middleware: Middleware[] = [], rows = 1000): Promise<Setup> {
  watch = new WorkerWatch();
  const path = join(tempDir(), 'death.db');
  const db = await open(path, { pragmas: ['user_version = 7'], middleware });
  open_.push(db);
  for (const [name, exported] of [['die', 'die'], ['die_at', 'dieAt'], ['die_later', 'dieLater'], ['twice', 'twice'], ['thread_id', 'threadId']] as const) {
    await db.function(name, { module: FUNCTIONS, export: exported });
  }
  await db.exec('CREATE TABLE t (x INTEGER, tag TEXT)');
  await db.run(`INSERT INTO t (x) WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${rows}) SELECT x FROM c`);
  return { db, path, watch };
}

/**
 * Nothing is left half-open after a death: the next call runs on a fresh worker that has the same pragmas and
 * functions, the data is intact, another connection can take the write lock at once, and after close() no worker
 * of this database is still running.
 */
async function expectRecovered(s: Setup): Promise<void> {
  expect(await s.db.get('SELECT twice(21) AS x')).toEqual({ x: 42 });
  expect(await s.db.get('PRAGMA user_version')).toEqual({ user_version: 7 });
  expect(await s.db.all('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
  await s.db.run("INSERT INTO t (x, tag) VALUES (0, 'recovered')");
  const other = await open(s.path, { busyTimeoutMs: 200 });
  try {
    await other.transaction(async (tx) => {
      await tx.run("INSERT INTO t (x, tag) VALUES (0, 'other connection')");
    });
  } finally {
    await other.close();
  }
  await s.db.close();
  await until(() => s.watch.alive.length === 0, 'every worker of the database to exit', 10_000);
}

async function sumX(db: Database): Promise<number> {
  return ((await db.get<{ s: number }>('SELECT sum(x) AS s FROM t WHERE tag IS NULL')) as { s: number }).s;
}

describe('a worker that dies while idle', () => {
  it('is replaced on the next call when it was terminated from outside', async () => {
    const s = await setup();
    await s.db.get('SELECT 1');
    await WorkerWatch.kill(s.watch.latest);
    await until(() => s.watch.alive.length === 0, 'the worker to exit');
    await sleep(0);
    await expectRecovered(s);
  });

  it('is replaced on the next call when it crashed by itself', async () => {
    const s = await setup();
    await s.db.get('SELECT die_later(20)');
    await until(() => s.watch.alive.length === 0, 'the worker to exit');
    await sleep(0);
    await expectRecovered(s);
  });
});

describe('a worker that dies while running a read', () => {
  it('rejects the read with ERR_RAPSQLITE_WORKER_DIED when it dies part-way through the rows', async () => {
    const s = await setup();
    expect(await settle(s.db.all('SELECT die_at(x, 500) AS x FROM t'))).toBe(READ_DIED);
    await expectRecovered(s);
  });

  it('rejects the read with ERR_RAPSQLITE_WORKER_DIED when it is terminated from outside', async () => {
    const s = await setup();
    const read = settle(s.db.get(`SELECT ${slowCount(3_000_000)} AS n`));
    await sleep(30);
    await WorkerWatch.kill(s.watch.latest);
    expect(await read).toBe(READ_DIED);
    await expectRecovered(s);
  });
});

describe('a worker that dies while running a write', () => {
  it('reports an unknown outcome for an UPDATE that dies part-way, and SQLite keeps it all-or-nothing', async () => {
    const s = await setup();
    const before = await sumX(s.db);
    expect(await settle(s.db.run('UPDATE t SET x = die_at(x, 500) + 1000000'))).toBe(UNKNOWN);
    expect(await sumX(s.db)).toBe(before);
    await expectRecovered(s);
  });

  it('reports an unknown outcome for a runMany that dies at its fifth set, and applies none of it', async () => {
    const s = await setup();
    const sets = Array.from({ length: 10 }, (_, i) => [i + 1, 'many']);
    expect(await settle(s.db.runMany('INSERT INTO t (x, tag) VALUES (die_at(?, 5), ?)', sets))).toBe(UNKNOWN);
    expect(await s.db.get("SELECT count(*) AS n FROM t WHERE tag = 'many'")).toEqual({ n: 0 });
    await expectRecovered(s);
  });

  it('reports an unknown outcome for an exec script that dies in its second statement', async () => {
    const s = await setup();
    const outcome = await settle(s.db.exec("INSERT INTO t (x, tag) VALUES (1, 'script'); INSERT INTO t (x, tag) VALUES (die_at(2, 2), 'script')"));
    expect(outcome).toBe(UNKNOWN);
    // The first statement committed on its own (a script is not a transaction): the caller had to be told "unknown".
    expect(await s.db.get("SELECT count(*) AS n FROM t WHERE tag = 'script'")).toEqual({ n: 1 });
    await expectRecovered(s);
  });

  it('reports an unknown outcome for a long write terminated from outside, and it is all or nothing', async () => {
    const s = await setup();
    const write = settle(s.db.run("INSERT INTO t (x, tag) SELECT a.x, 'long' FROM t a, t b WHERE b.x <= 300"));
    await sleep(20);
    await WorkerWatch.kill(s.watch.latest);
    expect(await write).toBe(UNKNOWN);
    const { n } = (await s.db.get<{ n: number }>("SELECT count(*) AS n FROM t WHERE tag = 'long'"))!;
    expect([0, 300_000]).toContain(n);
    await expectRecovered(s);
  });
});

describe('a worker that dies with calls queued behind it', () => {
  it('fails the call that killed it, runs the calls it had not started on the replacement, and runs the calls that waited for a transaction', async () => {
    const s = await setup();
    const sent: Array<Promise<string>> = [];
    sent.push(settle(s.db.get('SELECT die()')));
    for (let i = 0; i < 20; i++) {
      sent.push(settle(s.db.get('SELECT count(*) AS n FROM t')));
      sent.push(settle(s.db.run("INSERT INTO t (x, tag) VALUES (?, 'queued')", [i])));
    }
    const outcomes = await Promise.all(sent);
    expect(outcomes[0]).toBe(READ_DIED);
    // The worker died in the first call: the shared table says it started none of the others, which ran again on
    // the replacement, in order, exactly once.
    for (let i = 1; i < outcomes.length; i++) expect(outcomes[i]).toBe('resolved');
    const { n } = (await s.db.get<{ n: number }>("SELECT count(*) AS n FROM t WHERE tag = 'queued'"))!;
    expect(n).toBe(20);
    report('worker death with queued calls', { sent: sent.length, readsDied: 1, replayed: sent.length - 1, queuedWritesApplied: n });

    // Calls issued while a transaction holds the connection were never sent: the death must not touch them.
    const tx = settle(
      s.db.transaction(async (t) => {
        await t.run("INSERT INTO t (x, tag) VALUES (1, 'in tx')");
        await t.get('SELECT die()');
      }),
    );
    const waiting = [settle(s.db.run("INSERT INTO t (x, tag) VALUES (1, 'waited')")), settle(s.db.get('SELECT 1 AS one'))];
    expect(await tx).toBe(READ_DIED);
    expect(await Promise.all(waiting)).toEqual(['resolved', 'resolved']);
    expect(await s.db.all("SELECT tag FROM t WHERE tag IN ('in tx', 'waited')")).toEqual([{ tag: 'waited' }]);
    await expectRecovered(s);
  });
});

describe('a worker that dies inside a transaction', () => {
  it('rolls the transaction back, fails its later statements, and releases the file lock', async () => {
    const s = await setup();
    const later: string[] = [];
    const outcome = await settle(
      s.db.transaction(async (tx) => {
        await tx.run("INSERT INTO t (x, tag) VALUES (1, 'tx')");
        await tx.transaction(async (inner) => {
          await inner.run("INSERT INTO t (x, tag) VALUES (2, 'tx')");
          later.push(await settle(inner.get('SELECT die()')));
          later.push(await settle(inner.run("INSERT INTO t (x, tag) VALUES (3, 'tx')")));
        }).catch((e: unknown) => later.push(code(e)));
        later.push(await settle(tx.get('SELECT 1')));
      }),
    );
    expect(outcome).toBe(READ_DIED);
    expect(later).toEqual([READ_DIED, READ_DIED, READ_DIED, READ_DIED]);
    expect(await s.db.get("SELECT count(*) AS n FROM t WHERE tag = 'tx'")).toEqual({ n: 0 });
    // The next transaction works.
    await s.db.transaction(async (tx) => {
      await tx.run("INSERT INTO t (x, tag) VALUES (4, 'next tx')");
    });
    await expectRecovered(s);
  });

  it('rolls the transaction back when its worker is terminated from outside between two statements', async () => {
    const s = await setup();
    const outcome = await settle(
      s.db.transaction(async (tx) => {
        await tx.run("INSERT INTO t (x, tag) VALUES (1, 'tx')");
        await WorkerWatch.kill(s.watch.latest);
        await tx.run("INSERT INTO t (x, tag) VALUES (2, 'tx')");
      }),
    );
    expect(outcome).toBe(READ_DIED);
    expect(await s.db.get("SELECT count(*) AS n FROM t WHERE tag = 'tx'")).toEqual({ n: 0 });
    await expectRecovered(s);
  });
});

describe('a worker that dies with an open cursor', () => {
  it('ends the cursor with ERR_RAPSQLITE_WORKER_DIED after the rows it already had, and a new cursor works', async () => {
    const s = await setup();
    const cursor = s.db.iterate<{ x: number }>('SELECT x FROM t ORDER BY x', [], { chunkSize: 10 });
    const seen: number[] = [];
    for (let i = 0; i < 15; i++) seen.push((await cursor.next()).value!.x);
    expect(await settle(s.db.get('SELECT die()'))).toBe(READ_DIED);
    let ended = 'completed';
    try {
      for (let r = await cursor.next(); r.done !== true; r = await cursor.next()) seen.push(r.value.x);
    } catch (err) {
      ended = code(err);
    }
    expect(ended).toBe(READ_DIED);
    // Only rows that had arrived before the death, in order, without a gap.
    expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => i + 1));
    expect(seen.length).toBeLessThan(1000);
    await cursor.return?.();
    let again = 0;
    for await (const _ of s.db.iterate('SELECT x FROM t', [], { chunkSize: 100 })) again++;
    expect(again).toBe(1000);
    await expectRecovered(s);
  });

  it('ends a cursor opened inside a transaction, and the transaction, when the worker is terminated', async () => {
    const s = await setup();
    let cursorEnded = '';
    const outcome = await settle(
      s.db.transaction(async (tx) => {
        await tx.run("INSERT INTO t (x, tag) VALUES (1, 'tx')");
        const cursor = tx.iterate<{ x: number }>('SELECT x FROM t', [], { chunkSize: 10 });
        await cursor.next();
        await WorkerWatch.kill(s.watch.latest);
        try {
          for (let r = await cursor.next(); r.done !== true; r = await cursor.next());
          cursorEnded = 'completed';
        } catch (err) {
          cursorEnded = code(err);
        }
        await tx.run("INSERT INTO t (x, tag) VALUES (2, 'tx')");
      }),
    );
    expect(cursorEnded).toBe(READ_DIED);
    expect(outcome).toBe(READ_DIED);
    expect(await s.db.get("SELECT count(*) AS n FROM t WHERE tag = 'tx'")).toEqual({ n: 0 });
    await expectRecovered(s);
  });
});

describe('a worker that dies during COMMIT', () => {
  it(
    'reports ERR_RAPSQLITE_OUTCOME_UNKNOWN, and the transaction is wholly there or wholly absent',
    async () => {
      const seed = seedFor('death-at-commit');
      const random = new Random(seed);
      let armed = false;
      let killed: Promise<unknown> = Promise.resolve();
      // Terminates the worker right after COMMIT is handed to the connection: before it is sent, while SQLite commits,
      // or just after, depending on the delay.
      const killAtCommit: Middleware = {
        name: 'test:kill-at-commit',
        wrap: (next) => (op) => {
          const result = next(op);
          if (op.kind === 'commit' && armed) {
            armed = false;
            const worker = watch!.latest;
            const delay = random.int(-1, 2);
            killed = delay < 0 ? worker.terminate() : new Promise((resolve) => setTimeout(() => resolve(worker.terminate()), delay));
          }
          return result;
        },
      };
      const s = await setup([killAtCommit], 10);
      const rounds = scaled(6, 100);
      const tally = { unknownCommitted: 0, unknownRolledBack: 0, diedBeforeCommit: 0, resolved: 0, other: 0 };
      for (let round = 0; round < rounds; round++) {
        const tag = `commit-${round}`;
        const rows = random.int(1, 400);
        armed = true;
        const outcome = await settle(
          s.db.transaction(async (tx) => {
            await tx.runMany('INSERT INTO t (x, tag) VALUES (?, ?)', Array.from({ length: rows }, (_, i) => [i, tag]));
          }),
        );
        // The kill may land after the reply: wait for it, so that it never hits the next round's calls.
        await killed;
        await sleep(0);
        const { n } = (await s.db.get<{ n: number }>('SELECT count(*) AS n FROM t WHERE tag = ?', [tag]))!;
        expect([0, rows], `round ${round}: ${n} of ${rows} rows after ${outcome}`).toContain(n);
        if (outcome === UNKNOWN) {
          if (n === rows) tally.unknownCommitted++;
          else tally.unknownRolledBack++;
        } else if (outcome === 'resolved') {
          expect(n).toBe(rows);
          tally.resolved++;
        } else if (outcome === READ_DIED) {
          // Killed before the worker started the COMMIT (the shared table tells): rolled back, a known outcome.
          expect(n).toBe(0);
          tally.diedBeforeCommit++;
        } else {
          tally.other++;
          expect.soft(outcome, `round ${round}`).toBe(UNKNOWN);
        }
      }
      report('worker death during COMMIT', { rounds, ...tally, seed });
      expect(tally.other).toBe(0);
      await expectRecovered(s);
    },
    limit(30_000, 300_000),
  );
});

describe('a worker that dies while close() drains', () => {
  it('fails the call that killed it, runs the call queued before close() on the replacement, and close() still resolves', async () => {
    const s = await setup();
    const dying = settle(s.db.get('SELECT die()'));
    const queued = settle(s.db.run("INSERT INTO t (x, tag) VALUES (1, 'queued before close')"));
    const closing = s.db.close();
    expect(await dying).toBe(READ_DIED);
    expect(await queued).toBe('resolved');
    await closing;
    await until(() => s.watch.alive.length === 0, 'every worker to exit', 10_000);
  });
});
