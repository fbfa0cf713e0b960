/**
 * One of several processes that write to the same file at once, through a pool (see the engine suite's contend.ts).
 *
 * Arguments: <path> <first unit> <units> <busyTimeoutMs> <seed>
 */
import { createPool } from '../../../src/index.ts';
import { contend, emit } from '../kit.ts';

const [path, firstUnit, units, busyTimeoutMs, seed] = process.argv.slice(2) as [string, string, string, string, string];
const pool = await createPool(path, { busyTimeoutMs: Number(busyTimeoutMs), minReaders: 1, maxReaders: 1 });
await contend(pool, { firstUnit: Number(firstUnit), units: Number(units), seed: Number(seed) });
await pool.close();
emit('DONE');
