import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool, type Pool } from '@rapsqlite/pool';
import { describe, expect, it } from 'vitest';
import { observePool, otel, type ObservablePool } from '../src/index.ts';
import { histogram, memoryMetrics, memoryTracing, metric, onCleanup, sums } from './helpers.ts';

// @rapsqlite/pool's Pool fits the structural interface as it is.
const fits: (pool: Pool) => ObservablePool = (pool) => pool;

describe('with @rapsqlite/pool', () => {
  it('traces calls routed to readers and the writer, and reports the pool metrics', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rapsqlite-otel-pool-'));
    onCleanup(() => rmSync(dir, { recursive: true, force: true }));
    const tracing = memoryTracing();
    const meters = memoryMetrics();
    const pool = await createPool(join(dir, 'db.sqlite'), {
      middleware: [otel({ tracerProvider: tracing.provider, meterProvider: meters.provider })],
      minReaders: 1,
      maxReaders: 2,
    });
    onCleanup(() => pool.close());
    const observation = observePool(fits(pool), { name: 'app', meterProvider: meters.provider });
    onCleanup(() => observation.stop());

    await pool.exec('CREATE TABLE n (x)');
    await pool.run('INSERT INTO n VALUES (?)', [1]);
    await Promise.all([pool.get('SELECT x FROM n'), pool.all('SELECT x FROM n')]);

    const spans = await tracing.spans();
    const roles = new Map(spans.map((s) => [s.name, s.attributes['rapsqlite.connection.role']]));
    expect(roles.get('INSERT n')).toBe('writer');
    expect(roles.get('SELECT n')).toBe('reader');
    for (const span of spans) expect(span.attributes['db.namespace']).toBe('db.sqlite');

    const all = await meters.collect();
    const count = sums(metric(all, 'db.client.connection.count'));
    expect(new Set(count.map((p) => p.attributes['db.client.connection.pool.name']))).toEqual(new Set(['app']));
    expect(count.find((p) => p.attributes['rapsqlite.connection.role'] === 'writer' && p.attributes['db.client.connection.state'] === 'idle')?.value).toBe(1);
    const waits = histogram(metric(all, 'db.client.connection.wait_time'));
    expect(waits.reduce((n, p) => n + p.value.count, 0)).toBeGreaterThanOrEqual(4);
    const uses = histogram(metric(all, 'db.client.connection.use_time'));
    expect(uses.reduce((n, p) => n + p.value.count, 0)).toBeGreaterThanOrEqual(4);
  });
});
