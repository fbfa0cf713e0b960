import { describe, expect, it, vi } from 'vitest';
import { loadPeer } from '../src/internal/peer.ts';
import { prometheus, queryStats, slowQuery, statsd, type SlowQueryReport, type StatsdClient } from '../src/index.ts';
import { find, onCleanup, openTemp, parsePrometheus } from './helpers.ts';

describe('the plugins together', () => {
  it('observe streamed rows without breaking streaming, and see each statement of a transaction', async () => {
    const prom = prometheus();
    const stats = queryStats();
    const reports: SlowQueryReport[] = [];
    const db = await openTemp({ middleware: [prom, stats, slowQuery({ thresholdMs: 0, rateLimit: false, kinds: ['iterate'], onSlow: (r) => reports.push(r) })] });
    await db.exec('CREATE TABLE n (x)');
    await db.transaction(async (tx) => {
      await tx.runMany('INSERT INTO n VALUES (?)', Array.from({ length: 40 }, (_, i) => [i]));
    });
    let seen = 0;
    for await (const row of db.iterate<{ x: number }>('SELECT x FROM n ORDER BY x', undefined, { chunkSize: 7 })) {
      expect(row.x).toBe(seen++);
      // Nothing is reported while the rows are still streaming.
      expect(reports).toHaveLength(0);
    }
    expect(seen).toBe(40);
    expect(reports[0]).toMatchObject({ kind: 'iterate', rows: 40 });
    expect(stats.stats().find((e) => e.query === 'SELECT x FROM n ORDER BY x')).toMatchObject({ calls: 1, rows: 40 });
    const samples = parsePrometheus(await prom.registry.metrics());
    expect(find(samples, 'db_client_response_returned_rows_sum', { kind: 'iterate' })[0]?.value).toBe(40);
    expect(find(samples, 'db_client_operation_duration_seconds_count', { kind: 'begin', summary: 'BEGIN IMMEDIATE' })[0]?.value).toBe(1);
    expect(find(samples, 'db_client_operation_duration_seconds_count', { kind: 'commit' })[0]?.value).toBe(1);
    expect(find(samples, 'db_client_operation_duration_seconds_count', { kind: 'transaction' })).toEqual([]);
  });

  it('do not count the EXPLAIN QUERY PLAN calls of slowQuery as the application\'s statements', async () => {
    const stats = queryStats();
    const reports: SlowQueryReport[] = [];
    const db = await openTemp({ middleware: [slowQuery({ thresholdMs: 0, explain: true, onSlow: (r) => reports.push(r) }), stats] });
    await db.get('SELECT 1 AS x');
    await vi.waitFor(() => expect(reports[0]?.plan).toBeDefined());
    expect(stats.stats().map((e) => e.query)).toEqual(['SELECT ? AS x']);
  });

  it('never fail a query when every one of them fails', async () => {
    const errors: unknown[] = [];
    const onError = (e: unknown) => errors.push(e);
    const explode = () => {
      throw new Error('exploded');
    };
    const broken: StatsdClient = { timing: explode, increment: explode, gauge: explode };
    const db = await openTemp({
      middleware: [
        statsd({ client: broken, onError }),
        slowQuery({ thresholdMs: 0, explain: true, onSlow: explode, traceContext: explode, onError }),
        queryStats({ onError }),
      ],
    });
    await db.exec('CREATE TABLE n (x)');
    await db.transaction(async (tx) => {
      await tx.run('INSERT INTO n VALUES (?)', [1]);
      expect(await tx.get('SELECT x FROM n')).toEqual({ x: 1 });
    });
    const rows: unknown[] = [];
    for await (const row of db.iterate('SELECT x FROM n')) rows.push(row);
    expect(rows).toEqual([{ x: 1 }]);
    await expect(db.get('SELECT * FROM missing')).rejects.toMatchObject({ code: 'SQLITE_ERROR' });
    await vi.waitFor(() => expect(errors.length).toBeGreaterThan(5));
  });

  it('warns once per plugin when no onError is given', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    onCleanup(() => warn.mockRestore());
    const explode = () => {
      throw new Error('exploded');
    };
    const db = await openTemp({ middleware: [statsd({ client: { timing: explode, increment: explode, gauge: explode } })] });
    for (let i = 0; i < 3; i++) await db.get('SELECT 1 AS x');
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[1]).toMatchObject({ code: 'RAPSQLITE_PLUGIN_FAILURE' });
  });

  it('names the missing optional peer dependency', () => {
    expect(() => loadPeer('rapsqlite-no-such-package', 'prometheus()')).toThrow(
      expect.objectContaining({ code: 'ERR_RAPSQLITE_MISSING_PEER', message: expect.stringContaining('npm install rapsqlite-no-such-package') as string }),
    );
  });
});
