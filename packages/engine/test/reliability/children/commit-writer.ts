/**
 * A child process that commits as fast as it can until it is killed, and reports each unit to its parent through
 * the ledger protocol (see ../ledger.ts) before doing anything else.
 *
 * Arguments: <path> <synchronous> <first unit> <lanes> <seed>
 */
import { randomBytes } from 'node:crypto';
import { open, type Database, type SynchronousLevel } from '../../../src/index.ts';
import { emit, LEDGER_TABLE } from '../ledger.ts';
import { Random } from '../support.ts';

const [path, synchronous, firstUnit, lanes, seed] = process.argv.slice(2);
const random = new Random(Number(seed));
let next = Number(firstUnit);

const db: Database = await open(path as string, { synchronous: synchronous as SynchronousLevel });
await db.exec(LEDGER_TABLE);
emit('READY');

/** A pad of 0–3 000 bytes, so that commits span pages and the WAL reaches its checkpoints while the writer works. */
function pad(): Buffer {
  return randomBytes(random.int(0, 3000));
}

/** Issues one unit of one of four kinds; resolves once it is acknowledged or rejected. */
function issue(db: Database, unit: number): Promise<unknown> {
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
}

async function lane(): Promise<void> {
  for (;;) {
    const unit = next++;
    await issue(db, unit).then(
      () => emit(`A ${unit}`),
      (err: { code?: string }) => emit(`F ${unit} ${err.code ?? 'uncoded'}`),
    );
  }
}

// A parent that failed to kill us must not leave us running.
setTimeout(() => process.exit(3), 120_000).unref();
await Promise.all(Array.from({ length: Number(lanes) }, lane));
