/**
 * Targeted cancellation cases, each a minimal scenario for one way the rule "a call rejected as aborted or timed out
 * did not change the database" can break. Each returns the problems it found (empty when the rule held) and a few
 * figures. They run in the test process (with the native companion) and in a child process without it.
 */
import { slowCount, type StormCallOptions, type StormTarget } from './storm.ts';
import { sleep } from './support.ts';

export interface CaseResult {
  readonly problems: string[];
  readonly figures: Record<string, string | number>;
}

type Case = (db: StormTarget, tag: string) => Promise<CaseResult>;

/** Steps of the query timed to calibrate, and of the slow statements: 4 times longer, so that a cancellation at
 * {@link landing} lands while the slow statement runs, whatever this machine's speed. */
const CALIBRATION_STEPS = 250_000;
const SLOW_STEPS = 4 * CALIBRATION_STEPS;
const landing = (ms: number): number => Math.max(5, Math.round(ms * 1.5));

const code = (err: unknown): string => {
  const c = (err as { code?: unknown })?.code;
  return typeof c === 'string' ? c : `uncoded ${(err as Error)?.name}: ${(err as Error)?.message}`;
};
const outcome = (p: Promise<unknown>): Promise<string> => p.then(() => 'resolved', code);
const CANCELLED = new Set(['ERR_RAPSQLITE_ABORTED', 'ERR_RAPSQLITE_TIMEOUT']);

async function count(db: StormTarget, where: string): Promise<number> {
  const row = (await db.get(`SELECT count(*) AS n FROM cases WHERE ${where}`)) as { n: number };
  return row.n;
}

/** How long `steps` steps of the slow count take here, in milliseconds. */
async function calibrate(db: StormTarget, steps: number): Promise<number> {
  const t0 = performance.now();
  await db.get(`SELECT ${slowCount(steps)} AS calibrate`);
  return performance.now() - t0;
}

async function setup(db: StormTarget): Promise<void> {
  await db.exec('CREATE TABLE IF NOT EXISTS cases (tag TEXT NOT NULL, v)');
}

/** Issue 10, defect 1: more than 1 024 queued writes, all aborted; none may commit. */
const queuedBeyondCancelTable: Case = async (db, tag) => {
  await setup(db);
  const calls = 2048;
  const blocker = db.get(`SELECT ${slowCount(SLOW_STEPS)} AS n`);
  const controllers: AbortController[] = [];
  const results: Array<Promise<string>> = [];
  for (let i = 0; i < calls; i++) {
    const controller = new AbortController();
    controllers.push(controller);
    results.push(outcome(db.run('INSERT INTO cases (tag, v) VALUES (?, ?)', [tag, i], { signal: controller.signal })));
  }
  await sleep(20);
  for (const c of controllers) c.abort();
  const outcomes = await Promise.all(results);
  await blocker;
  const committed = new Set(((await db.all(`SELECT v FROM cases WHERE tag = '${tag}'`)) as Array<{ v: number }>).map((r) => r.v));
  const problems: string[] = [];
  let wrong = 0;
  for (const [i, o] of outcomes.entries()) {
    if (CANCELLED.has(o) && committed.has(i)) wrong++;
    else if (o === 'resolved' && !committed.has(i)) wrong++;
  }
  if (wrong > 0) problems.push(`${wrong} of ${calls} writes rejected as aborted were committed`);
  const aborted = outcomes.filter((o) => o === 'ERR_RAPSQLITE_ABORTED').length;
  return { problems, figures: { calls, aborted, committed: committed.size, cancelledButCommitted: wrong } };
};

/**
 * Issue 10, defect 2: a running write aborted while the reply of the call before it is still buffered (the worker
 * sends replies in batches). Three attempts, since whether that reply is still buffered depends on the worker's timing.
 */
const runningBehindBufferedReply: Case = async (db, tag) => {
  await setup(db);
  const ms = await calibrate(db, CALIBRATION_STEPS);
  const problems: string[] = [];
  const outcomes: string[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    const mark = `${tag}.${attempt}`;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), landing(ms));
    const [, write] = await Promise.all([
      db.get('SELECT 1 AS a'),
      outcome(db.run(`INSERT INTO cases (tag) SELECT ? WHERE ${slowCount(SLOW_STEPS)} > 0`, [mark], { signal: controller.signal })),
    ]);
    const n = await count(db, `tag = '${mark}'`);
    outcomes.push(`${write}:${n}`);
    if (CANCELLED.has(write) && n > 0) problems.push(`attempt ${attempt}: the write was rejected with ${write} and committed`);
    if (write !== 'resolved' && !CANCELLED.has(write) && write !== 'ERR_RAPSQLITE_OUTCOME_UNKNOWN') problems.push(`attempt ${attempt}: unexpected outcome ${write}`);
  }
  return { problems, figures: { outcomes: outcomes.join(',') } };
};

