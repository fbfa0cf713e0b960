/**
 * A cancellation storm: thousands of calls of every kind issued against one handle, most queued behind a slow query,
 * with random `AbortSignal` aborts and random `timeoutMs`, some landing while the call runs. Then the rule is checked
 * call by call: a call that resolved is committed exactly once; a call rejected with `ERR_RAPSQLITE_ABORTED`,
 * `ERR_RAPSQLITE_TIMEOUT` (or `ERR_RAPSQLITE_WORKER_DIED`) did not change the database; `ERR_RAPSQLITE_OUTCOME_UNKNOWN`
 * may be either, but never half. Every rejection must carry one of those codes, and every result shape seen during
 * the storm must still decode afterwards.
 *
 * Written against a structural subset of the query API, so a pool runs the same storm.
 */
import { Random, sleep } from './support.ts';

export interface StormCallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  chunkSize?: number;
}

/** The subset of a transaction handle the storm uses. */
export interface StormTx {
  run(sql: string, params?: StormParams): Promise<unknown>;
  get(sql: string, params?: StormParams): Promise<unknown>;
  all(sql: string, params?: StormParams): Promise<unknown[]>;
}

/** The subset of the query API the storm uses (an engine `Database` or a pool). */
export interface StormTarget {
  exec(sql: string, options?: StormCallOptions): Promise<unknown>;
  run(sql: string, params?: StormParams, options?: StormCallOptions): Promise<unknown>;
  runMany(sql: string, paramsList: readonly StormParams[], options?: StormCallOptions): Promise<unknown>;
  get(sql: string, params?: StormParams, options?: StormCallOptions): Promise<unknown>;
  all(sql: string, params?: StormParams, options?: StormCallOptions): Promise<unknown[]>;
  values(sql: string, params?: StormParams, options?: StormCallOptions): Promise<{ rows: unknown[][] }>;
  iterate(sql: string, params?: StormParams, options?: StormCallOptions): AsyncIterableIterator<unknown>;
  transaction(callback: (tx: StormTx) => Promise<unknown>, options?: StormCallOptions): Promise<unknown>;
}

/** Positional parameters of the values the storm binds. */
export type StormParams = ReadonlyArray<string | number | null>;

const WRITE_KINDS = ['run', 'runMany', 'exec', 'tx', 'slowRun'] as const;
type Kind = (typeof WRITE_KINDS)[number] | 'get' | 'all' | 'values' | 'iterate' | 'slowGet';
const WEIGHTS: ReadonlyArray<readonly [Kind, number]> = [
  ['run', 22],
  ['runMany', 10],
  ['exec', 8],
  ['tx', 6],
  ['slowRun', 2],
  ['get', 18],
  ['all', 12],
  ['values', 10],
  ['iterate', 10],
  ['slowGet', 2],
];
const WRITES: ReadonlySet<Kind> = new Set(WRITE_KINDS);

/** Codes after which the call must not have changed the database. */
// A pool's acquire timeout means the call never reached a connection.
const NOT_APPLIED = new Set(['ERR_RAPSQLITE_ABORTED', 'ERR_RAPSQLITE_TIMEOUT', 'ERR_RAPSQLITE_WORKER_DIED', 'ERR_RAPSQLITE_POOL_ACQUIRE_TIMEOUT']);
const UNKNOWN = 'ERR_RAPSQLITE_OUTCOME_UNKNOWN';
/** Result aliases are drawn from a small set, so that shapes are shared by cancelled and surviving calls. */
const SHAPES = 24;

/** A recursive count that keeps SQLite busy for about `steps` steps. */
export function slowCount(steps: number): string {
  return `(WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${Math.round(steps)}) SELECT count(*) FROM c)`;
}

export interface StormOptions {
  readonly calls: number;
  readonly seed: number;
  /** A unique prefix for this storm's tags (several storms may share a table). */
  readonly prefix: string;
  /** Steps of the slow queries; the blocker that queues the first wave is 3× that. */
  readonly slowSteps: number;
}

export interface Mismatch {
  readonly call: number;
  readonly kind: Kind;
  readonly outcome: string;
  readonly problem: string;
  /** When the call was issued, aborted and timed, in milliseconds from the storm's start. */
  readonly schedule: string;
}

