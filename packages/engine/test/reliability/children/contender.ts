/**
 * One of several processes that write to the same file at once. Each unit is a transaction (of a random mode) or an
 * autocommit statement; a `SQLITE_BUSY*` rejection reruns the whole unit, as a retry middleware would, after a
 * jittered pause. Reports through the ledger protocol (../ledger.ts), then `DONE`.
 *
 * Arguments: <path> <first unit> <units> <busyTimeoutMs> <seed>
 */
import { open, type Database, type TransactionMode } from '../../../src/index.ts';
import { emit, LEDGER_TABLE } from '../ledger.ts';
import { Random, sleep } from '../support.ts';

const [path, firstUnit, units, busyTimeoutMs, seed] = process.argv.slice(2).map((arg, i) => (i === 0 ? arg : Number(arg))) as [string, number, number, number, number];
const random = new Random(seed);
const MODES: readonly TransactionMode[] = ['immediate', 'deferred', 'exclusive'];
const MAX_ATTEMPTS = 2000;

const db: Database = await open(path, { busyTimeoutMs });
// Several processes create the table at once: the loser of that race is busy too.
for (let attempt = 0; ; attempt++) {
  try {
    await db.exec(LEDGER_TABLE);
    break;
  } catch (err) {
    if (!String((err as { code?: string }).code).startsWith('SQLITE_BUSY') || attempt > MAX_ATTEMPTS) throw err;
    await sleep(random.int(0, 5));
  }
}
emit('READY');

function attempt(unit: number, kind: number, mode: TransactionMode): Promise<unknown> {
  if (kind === 0) return db.run('INSERT INTO t VALUES (?, 0, NULL)', [unit]);
  return db.transaction(
    async (tx) => {
      // A deferred transaction reads first and upgrades to a writer later: it meets SQLITE_BUSY_SNAPSHOT when another
      // process committed in between, and must then be rolled back whole.
      await tx.get('SELECT count(*) AS n FROM t');
      await tx.run('INSERT INTO t VALUES (?, 0, NULL)', [unit]);
      await tx.runMany('INSERT INTO t VALUES (?, ?, NULL)', [[unit, 1], [unit, 2]]);
    },
    { mode },
  );
}

for (let i = 0; i < units; i++) {
  const unit = firstUnit + i;
  const kind = random.int(0, 3);
  const mode = random.pick(MODES);
  emit(`S ${unit} ${kind === 0 ? 1 : 3}`);
  for (let tries = 1; ; tries++) {
    try {
      await attempt(unit, kind, mode);
      emit(`A ${unit}`);
      break;
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'uncoded';
      if (!code.startsWith('SQLITE_BUSY') || tries >= MAX_ATTEMPTS) {
        emit(`F ${unit} ${code}`);
        break;
      }
      emit(`R ${unit}`);
      await sleep(random.int(0, 3));
    }
  }
}
await db.close();
emit('DONE');
