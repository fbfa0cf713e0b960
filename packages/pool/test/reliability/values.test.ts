import fc from 'fast-check';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTEGER_MODES, type IntegerMode, type SqlValue } from '@rapsqlite/engine';
import { createPool, type Pool } from '../../src/index.ts';
import { tempDir } from '../helpers.ts';
import { hostileBattery, HOSTILE_NAMES, report, scaled, seedFor } from './kit.ts';

/**
 * Values and hostile column names through a pool: rows are built from replies of reader workers (one result-shape
 * table per connection), so the round trips of the engine's suite are run again here, on the readers.
 */
const MAX = 2n ** 53n - 1n;
const EDGES: readonly bigint[] = [0n, 1n, -1n, 2n ** 31n, -(2n ** 31n), MAX, -MAX, MAX + 1n, -MAX - 1n, MAX + 2n, 2n ** 63n - 1n, -(2n ** 63n)];

let pool: Pool;
beforeAll(async () => {
  pool = await createPool(join(tempDir(), 'values.db'), { minReaders: 2, maxReaders: 2 });
  await pool.exec('CREATE TABLE v (id INTEGER PRIMARY KEY, x)');
});
afterAll(() => pool.close());

const code = (err: unknown): string => String((err as { code?: unknown })?.code ?? `uncoded ${(err as Error)?.message}`);

function expected(v: bigint, mode: IntegerMode): unknown {
  if (mode === 'bigint') return v;
  if (v <= MAX && v >= -MAX) return Number(v);
  return mode === 'auto' ? v : 'ERR_RAPSQLITE_INTEGER_OVERFLOW';
}

describe('values through the pool readers', () => {
  it('returns integers at every edge exactly, or ERR_RAPSQLITE_INTEGER_OVERFLOW in number mode', async () => {
    const ids = await Promise.all(EDGES.map(async (v) => (await pool.run('INSERT INTO v (x) VALUES (?)', [v])).lastInsertRowid));
    let checks = 0;
    for (const [k, v] of EDGES.entries()) {
      for (const mode of INTEGER_MODES) {
        const sql = 'SELECT x FROM v WHERE id = ?';
        const options = { integers: mode };
        const got = [
          await pool.get<{ x: unknown }>(sql, [ids[k]!], options).then((r) => r!.x, code),
          await pool.all<{ x: unknown }>(sql, [ids[k]!], options).then((r) => r[0]!.x, code),
          await pool.values(sql, [ids[k]!], options).then((r) => r.rows[0]![0], code),
          await (async () => {
            for await (const r of pool.iterate<{ x: unknown }>(sql, [ids[k]!], options)) return r.x;
            return 'no row';
          })().catch(code),
        ];
        expect(got, `${v}n in ${mode} mode`).toEqual(got.map(() => expected(v, mode)));
        checks += got.length;
      }
    }
    report('values integers pool', { edges: EDGES.length, checks });
  });

  it('round-trips random rows of every type written on the writer and read on the readers (property)', async () => {
    const value = fc.oneof(
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      fc.double({ noNaN: true }),
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.uint8Array({ maxLength: 64 }),
      fc.constant(null),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(value, { minLength: 1, maxLength: 20 }), async (values) => {
        const first = Number((await pool.runMany('INSERT INTO v (x) VALUES (?)', values.map((x) => [x as SqlValue]))).lastInsertRowid) - values.length + 1;
        const rows = await pool.all<{ x: unknown }>('SELECT x FROM v WHERE id >= ? ORDER BY id LIMIT ?', [first, values.length], { integers: 'bigint' });
        return rows.every((r, i) => {
          const want = values[i];
          if (want instanceof Uint8Array) return Buffer.isBuffer(r.x) && Buffer.compare(r.x, want) === 0;
          return typeof want === 'number' ? Object.is(r.x, want) : r.x === want;
        }) && rows.length === values.length;
      }),
      { numRuns: scaled(40, 500), seed: seedFor('pool-values') },
    );
  });

  it('gives plain rows with every hostile column name as an own property', async () => {
    const { problems, queries } = await hostileBattery(pool);
    report('column names pool', { names: HOSTILE_NAMES.length, queries, problems: problems.length });
    expect(problems).toEqual([]);
  });
});