export interface StormResult {
  readonly calls: number;
  readonly maxInFlight: number;
  readonly horizonMs: number;
  readonly outcomes: Record<string, number>;
  /** The first mismatches (all of them in this process; a child sends the first few). */
  readonly mismatches: Mismatch[];
  readonly mismatchCount: number;
  /** Calls rejected as cancelled that had in fact been applied (the rule's worst case), a subset of mismatches. */
  readonly cancelledButCommitted: number;
  /** Shapes that failed to decode after the storm (a dropped reply that took its column names along). */
  readonly poisonedShapes: number;
  /** Mismatches counted by kind and problem (the distinct uncoded errors included), with the first call of each. */
  readonly problems: Record<string, number>;
  readonly examples: Record<string, string>;
  /** 'ok', or the code with which the connection refused the transaction that counts the rows after the storm. */
  readonly accounting: string;
  /** Plain reads after the storm that did not see every acknowledged write (of 8). */
  readonly staleReads: number;
  /** After the storm: a plain call, and dropping the table (which fails while a forgotten cursor holds it). */
  readonly healthAfter: string;
  readonly dropAfter: string;
}

interface Plan {
  readonly n: number;
  readonly kind: Kind;
  readonly tags: string[];
  readonly shape: number;
  readonly at: number;
  readonly abortAt: number | undefined;
  readonly timeoutMs: number | undefined;
  readonly preAborted: boolean;
}

function pickKind(random: Random, writesOnly: boolean): Kind {
  const table = writesOnly ? WEIGHTS.filter(([k]) => k !== 'tx') : WEIGHTS;
  const total = table.reduce((s, [, w]) => s + w, 0);
  let roll = random.next() * total;
  for (const [kind, weight] of table) {
    roll -= weight;
    if (roll < 0) return kind;
  }
  return 'run';
}

function plan(options: StormOptions, random: Random, horizonMs: number): Plan[] {
  const plans: Plan[] = [];
  // The first wave (more than 1 024 calls, the old cancel table's size) is issued at once, before any transaction
  // could hold the connection back, so that it is all in the worker's queue behind the blocker.
  const wave = Math.min(options.calls, Math.max(1100, Math.floor(options.calls / 2)));
  for (let n = 0; n < options.calls; n++) {
    const first = n < wave;
    const kind = pickKind(random, first);
    const parts = kind === 'runMany' ? 3 : kind === 'tx' || kind === 'exec' ? 2 : 1;
    const tags = WRITES.has(kind) ? Array.from({ length: parts }, (_, j) => `${options.prefix}:${n}.${j}`) : [];
    const roll = random.next();
    let abortAt: number | undefined;
    let timeoutMs: number | undefined;
    let preAborted = false;
    if (roll < 0.3) {
      // not cancelled
    } else if (roll < 0.6) {
      abortAt = random.int(0, horizonMs);
    } else if (roll < 0.88) {
      timeoutMs = random.int(1, horizonMs);
    } else if (roll < 0.93) {
      preAborted = true;
    } else {
      abortAt = random.int(0, horizonMs);
      timeoutMs = random.int(1, horizonMs);
    }
    plans.push({ n, kind, tags, shape: random.int(0, SHAPES - 1), at: first ? 0 : random.int(0, horizonMs), abortAt, timeoutMs, preAborted });
  }
  return plans;
}

function issue(db: StormTarget, p: Plan, slowSteps: number, options: StormCallOptions, progress: Map<number, number>): Promise<unknown> {
  const [a, b, c] = p.tags as [string, string, string];
  switch (p.kind) {
    case 'run':
      return db.run('INSERT INTO storm (tag) VALUES (?)', [a], options);
    case 'runMany':
      return db.runMany('INSERT INTO storm (tag) VALUES (?)', [[a], [b], [c]], options);
    case 'exec':
      // One statement: a multi-statement script is not atomic (see the dedicated test).
      return db.exec(`INSERT INTO storm (tag) VALUES ('${a}'), ('${b}')`, options);
    case 'tx':
      return db.transaction(async (tx) => {
        await tx.run('INSERT INTO storm (tag) VALUES (?)', [a]);
        await tx.get('SELECT count(*) AS n FROM storm');
        await tx.run('INSERT INTO storm (tag) VALUES (?)', [b]);
      }, options);
    case 'slowRun':
      return db.run(`INSERT INTO storm (tag) SELECT ? WHERE ${slowCount(slowSteps / 3)} > 0`, [a], options);
    case 'get':
      return db.get(`SELECT count(*) AS "s${p.shape}" FROM storm`, [], options);
    case 'all':
      return db.all(`SELECT tag AS "s${p.shape}", rowid AS "r${p.shape}" FROM storm LIMIT 20`, [], options);
    case 'values':
      return db.values(`SELECT tag AS "v${p.shape}" FROM storm LIMIT 20`, [], options);
    case 'iterate':
      return (async () => {
        progress.set(p.n, 0);
        for await (const _ of db.iterate(`SELECT tag AS "i${p.shape}" FROM storm LIMIT 60`, [], { ...options, chunkSize: 7 })) progress.set(p.n, (progress.get(p.n) ?? 0) + 1);
        return progress.get(p.n);
      })();
    case 'slowGet':
      return db.get(`SELECT ${slowCount(slowSteps / 3)} AS "g${p.shape}"`, [], options);
  }
}

