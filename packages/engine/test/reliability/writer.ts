/**
 * The body of a kill -9 writer: commits units of four kinds (`run`, `runMany`, a transaction, `exec`) as fast as it
 * can on `lanes` concurrent lanes, reporting each through the ledger protocol (./ledger.ts) before doing anything
 * else, until the process is killed. Written against a structural subset of the query API, so an engine database
 * and a pool run the same writer.
 */
import { randomBytes } from 'node:crypto';
import { emit } from './ledger.ts';
import { Random } from './support.ts';

type Value = number | Buffer | null;

export interface WriterTx {
  run(sql: string, params?: readonly Value[]): Promise<unknown>;
}

export interface WriterTarget {
  exec(sql: string): Promise<unknown>;
  run(sql: string, params?: readonly Value[]): Promise<unknown>;
  runMany(sql: string, paramsList: ReadonlyArray<readonly Value[]>): Promise<unknown>;
  get(sql: string): Promise<unknown>;
  transaction(callback: (tx: WriterTx) => Promise<unknown>): Promise<unknown>;
}

export interface WriterOptions {
  readonly firstUnit: number;
  readonly lanes: number;
  readonly seed: number;
  /** Lanes that only read (a pool's readers are busy when the kill comes). */
  readonly readLanes?: number;
}

/** Runs until the process dies. */
export async function commitForever(db: WriterTarget, options: WriterOptions): Promise<never> {
  const random = new Random(options.seed);
  let next = options.firstUnit;
  // A pad of 0–3 000 bytes, so that commits span pages and the WAL reaches its checkpoints while the writer works.
  const pad = () => randomBytes(random.int(0, 3000));
  const issue = (unit: number): Promise<unknown> => {
    switch (unit % 4) {
      case 0:
        emit(`S ${unit} 1`);
        return db.run('INSERT INTO t VALUES (?, 0, ?)', [unit, pad()]);
      case 1:
        emit(`S ${unit} 3`);
        return db.runMany('INSERT INTO t VALUES (?, ?, ?)', [0, 1, 2].map((part) => [unit, part, pad()]));
      case 2:
        emit(`S ${unit} 3`);
        return db.transaction(async (tx) => {
          for (let part = 0; part < 3; part++) await tx.run('INSERT INTO t VALUES (?, ?, ?)', [unit, part, pad()]);
        });
      default:
        emit(`S ${unit} 2`);
        return db.exec(`INSERT INTO t VALUES (${unit}, 0, randomblob(${random.int(0, 3000)})), (${unit}, 1, NULL)`);
    }
  };
  const lane = async (): Promise<never> => {
    for (;;) {
      const unit = next++;
      await issue(unit).then(
        () => emit(`A ${unit}`),
        (err: { code?: string }) => emit(`F ${unit} ${err.code ?? 'uncoded'}`),
      );
    }
  };
  const reader = async (): Promise<never> => {
    for (;;) await db.get('SELECT count(*) AS n, max(unit) AS m FROM t');
  };
  // A parent that failed to kill us must not leave us running.
  setTimeout(() => process.exit(3), 120_000).unref();
  return Promise.race([...Array.from({ length: options.lanes }, lane), ...Array.from({ length: options.readLanes ?? 0 }, reader)]);
}
