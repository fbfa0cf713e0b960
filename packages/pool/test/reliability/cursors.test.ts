import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../../src/index.ts';
import { tempDir } from '../helpers.ts';

const pools: Pool[] = [];
afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.close();
});

const code = (err: unknown): string => String((err as { code?: unknown })?.code ?? `uncoded ${(err as Error)?.message}`);

/**
 * Not in issue 10: the engine's worker registers a cursor before it reads the first chunk, so a first chunk that
 * fails (here the integer overflow check) leaves the statement open on the reader, held by nobody. On a pool that
 * reader then keeps the read snapshot of that moment: reads routed to it miss writes that have resolved, and WAL
 * checkpoints cannot pass it.
 */
describe('a reader after an iterate that failed on its first chunk', () => {
  it('still sees every write that has resolved, and lets a TRUNCATE checkpoint through', async () => {
    const pool = await createPool(join(tempDir(), 'cursor.db'), { minReaders: 1, maxReaders: 1 });
    pools.push(pool);
    await pool.exec('CREATE TABLE t (x); INSERT INTO t VALUES (9007199254740993), (1), (2)');
    let ended = 'completed';
    try {
      for await (const _ of pool.iterate('SELECT x FROM t', [], { chunkSize: 1 }));
    } catch (err) {
      ended = code(err);
    }
    expect(ended).toBe('ERR_RAPSQLITE_INTEGER_OVERFLOW');
    await pool.run('INSERT INTO t VALUES (3)');
    const onWriter = await pool.transaction((tx) => tx.get<{ n: number }>('SELECT count(*) AS n FROM t'));
    expect(onWriter).toEqual({ n: 4 });
    expect(await pool.get('SELECT count(*) AS n FROM t'), 'a read on the reader after the write resolved').toEqual({ n: 4 });
    const checkpoint = await pool.checkpoint('truncate');
    expect(checkpoint).toMatchObject({ busy: false });
  });
});
