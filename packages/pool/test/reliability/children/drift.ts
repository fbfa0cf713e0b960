/**
 * Measures the pool's resource drift in a process of its own, started with `--expose-gc`: file descriptors, threads
 * and the heap after a full collection, before and after many createPool/close cycles or many reads with distinct
 * result shapes. Prints the figures as one JSON line.
 *
 * Arguments: cycles <dir> <count> | shapes <dir> <count>
 */
import { join } from 'node:path';
import { createPool } from '../../../src/index.ts';
import { fdCount, sleep, threadCount } from '../kit.ts';

const [mode, dir, countArg] = process.argv.slice(2) as [string, string, string];
const count = Number(countArg);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('drift.ts needs --expose-gc');

async function snapshot(): Promise<{ fds: number; threads: number; heap: number }> {
  await sleep(100);
  for (let i = 0; i < 4; i++) {
    gc!();
    await sleep(10);
  }
  return { fds: fdCount(), threads: threadCount(), heap: process.memoryUsage().heapUsed };
}

async function cycle(i: number): Promise<void> {
  const pool = await createPool(join(dir, 'cycles.db'), { minReaders: 2, maxReaders: 2 });
  await pool.exec('CREATE TABLE IF NOT EXISTS t (x)');
  await pool.transaction((tx) => tx.run('INSERT INTO t VALUES (?)', [i]));
  await Promise.all([pool.get('SELECT count(*) AS n FROM t'), pool.get('SELECT max(x) AS m FROM t')]);
  for await (const _ of pool.iterate('SELECT x FROM t', [], { chunkSize: 2 })) break;
  await pool.checkpoint('passive');
  await pool.close();
}

if (mode === 'cycles') {
  for (let i = 0; i < 3; i++) await cycle(i);
  const before = await snapshot();
  for (let i = 0; i < count; i++) await cycle(i);
  const after = await snapshot();
  process.stdout.write(`${JSON.stringify({ mode, count, before, after })}\n`);
} else {
  const pool = await createPool(join(dir, 'shapes.db'), { minReaders: 2, maxReaders: 2 });
  const run = async (from: number, to: number) => {
    for (let at = from; at < to; at += 500) {
      const batch: Array<Promise<unknown>> = [];
      for (let i = at; i < Math.min(to, at + 500); i++) batch.push(pool.get(`SELECT ${i} AS "c${i}"`));
      await Promise.all(batch);
    }
  };
  await run(0, 2000);
  const before = await snapshot();
  await run(2000, 2000 + count);
  const after = await snapshot();
  await pool.close();
  const afterClose = await snapshot();
  process.stdout.write(`${JSON.stringify({ mode, count, before, after, afterClose })}\n`);
}
