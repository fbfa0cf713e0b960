/**
 * The body of a contention writer, one of several processes writing one file at once. Each unit is a transaction
 * (of a random mode) or an autocommit statement; a `SQLITE_BUSY*` rejection reruns the whole unit, as a retry
 * middleware would, after a jittered pause. Reports through the ledger protocol (./ledger.ts), then `DONE`. Written
 * against a structural subset of the query API, so engine and pool processes can contend for one file.
 */
import { emit, LEDGER_TABLE } from './ledger.ts';
import { Random, sleep } from './support.ts';

type Mode = 'immediate' | 'deferred' | 'exclusive';

export interface ContendTx {
  get(sql: string): Promise<unknown>;
  run(sql: string, params?: readonly number[]): Promise<unknown>;
  runMany(sql: string, paramsList: ReadonlyArray<readonly number[]>): Promise<unknown>;
}

export interface ContendTarget {
  exec(sql: string): Promise<unknown>;
  run(sql: string, params?: readonly number[]): Promise<unknown>;
  transaction(callback: (tx: ContendTx) => Promise<unknown>, options?: { mode?: Mode }): Promise<unknown>;
}

const MODES: readonly Mode[] = ['immediate', 'deferred', 'exclusive'];
const MAX_ATTEMPTS = 2000;
const busy = (err: unknown) => String((err as { code?: string }).code).startsWith('SQLITE_BUSY');

export async function contend(db: ContendTarget, options: { firstUnit: number; units: number; seed: number }): Promise<void> {
  const random = new Random(options.seed);
  // Several processes create the table at once: the loser of that race is busy too.
  for (let attempt = 0; ; attempt++) {
    try {
      await db.exec(LEDGER_TABLE);
      break;
    } catch (err) {
      if (!busy(err) || attempt > MAX_ATTEMPTS) throw err;
      await sleep(random.int(0, 5));
    }
  }
  emit('READY');
  const attempt = (unit: number, kind: number, mode: Mode): Promise<unknown> => {
    if (kind === 0) return db.run('INSERT INTO t VALUES (?, 0, NULL)', [unit]);
    return db.transaction(
      async (tx) => {
        // A deferred transaction reads first and upgrades to a writer later: it meets SQLITE_BUSY_SNAPSHOT when
        // another process committed in between, and must then be rolled back whole.
        await tx.get('SELECT count(*) AS n FROM t');
        await tx.run('INSERT INTO t VALUES (?, 0, NULL)', [unit]);
        await tx.runMany('INSERT INTO t VALUES (?, ?, NULL)', [[unit, 1], [unit, 2]]);
      },
      { mode },
    );
  };
  for (let i = 0; i < options.units; i++) {
    const unit = options.firstUnit + i;
    const kind = random.int(0, 3);
    const mode = random.pick(MODES);
    emit(`S ${unit} ${kind === 0 ? 1 : 3}`);
    for (let tries = 1; ; tries++) {
      try {
        await attempt(unit, kind, mode);
        emit(`A ${unit}`);
        break;
      } catch (err) {
        if (!busy(err) || tries >= MAX_ATTEMPTS) {
          emit(`F ${unit} ${(err as { code?: string }).code ?? 'uncoded'}`);
          break;
        }
        emit(`R ${unit}`);
        await sleep(random.int(0, 3));
      }
    }
  }
}
