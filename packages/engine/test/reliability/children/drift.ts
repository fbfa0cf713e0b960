/**
 * Measures resource drift in a process of its own, started with `--expose-gc`: file descriptors (/proc/self/fd),
 * threads (/proc/self/task) and the heap after a full collection, before and after many open/close cycles or many
 * queries with distinct result shapes. Prints the figures as one JSON line.
 *
 * Arguments: cycles <dir> <count> | shapes <dir> <count>
 */
import { join } from 'node:path';
import { open } from '../../../src/index.ts';
import { fdCount, sleep, threadCount } from '../support.ts';

const FUNCTIONS = new URL('../fixtures/functions.js', import.meta.url);
const [mode, dir, countArg] = process.argv.slice(2) as [string, string, string];
const count = Number(countArg);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('drift.ts needs --expose-gc');

async function heap(): Promise<number> {
  // Several rounds: finalizers and weak callbacks of closed workers run between them.
  for (let i = 0; i < 4; i++) {
    gc!();
    await sleep(10);
  }
  return process.memoryUsage().heapUsed;
}

interface Snapshot {
  fds: number;
  threads: number;
  heap: number;
}

async function snapshot(): Promise<Snapshot> {
  // Worker threads leave /proc/self/task a little after their 'exit' event.
  await sleep(100);
  return { fds: fdCount(), threads: threadCount(), heap: await heap() };
}

/** One open/use/close cycle touching every kind of resource: worker, file, WAL, function, transaction, cursor. */
async function cycle(i: number): Promise<void> {
  const db = await open(join(dir, 'cycles.db'));
  await db.function('twice', { module: FUNCTIONS, export: 'twice' });
  await db.exec('CREATE TABLE IF NOT EXISTS t (x)');
  await db.transaction(async (tx) => {
    await tx.run('INSERT INTO t VALUES (twice(?))', [i]);
  });
  for await (const _ of db.iterate('SELECT x FROM t', [], { chunkSize: 2 })) break;
  await db.get(`SELECT count(*) AS "n${i % 10}" FROM t`);
  await db.close();
}

if (mode === 'cycles') {
  for (let i = 0; i < 5; i++) await cycle(i);
  const before = await snapshot();
  for (let i = 0; i < count; i++) await cycle(i);
  const after = await snapshot();
  process.stdout.write(`${JSON.stringify({ mode, count, before, after })}\n`);
} else {
  const db = await open(join(dir, 'shapes.db'));
  await db.function('worker_heap', { module: FUNCTIONS, export: 'workerHeap' });
  const run = async (from: number, to: number) => {
    for (let at = from; at < to; at += 500) {
      const batch: Array<Promise<unknown>> = [];
      for (let i = at; i < Math.min(to, at + 500); i++) batch.push(db.get(`SELECT ${i} AS "c${i}"`));
      await Promise.all(batch);
    }
  };
  await run(0, 2000);
  const before = await snapshot();
  const workerBefore = ((await db.get('SELECT worker_heap() AS h')) as { h: number }).h;
  await run(2000, 2000 + count);
  const after = await snapshot();
  const workerAfter = ((await db.get('SELECT worker_heap() AS h')) as { h: number }).h;
  await db.close();
  const afterClose = await snapshot();
  process.stdout.write(`${JSON.stringify({ mode, count, before, after, afterClose, workerBefore, workerAfter })}\n`);
}