/**
 * Issue 10, defect 3: a reply dropped because its call was cancelled must not take its column names along. Two
 * routes: a read abandoned at its deadline with another call queued (the path without the companion), and a running
 * read treated as queued because an earlier reply was still buffered (defect 2's path, with or without it).
 */
const droppedReplyShape: Case = async (db, tag) => {
  const problems: string[] = [];
  const figures: Record<string, string> = {};
  const alias = (route: string) => `${tag}_${route}`.replace(/[^A-Za-z0-9_]/g, '_');
  const ms = await calibrate(db, CALIBRATION_STEPS);
  {
    const name = alias('timeout');
    const slow = outcome(db.get(`SELECT ${slowCount(SLOW_STEPS)} AS "${name}"`, [], { timeoutMs: landing(ms) }));
    const queued = outcome(db.get('SELECT 2 AS queued_one'));
    figures['timeoutRoute'] = `${await slow}/${await queued}`;
    const after = await outcome(db.get(`SELECT 2 AS "${name}"`));
    if (after !== 'resolved') problems.push(`after a timed-out read, a result with the same column name fails: ${after}`);
  }
  {
    const name = alias('buffered');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), landing(ms));
    const [, slow] = await Promise.all([db.get('SELECT 1 AS a'), outcome(db.get(`SELECT ${slowCount(SLOW_STEPS)} AS "${name}"`, [], { signal: controller.signal }))]);
    await sleep(ms * 5);
    figures['bufferedRoute'] = slow;
    const after = await outcome(db.get(`SELECT 2 AS "${name}"`));
    if (after !== 'resolved') problems.push(`after an aborted read behind a buffered reply, a result with the same column name fails: ${after}`);
  }
  return { problems, figures };
};

/** Not in issue 10: an `exec` script aborted while its second statement runs; its first statement must not stay. */
const multiStatementExec: Case = async (db, tag) => {
  await setup(db);
  const ms = await calibrate(db, CALIBRATION_STEPS);
  const controller = new AbortController();
  setTimeout(() => controller.abort(), landing(ms));
  const result = await outcome(
    db.exec(`INSERT INTO cases (tag, v) VALUES ('${tag}', 1); INSERT INTO cases (tag, v) SELECT '${tag}', 2 WHERE ${slowCount(SLOW_STEPS)} > 0`, {
      signal: controller.signal,
    }),
  );
  const n = await count(db, `tag = '${tag}'`);
  const problems: string[] = [];
  if (CANCELLED.has(result) && n > 0) problems.push(`the script was rejected with ${result}, yet ${n} of its 2 statements committed`);
  if (result === 'resolved' && n !== 2) problems.push(`the script resolved with ${n} of 2 rows`);
  return { problems, figures: { outcome: result, rows: n } };
};

/**
 * Not in issue 10: a transaction waiting for the connection (another transaction holds it) must honour its own
 * signal and deadline while it waits, as a plain call does, instead of starting (and committing) later.
 */
const transactionWaitingForLease: Case = async (db, tag) => {
  await setup(db);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const holder = db.transaction(async (tx) => {
    await tx.run('INSERT INTO cases (tag, v) VALUES (?, 0)', [tag]);
    await gate;
  });
  await sleep(5);
  const order: string[] = [];
  const controller = new AbortController();
  const aborted = outcome(
    db.transaction(async (tx) => {
      await tx.run('INSERT INTO cases (tag, v) VALUES (?, 1)', [tag]);
    }, { signal: controller.signal }),
  ).then((o) => (order.push('aborted'), o));
  const timed = outcome(
    db.transaction(async (tx) => {
      await tx.run('INSERT INTO cases (tag, v) VALUES (?, 2)', [tag]);
    }, { timeoutMs: 30 }),
  ).then((o) => (order.push('timed'), o));
  const plain = new AbortController();
  const call = outcome(db.run('INSERT INTO cases (tag, v) VALUES (?, 3)', [tag], { signal: plain.signal })).then((o) => (order.push('call'), o));
  await sleep(10);
  controller.abort();
  plain.abort();
  await sleep(150);
  order.push('released');
  release();
  await holder;
  const [a, t, c] = await Promise.all([aborted, timed, call]);
  const stored = ((await db.all(`SELECT v FROM cases WHERE tag = '${tag}' ORDER BY v`)) as Array<{ v: number }>).map((r) => r.v);
  const problems: string[] = [];
  if (order.indexOf('aborted') > order.indexOf('released')) problems.push(`an aborted transaction waiting for the connection settled only after the holder released it (${a})`);
  if (order.indexOf('timed') > order.indexOf('released')) problems.push(`a transaction whose 30 ms deadline passed while it waited settled only after the holder released it (${t})`);
  if (t === 'resolved') problems.push('a transaction whose deadline passed while it waited for the connection ran and committed');
  if (stored.includes(1) && CANCELLED.has(a)) problems.push('the aborted transaction committed');
  return { problems, figures: { abortedTx: a, timedTx: t, plainCall: c, order: order.join('>'), stored: stored.join(',') } };
};

