/**
 * A child process that commits through a pool (one writer, two readers busy reading) as fast as it can until it is
 * killed, reporting each unit to its parent before doing anything else.
 *
 * Arguments: <path> <synchronous> <first unit> <lanes> <seed>
 */
import type { SynchronousLevel } from '@rapsqlite/engine';
import { createPool } from '../../../src/index.ts';
import { commitForever, emit, LEDGER_TABLE } from '../kit.ts';

const [path, synchronous, firstUnit, lanes, seed] = process.argv.slice(2) as [string, string, string, string, string];
const pool = await createPool(path, { synchronous: synchronous as SynchronousLevel, minReaders: 2, maxReaders: 2 });
await pool.exec(LEDGER_TABLE);
emit('READY');
await commitForever(pool, { firstUnit: Number(firstUnit), lanes: Number(lanes), seed: Number(seed), readLanes: 2 });
