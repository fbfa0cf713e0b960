import { createMock } from '@rapsqlite/testing';
import { describe, expect, it } from 'vitest';
import type { Middleware } from '@rapsqlite/engine';
import { gate, poolTemp } from './helpers.ts';

describe('one handle, one chain (issue 11)', () => {
  it('lets a mock answer without the pool acquiring, probing or sending anything', async () => {
    const pool = await poolTemp({ minReaders: 1, maxReaders: 2 });
    const mock = createMock();
    mock.when('SELECT * FROM users').rows([{ id: 1, name: 'Ada' }]);
    const before = pool.stats();
    expect(await pool.with(mock).all('SELECT * FROM users')).toEqual([{ id: 1, name: 'Ada' }]);
    const after = pool.stats();
    for (const role of ['writer', 'readers'] as const) {
      expect(after[role].acquired).toBe(before[role].acquired);
      expect(after[role].requests).toBe(before[role].requests);
    }
  });

  it('times the wait for a connection inside the middleware, which runs above routing', async () => {
    const pool = await poolTemp({ minReaders: 1, maxReaders: 1, pipelining: 1 });
    const durations: number[] = [];
    const timing: Middleware = {
      name: 'timing',
      wrap: (next) => async (op) => {
        const start = performance.now();
        try {
          return await next(op);
        } finally {
          if (op.kind === 'get') durations.push(performance.now() - start);
        }
      },
    };
    const hold = gate();
    // The only reader is held by a read-only transaction: the read below waits for it.
    const tx = pool.transaction(() => hold.promise, { readonly: true });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const read = pool.with(timing).get('SELECT 1 AS one');
    await new Promise((resolve) => setTimeout(resolve, 150));
    hold.open();
    await tx;
    expect(await read).toEqual({ one: 1 });
    expect(durations).toHaveLength(1);
    expect(durations[0]).toBeGreaterThanOrEqual(140);
  });
});