/** The shapes the storm used, queried again without cancellation: each must decode. */
async function checkShapes(db: StormTarget): Promise<number> {
  let poisoned = 0;
  for (let s = 0; s < SHAPES; s++) {
    const probes: Array<() => Promise<unknown>> = [
      () => db.get(`SELECT count(*) AS "s${s}" FROM storm`),
      () => db.all(`SELECT tag AS "s${s}", rowid AS "r${s}" FROM storm LIMIT 2`),
      () => db.get(`SELECT tag AS "i${s}" FROM storm LIMIT 1`),
      () => db.get(`SELECT 1 AS "g${s}"`),
    ];
    for (const probe of probes) {
      try {
        await probe();
      } catch {
        poisoned++;
      }
    }
  }
  return poisoned;
}

/** Runs one storm and checks the rule for every call. */
export async function runStorm(db: StormTarget, options: StormOptions): Promise<StormResult> {
  const random = new Random(options.seed);
  await db.exec('CREATE TABLE storm (tag TEXT NOT NULL)');
  // Calibrate on this machine: the horizon of aborts and deadlines covers the blocker and the queue behind it.
  const t0 = performance.now();
  await db.get(`SELECT ${slowCount(options.slowSteps)} AS calibrate`);
  const slowMs = performance.now() - t0;
  const horizonMs = Math.max(20, Math.round(slowMs * 4));
  const plans = plan(options, random, horizonMs);

  let inFlight = 0;
  let maxInFlight = 0;
  // Rows each iterate has received so far: tells a hang in opening a cursor from one in fetching a later chunk.
  const progress = new Map<number, number>();
  const outcomes: string[] = new Array<string>(plans.length).fill('pending');
  const timers: NodeJS.Timeout[] = [];
  const settled: Array<Promise<void>> = [];
  const start = (p: Plan): void => {
    const controller = p.abortAt !== undefined || p.preAborted ? new AbortController() : undefined;
    if (p.preAborted) controller!.abort(new Error('storm: aborted before the call'));
    const callOptions: StormCallOptions = {};
    if (controller !== undefined) callOptions.signal = controller.signal;
    if (p.timeoutMs !== undefined) callOptions.timeoutMs = p.timeoutMs;
    if (p.abortAt !== undefined) timers.push(setTimeout(() => controller!.abort(new Error('storm: aborted')), Math.max(0, p.abortAt - p.at)));
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let promise: Promise<unknown>;
    try {
      promise = issue(db, p, options.slowSteps, callOptions, progress);
    } catch (err) {
      promise = Promise.reject(err);
    }
    settled.push(
      promise.then(
        () => {
          outcomes[p.n] = 'resolved';
        },
        (err: unknown) => {
          const code = (err as { code?: unknown }).code;
          outcomes[p.n] = typeof code === 'string' ? code : `uncoded ${(err as Error)?.name}: ${(err as Error)?.message}`;
        },
      ).finally(() => inFlight--),
    );
  };

  // The blocker: everything issued in this tick queues behind it.
  const blocker = db.get(`SELECT ${slowCount(options.slowSteps * 3)} AS blocker`);
  for (const p of plans) {
    if (p.at === 0) start(p);
    else timers.push(setTimeout(() => start(p), p.at));
  }
  await blocker;
  // Wait for every call to be issued and settled. A call still pending a minute after the horizon is reported: calls
  // wait behind cancelled transactions that still take the connection in turn (see the case transactionWaitingForLease).
  await sleep(horizonMs + 10);
  let watchdog: NodeJS.Timeout | undefined;
  const hang = new Promise<'hang'>((resolve) => (watchdog = setTimeout(() => resolve('hang'), Math.max(60_000, horizonMs * 50))));
  const all = Promise.all(settled).then(() => 'done' as const);
  if ((await Promise.race([all, hang])) === 'hang') for (const [n, o] of outcomes.entries()) if (o === 'pending') outcomes[n] = 'hung';
  clearTimeout(watchdog);
  for (const t of timers) clearTimeout(t);

  const code = (err: unknown) => String((err as { code?: unknown })?.code ?? `uncoded ${(err as Error)?.message}`);
  // Counted inside a transaction, which runs on the connection that wrote (a pool's writer): the authoritative view.
  // If the connection no longer works, the storm says so instead of throwing, and counts with a plain read if it can.
  const countSql = `SELECT tag, count(*) AS n FROM storm WHERE tag LIKE '${options.prefix}:%' GROUP BY tag`;
  const counts = new Map<string, number>();
  let accounting = 'ok';
  let countRows: Array<{ tag: string; n: number }> | undefined;
  try {
    countRows = (await db.transaction((tx) => tx.all(countSql))) as Array<{ tag: string; n: number }>;
  } catch (err) {
    accounting = code(err);
    countRows = (await db.all(countSql).catch(() => undefined)) as Array<{ tag: string; n: number }> | undefined;
  }
  for (const row of countRows ?? []) counts.set(row.tag, row.n);
  // Plain reads issued now must see every write that has resolved (on a pool they run on the readers).
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  let staleReads = 0;
  for (let i = 0; i < 4 && countRows !== undefined; i++) {
    const rows = await Promise.all([0, 1].map(() => db.get(`SELECT count(*) AS n FROM storm WHERE tag LIKE '${options.prefix}:%'`).catch(() => undefined)));
    staleReads += rows.filter((r) => (r as { n?: number } | undefined)?.n !== total).length;
  }
  const mismatches: Mismatch[] = [];
  let cancelledButCommitted = 0;
  const tally: Record<string, number> = {};
  for (const p of plans) {
    const outcome = outcomes[p.n] as string;
    const label = outcome.startsWith('uncoded') ? 'uncoded' : outcome;
    tally[label] = (tally[label] ?? 0) + 1;
    const schedule = `at ${p.at}${p.abortAt === undefined ? '' : ` abort ${p.abortAt}`}${p.timeoutMs === undefined ? '' : ` timeout ${p.timeoutMs}`}${p.preAborted ? ' pre-aborted' : ''}`;
    const bad = (problem: string) => mismatches.push({ call: p.n, kind: p.kind, outcome, problem, schedule });
    if (outcome === 'hung') {
      bad(`still pending a minute after the storm${p.kind === 'iterate' ? ` (after ${progress.get(p.n) ?? 0} rows)` : ''}`);
      continue;
    }
    if (countRows === undefined && WRITES.has(p.kind)) continue; // nothing to compare with: reported as `accounting`
    if (!WRITES.has(p.kind)) {
      if (outcome !== 'resolved' && !NOT_APPLIED.has(outcome)) bad('a read rejected with an unexpected error');
      continue;
    }
    const present = p.tags.map((t) => counts.get(t) ?? 0);
    if (present.some((n) => n > 1)) bad('applied more than once');
    const applied = present.filter((n) => n > 0).length;
    if (applied !== 0 && applied !== p.tags.length) bad('half applied');
    if (outcome === 'resolved') {
      if (applied !== p.tags.length) bad('resolved but not committed');
    } else if (NOT_APPLIED.has(outcome)) {
      if (applied > 0) {
        bad('rejected as not applied, yet committed');
        cancelledButCommitted++;
      }
    } else if (outcome !== UNKNOWN) {
      bad('a write rejected with an unexpected error');
    }
  }
  const poisonedShapes = await checkShapes(db);
  const problems: Record<string, number> = {};
  const examples: Record<string, string> = {};
  for (const m of mismatches) {
    const key = `${m.kind} ${m.outcome.startsWith('uncoded') ? m.outcome : m.outcome.replace('ERR_RAPSQLITE_', '')}: ${m.problem}`;
    problems[key] = (problems[key] ?? 0) + 1;
    // The first call of each kind of problem, with its schedule, so that a failure can be replayed by hand.
    examples[key] ??= `call ${m.call}, ${m.schedule}`;
  }
  const healthAfter = await db.get('SELECT 1 AS healthy').then(() => 'ok', code);
  const dropAfter = await db.exec('DROP TABLE storm').then(() => 'ok', code);
  return { calls: plans.length, maxInFlight, horizonMs, outcomes: tally, mismatches, mismatchCount: mismatches.length, cancelledButCommitted, poisonedShapes, problems, examples, accounting, staleReads, healthAfter, dropAfter };
}

/** A one-line tally of outcomes, for the summary line. */
export function tallyLine(outcomes: Record<string, number>): string {
  const short = (code: string) => code.replace('ERR_RAPSQLITE_', '').toLowerCase();
  return Object.entries(outcomes)
    .sort()
    .map(([code, n]) => `${short(code)}:${n}`)
    .join(',');
}
