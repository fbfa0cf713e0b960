import { describe, expect, it } from 'vitest';
import type { Middleware } from '../src/index.ts';
import { SQLITE_TIME_ATTRIBUTE } from '../src/plugin.ts';
import { openTemp, slowQuery } from './helpers.ts';

function timings() {
  const seen: Array<{ kind: string; wallNs: number; sqliteNs: unknown }> = [];
  const mw: Middleware = {
    name: 'timings',
    wrap: (next) => async (op) => {
      const start = process.hrtime.bigint();
      try {
        return await next(op);
      } finally {
        seen.push({ kind: op.kind, wallNs: Number(process.hrtime.bigint() - start), sqliteNs: op.attributes[SQLITE_TIME_ATTRIBUTE] });
      }
    },
  };
  return { mw, seen };
}

describe('statement timing', () => {
  it('records the time spent inside SQLite, separately from the whole call', async () => {
    const { mw, seen } = timings();
    const db = await openTemp({ statementTiming: true, middleware: [mw] });
    await db.get(slowQuery(1));
    await db.get('SELECT 1');
    const [heavy, light] = seen;
    expect(typeof heavy!.sqliteNs).toBe('number');
    expect(heavy!.sqliteNs as number).toBeGreaterThan(0);
    // Time inside SQLite is part of the call's time, never more.
    expect(heavy!.sqliteNs as number).toBeLessThanOrEqual(heavy!.wallNs);
    expect(light!.sqliteNs as number).toBeLessThan(heavy!.sqliteNs as number);
  });

  it('records the time of a failed statement too', async () => {
    const { mw, seen } = timings();
    const db = await openTemp({ statementTiming: true, middleware: [mw] });
    await expect(db.get('SELECT * FROM missing')).rejects.toMatchObject({ code: 'SQLITE_ERROR' });
    expect(typeof seen[0]!.sqliteNs).toBe('number');
  });

  it('records nothing unless asked', async () => {
    const { mw, seen } = timings();
    const db = await openTemp({ middleware: [mw] });
    await db.get('SELECT 1');
    expect(seen[0]!.sqliteNs).toBeUndefined();
  });

  it('falls back to the worker clock without the companion', async () => {
    process.env['RAPSQLITE_NO_COMPANION'] = '1';
    try {
      const { mw, seen } = timings();
      const db = await openTemp({ statementTiming: true, middleware: [mw] });
      await db.get(slowQuery(1));
      expect(seen[0]!.sqliteNs as number).toBeGreaterThan(0);
      expect(seen[0]!.sqliteNs as number).toBeLessThanOrEqual(seen[0]!.wallNs);
    } finally {
      delete process.env['RAPSQLITE_NO_COMPANION'];
    }
  });
});
