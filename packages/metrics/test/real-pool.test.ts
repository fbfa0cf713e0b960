import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool, type Pool } from '@rapsqlite/pool';
import { describe, expect, it } from 'vitest';
import { prometheus, queryStats, statsd, type ObservablePool } from '../src/index.ts';
import { find, onCleanup, parsePrometheus, until } from './helpers.ts';

// @rapsqlite/pool's Pool fits the structural interface as it is.
const fits: (pool: Pool) => ObservablePool = (pool) => pool;

describe('with @rapsqlite/pool', () => {
  it('exports the pool gauges, timings and per-role query metrics', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rapsqlite-metrics-pool-'));
    onCleanup(() => rmSync(dir, { recursive: true, force: true }));
    const prom = prometheus();
    const stats = statsd({ clientOptions: { mock: true }, poolIntervalMs: 10 });
    onCleanup(() => stats.close());
    const table = queryStats();
    const pool = await createPool(join(dir, 'db.sqlite'), { middleware: [prom, stats, table], minReaders: 1, maxReaders: 2 });
    onCleanup(() => pool.close());
    prom.observePool(fits(pool), { name: 'app' });
    stats.observePool(fits(pool), { name: 'app' });

    await pool.exec('CREATE TABLE n (x)');
    await pool.run('INSERT INTO n VALUES (?)', [1]);
    await Promise.all([pool.get('SELECT x FROM n'), pool.all('SELECT x FROM n')]);

    const samples = parsePrometheus(await prom.registry.metrics());
    expect(find(samples, 'db_client_operation_duration_seconds_count', { kind: 'run', role: 'writer' })[0]?.value).toBe(1);
    expect(find(samples, 'db_client_operation_duration_seconds_count', { kind: 'get', role: 'reader' })[0]?.value).toBe(1);
    expect(find(samples, 'db_client_connection_max', { pool: 'app', role: 'reader' })[0]?.value).toBe(2);
    expect(find(samples, 'db_client_connection_max', { pool: 'app', role: 'writer' })[0]?.value).toBe(1);
    const waits = find(samples, 'db_client_connection_wait_time_seconds_count', { pool: 'app' });
    expect(waits.reduce((n, s) => n + s.value, 0)).toBeGreaterThanOrEqual(4);

    const lines = (stats.client as unknown as { mockBuffer: string[] }).mockBuffer;
    expect(lines.some((l) => l.startsWith('rapsqlite.pool.wait_time:') && l.endsWith('#pool:app,role:reader'))).toBe(true);
    await until(() => lines.some((l) => l.startsWith('rapsqlite.pool.max:2|g|#pool:app,role:reader')));
    expect(table.stats().find((e) => e.query === 'SELECT x FROM n')?.calls).toBe(2);
  });
});
