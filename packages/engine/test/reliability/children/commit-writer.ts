/**
 * A child process that commits through an engine database as fast as it can until it is killed, reporting each
 * unit to its parent before doing anything else (see ../writer.ts and ../ledger.ts).
 *
 * Arguments: <path> <synchronous> <first unit> <lanes> <seed>
 */
import { open, type SynchronousLevel } from '../../../src/index.ts';
import { emit, LEDGER_TABLE } from '../ledger.ts';
import { commitForever } from '../writer.ts';

const [path, synchronous, firstUnit, lanes, seed] = process.argv.slice(2) as [string, string, string, string, string];
const db = await open(path, { synchronous: synchronous as SynchronousLevel });
await db.exec(LEDGER_TABLE);
emit('READY');
await commitForever(db, { firstUnit: Number(firstUnit), lanes: Number(lanes), seed: Number(seed) });
