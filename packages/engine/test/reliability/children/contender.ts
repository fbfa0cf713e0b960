/**
 * One of several processes that write to the same file at once, through an engine database (see ../contend.ts).
 *
 * Arguments: <path> <first unit> <units> <busyTimeoutMs> <seed>
 */
import { open } from '../../../src/index.ts';
import { contend } from '../contend.ts';
import { emit } from '../ledger.ts';

const [path, firstUnit, units, busyTimeoutMs, seed] = process.argv.slice(2) as [string, string, string, string, string];
const db = await open(path, { busyTimeoutMs: Number(busyTimeoutMs) });
await contend(db, { firstUnit: Number(firstUnit), units: Number(units), seed: Number(seed) });
await db.close();
emit('DONE');