/** A large `runMany` aborted while it runs is all or nothing. */
const abortedRunMany: Case = async (db, tag) => {
  await setup(db);
  const sets = Array.from({ length: 100_000 }, (_, i) => [tag, i]);
  const controller = new AbortController();
  const running = outcome(db.runMany('INSERT INTO cases (tag, v) VALUES (?, ?)', sets, { signal: controller.signal }));
  await sleep(30);
  controller.abort();
  const result = await running;
  const n = await count(db, `tag = '${tag}'`);
  const problems: string[] = [];
  if (n !== 0 && n !== sets.length) problems.push(`half applied: ${n} of ${sets.length} rows`);
  if (CANCELLED.has(result) && n > 0) problems.push(`rejected with ${result} yet committed`);
  if (result === 'resolved' && n !== sets.length) problems.push('resolved but not committed');
  return { problems, figures: { outcome: result, rows: n } };
};

/** A cursor aborted between chunks ends with the abort, and its statement is finalized (the table can be dropped). */
const abortedCursor: Case = async (db, tag) => {
  const table = `cur_${tag.replace(/[^A-Za-z0-9_]/g, '_')}`;
  await db.exec(`CREATE TABLE ${table} (x); INSERT INTO ${table} WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000) SELECT x FROM c`);
  const controller = new AbortController();
  const options: StormCallOptions = { signal: controller.signal, chunkSize: 50 };
  let rows = 0;
  let ended = 'completed';
  try {
    for await (const _ of db.iterate(`SELECT x FROM ${table}`, [], options)) {
      if (++rows === 60) controller.abort();
    }
  } catch (err) {
    ended = code(err);
  }
  const problems: string[] = [];
  if (ended !== 'ERR_RAPSQLITE_ABORTED' && ended !== 'completed') problems.push(`the cursor ended with ${ended}`);
  const dropped = await outcome(db.exec(`DROP TABLE ${table}`));
  if (dropped !== 'resolved') problems.push(`the aborted cursor's statement still holds the table: DROP TABLE gave ${dropped}`);
  return { problems, figures: { rows, ended } };
};

/**
 * Not in issue 10: a cursor whose opening reply is dropped (its call was rejected as cancelled while it ran, defect
 * 2's route) stays open in the worker, held by nobody. Its statement keeps the table locked (DROP TABLE and WAL
 * checkpoints fail with `SQLITE_LOCKED`), every later request runs with defensive mode off (the worker lifts it while
 * any cursor is open), and with the companion the next interrupt of any call stays set while that statement is open:
 * every later call fails with `SQLITE_INTERRUPT` until the worker is replaced.
 */
const droppedCursorOpen: Case = async (db, tag) => {
  const table = `open_${tag.replace(/[^A-Za-z0-9_]/g, '_')}`;
  await db.exec(`CREATE TABLE ${table} (x); INSERT INTO ${table} WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) SELECT x FROM c`);
  const ms = await calibrate(db, CALIBRATION_STEPS);
  const controller = new AbortController();
  setTimeout(() => controller.abort(), landing(ms));
  const cursor = db.iterate(`SELECT x FROM ${table} WHERE ${slowCount(SLOW_STEPS)} > 0`, [], { signal: controller.signal, chunkSize: 10 });
  const [, opened] = await Promise.all([db.get('SELECT 1 AS a'), outcome(cursor.next())]);
  await outcome((async () => void (await cursor.return?.()))());
  await sleep(ms * 5);
  const problems: string[] = [];
  // Defensive mode forbids editing the schema table even with writable_schema on.
  const tamper = await outcome(db.exec(`PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = sql WHERE name = '${table}'; PRAGMA writable_schema = OFF`));
  if (tamper === 'resolved') problems.push('defensive mode is off: a statement edited sqlite_schema');
  const checkpoint = await outcome(db.get('PRAGMA wal_checkpoint(TRUNCATE)'));
  if (checkpoint !== 'resolved') problems.push(`a WAL checkpoint fails with ${checkpoint}`);
  // Any cancelled call that is interrupted while it runs.
  const second = new AbortController();
  setTimeout(() => second.abort(), landing(ms));
  const interrupted = await outcome(db.get(`SELECT ${slowCount(SLOW_STEPS)} AS n`, [], { signal: second.signal }));
  const after = await outcome(db.get('SELECT 1 AS still_works'));
  if (after !== 'resolved') problems.push(`after the dropped cursor and one cancelled call, a plain call fails with ${after}`);
  const dropped = await outcome(db.exec(`DROP TABLE ${table}`));
  if (dropped !== 'resolved') problems.push(`DROP TABLE gave ${dropped}`);
  return { problems, figures: { opened, tamper, checkpoint, interrupted, after, dropped } };
};

/** Every case by name. */
export const CASES: Readonly<Record<string, Case>> = {
  queuedBeyondCancelTable,
  runningBehindBufferedReply,
  droppedReplyShape,
  multiStatementExec,
  transactionWaitingForLease,
  abortedRunMany,
  abortedCursor,
  droppedCursorOpen,
};
