import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HANDLE_KINDS, knexOn, sleep, type KnexContext } from './helpers.ts';

describe.each(HANDLE_KINDS)('transactions on rapsqlite (%s)', (kind) => {
  let ctx: KnexContext;
  beforeEach(async () => {
    ctx = await knexOn(kind);
    await ctx.db.schema.createTable('items', (t) => {
      t.increments('id');
      t.string('name').unique();
    });
  });
  afterEach(async () => {
    await ctx.close();
  });

  const names = () => ctx.db('items').orderBy('id').pluck('name');

  it('commits when the callback resolves and rolls back when it throws', async () => {
    expect(await ctx.db.transaction(async (trx) => trx('items').insert({ name: 'a' }))).toEqual([1]);
    const boom = new Error('boom');
    await expect(
      ctx.db.transaction(async (trx) => {
        await trx('items').insert({ name: 'b' });
        expect(await trx('items').count({ n: '*' }).first()).toEqual({ n: 2 });
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await names()).toEqual(['a']);
  });

  it('nests savepoints: an inner rollback keeps the outer work, an outer rollback drops everything', async () => {
    await ctx.db.transaction(async (trx) => {
      await trx('items').insert({ name: 'outer' });
      await trx.transaction(async (sp) => {
        await sp('items').insert({ name: 'inner-kept' });
        await sp.transaction(async (deeper) => {
          await deeper('items').insert({ name: 'deeper' });
          throw new Error('deeper');
        }).catch(() => undefined);
      });
      await trx
        .transaction(async (sp) => {
          await sp('items').insert({ name: 'inner-dropped' });
          throw new Error('inner');
        })
        .catch(() => undefined);
    });
    expect(await names()).toEqual(['outer', 'inner-kept']);
    await expect(
      ctx.db.transaction(async (trx) => {
        await trx.transaction(async (sp) => sp('items').insert({ name: 'released' }));
        throw new Error('outer');
      }),
    ).rejects.toThrow('outer');
    expect(await names()).toEqual(['outer', 'inner-kept']);
  });

  it('supports the transaction provider API: trx.commit() and trx.rollback()', async () => {
    const trx = await ctx.db.transaction();
    await trx('items').insert({ name: 'manual' });
    await trx.commit();
    const other = await ctx.db.transaction();
    await other('items').insert({ name: 'undone' });
    await other.rollback();
    expect(other.isCompleted()).toBe(true);
    expect(await names()).toEqual(['manual']);
  });

  it('keeps the SQLite error code of a failure inside a transaction, which rolls back', async () => {
    await ctx.db('items').insert({ name: 'dup' });
    await expect(
      ctx.db.transaction(async (trx) => {
        await trx('items').insert({ name: 'fresh' });
        await trx('items').insert({ name: 'dup' });
      }),
    ).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_UNIQUE' });
    expect(await names()).toEqual(['dup']);
  });

  it('hides uncommitted rows from queries outside the transaction; on a pool, reads do not wait for it', async () => {
    await ctx.db('items').insert({ name: 'before' });
    let answeredWhileOpen = 0;
    let open = true;
    let reads: Promise<string[]>[] = [];
    await ctx.db
      .transaction(async (trx) => {
        await trx('items').insert({ name: 'uncommitted' });
        reads = Array.from({ length: 50 }, () =>
          ctx.db('items').pluck('name').then((r: string[]) => {
            if (open) answeredWhileOpen++;
            return r;
          }),
        );
        for (let i = 0; i < 20 && answeredWhileOpen < 50; i++) await sleep(10);
        open = false;
        throw new Error('roll back');
      })
      .catch(() => undefined);
    const seen = await Promise.all(reads);
    expect(seen.every((r) => !r.includes('uncommitted'))).toBe(true);
    expect(answeredWhileOpen).toBe(kind === 'pool' ? 50 : 0);
  });

  it('runs a readOnly transaction as one snapshot (on a pool reader) and refuses writes in it on a pool', async () => {
    await ctx.db('items').insert({ name: 'x' });
    let outside: Promise<unknown> | undefined;
    const counts = await ctx.db.transaction(
      async (trx) => {
        const first = await trx('items').count({ n: '*' }).first();
        outside = ctx.db('items').insert({ name: 'y' }).then((r) => r); // a knex builder runs again each time it is awaited
        // On a pool the writer is free, so the insert commits now; on one database it waits for this transaction.
        if (kind === 'pool') await outside;
        const second = await trx('items').count({ n: '*' }).first();
        return [first, second];
      },
      { readOnly: true },
    );
    await outside;
    if (kind === 'pool') {
      // The snapshot began at the first read: the insert made meanwhile is not in it.
      expect(counts).toEqual([{ n: 1 }, { n: 1 }]);
      await expect(ctx.db.transaction(async (trx) => trx('items').insert({ name: 'z' }), { readOnly: true })).rejects.toMatchObject({ code: 'SQLITE_READONLY' });
    } else {
      // One connection: the outside insert waited for the transaction; nothing interleaved.
      expect(counts).toEqual([{ n: 1 }, { n: 1 }]);
    }
    expect(await ctx.db('items').count({ n: '*' }).first()).toEqual({ n: 2 });
  });
});
