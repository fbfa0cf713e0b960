import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HANDLE_KINDS, knexOn, type KnexContext } from './helpers.ts';

const ROWS = 10_000;

describe.each(HANDLE_KINDS)('streaming on rapsqlite (%s)', (kind) => {
  let ctx: KnexContext;
  beforeEach(async () => {
    ctx = await knexOn(kind, { chunkSize: 500 });
    await ctx.db.raw('CREATE TABLE events (id INTEGER PRIMARY KEY, payload TEXT)');
    await ctx.db.raw(`INSERT INTO events (id, payload) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS}) SELECT i, 'event ' || i FROM n`);
  });
  afterEach(async () => {
    await ctx.close();
  });

  it('streams 10 000 rows in order through .stream() with for await', async () => {
    let count = 0;
    let last = 0;
    for await (const row of ctx.db('events').orderBy('id').select('id', 'payload').stream()) {
      const { id, payload } = row as { id: number; payload: string };
      if (id !== last + 1 || payload !== `event ${id}`) throw new Error(`row ${id} out of order`);
      last = id;
      count++;
    }
    expect(count).toBe(ROWS);
  });

  it('pipes with backpressure and stops the query when the consumer leaves early', async () => {
    const stream = ctx.db('events').orderBy('id').stream();
    const seen: number[] = [];
    for await (const row of stream) {
      seen.push((row as { id: number }).id);
      if (seen.length === 1234) break;
    }
    expect(seen.at(-1)).toBe(1234);
    // The cursor was closed: the table can be written, and the client still answers.
    await ctx.db('events').where('id', '>', 5000).del();
    expect(await ctx.db('events').count({ n: '*' }).first()).toEqual({ n: 5000 });
  });

  it('streams inside a transaction, seeing its own uncommitted writes', async () => {
    await ctx.db.transaction(async (trx) => {
      await trx('events').insert({ id: ROWS + 1, payload: 'new' });
      let count = 0;
      for await (const _row of trx('events').stream()) count++;
      expect(count).toBe(ROWS + 1);
      throw new Error('roll back');
    }).catch((e: Error) => expect(e.message).toBe('roll back'));
    expect(await ctx.db('events').count({ n: '*' }).first()).toEqual({ n: ROWS });
  });

  it('reports a failing streamed query on the stream', async () => {
    await expect(
      (async () => {
        for await (const _row of ctx.db('missing').stream()) {
          // never reached
        }
      })(),
    ).rejects.toMatchObject({ code: 'SQLITE_ERROR' });
  });
});
