import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { POOL_TIME_BUCKETS, observePool, type ObservablePool, type PoolGroupStats, type PoolStatsSnapshot } from '../src/index.ts';
import { histogram, memoryMetrics, metric, sums } from './helpers.ts';

function group(values: Partial<PoolGroupStats>): PoolGroupStats {
  return { idle: 0, used: 0, pending: 0, min: 0, max: 1, ...values };
}

/** A pool as the instrumentation sees it: statistics and events, nothing else. */
class FakePool extends EventEmitter implements ObservablePool {
  current: PoolStatsSnapshot = {
    writer: group({ idle: 0, used: 1, pending: 2, min: 1, max: 1, maxWaitMs: 40 }),
    readers: group({ idle: 2, used: 1, pending: 0, min: 1, max: 4, maxWaitMs: 0 }),
  };
  stats(): PoolStatsSnapshot {
    return this.current;
  }
}

const writer = { 'db.client.connection.pool.name': 'main', 'rapsqlite.connection.role': 'writer' };
const reader = { 'db.client.connection.pool.name': 'main', 'rapsqlite.connection.role': 'reader' };

describe('pool metrics', () => {
  it('reports connection counts by state, limits and pending requests per role, at collection time', async () => {
    const { provider, collect } = memoryMetrics();
    const pool = new FakePool();
    observePool(pool, { name: 'main', meterProvider: provider });
    const first = await collect();
    const count = sums(metric(first, 'db.client.connection.count'));
    expect(metric(first, 'db.client.connection.count').descriptor.unit).toBe('{connection}');
    expect(count.map((p) => [p.attributes['rapsqlite.connection.role'], p.attributes['db.client.connection.state'], p.value])).toEqual([
      ['writer', 'idle', 0],
      ['writer', 'used', 1],
      ['reader', 'idle', 2],
      ['reader', 'used', 1],
    ]);
    const values = (name: string) => sums(metric(first, name)).map((p) => [p.attributes, p.value]);
    expect(values('db.client.connection.max')).toEqual([
      [writer, 1],
      [reader, 4],
    ]);
    expect(values('db.client.connection.idle.min')).toEqual([
      [writer, 1],
      [reader, 1],
    ]);
    expect(values('db.client.connection.pending_requests')).toEqual([
      [writer, 2],
      [reader, 0],
    ]);
    expect(metric(first, 'db.client.connection.pending_requests').descriptor.unit).toBe('{request}');
    const maxWait = metric(first, 'rapsqlite.connection.max_wait');
    expect(maxWait.descriptor.unit).toBe('s');
    expect(maxWait.dataPoints.map((p) => p.value)).toEqual([0.04, 0]);

    pool.current = { ...pool.current, writer: group({ used: 1, pending: 9, max: 1 }) };
    const second = await collect();
    expect(sums(metric(second, 'db.client.connection.pending_requests'))[0]?.value).toBe(9);
  });

  it('records wait, use and create times in seconds and counts timeouts, from the pool events', async () => {
    const { provider, collect } = memoryMetrics();
    const pool = new FakePool();
    observePool(pool, { name: 'main', meterProvider: provider });
    pool.emit('acquire', { role: 'reader', waitMs: 2 });
    pool.emit('acquire', { role: 'reader', waitMs: 4 });
    pool.emit('acquire', { role: 'writer', waitMs: 0 });
    pool.emit('release', { role: 'reader', useMs: 10 });
    pool.emit('create', { role: 'reader', createMs: 30 });
    pool.emit('timeout', { role: 'writer', waitMs: 250 });
    const all = await collect();
    const wait = histogram(metric(all, 'db.client.connection.wait_time'));
    expect(metric(all, 'db.client.connection.wait_time').descriptor.unit).toBe('s');
    expect(wait.map((p) => [p.attributes['rapsqlite.connection.role'], p.value.count])).toEqual([
      ['reader', 2],
      ['writer', 1],
    ]);
    expect(wait[0]?.value.sum).toBeCloseTo(0.006, 9);
    expect(wait[0]?.value.buckets.boundaries).toEqual([...POOL_TIME_BUCKETS]);
    expect(histogram(metric(all, 'db.client.connection.use_time'))[0]?.value.sum).toBeCloseTo(0.01, 9);
    expect(histogram(metric(all, 'db.client.connection.create_time'))[0]?.value.sum).toBeCloseTo(0.03, 9);
    const timeouts = sums(metric(all, 'db.client.connection.timeouts'));
    expect(timeouts.map((p) => [p.attributes, p.value])).toEqual([[writer, 1]]);
  });

  it('stops listening and observing when stopped', async () => {
    const { provider, collect } = memoryMetrics();
    const pool = new FakePool();
    const observation = observePool(pool, { meterProvider: provider });
    observation.stop();
    observation.stop();
    expect(pool.listenerCount('acquire')).toBe(0);
    pool.emit('timeout', { role: 'writer' });
    const all = await collect();
    expect(all.flatMap((m) => m.dataPoints as unknown[])).toEqual([]);
  });

  it('survives a pool whose stats() throws, and reads other shapes through the stats option', async () => {
    const { provider, collect } = memoryMetrics();
    const errors: unknown[] = [];
    const broken = new FakePool();
    broken.stats = () => {
      throw new Error('stats exploded');
    };
    observePool(broken, { name: 'broken', meterProvider: provider, onError: (e) => errors.push(e) });
    observePool(new FakePool(), {
      name: 'other',
      meterProvider: provider,
      stats: () => ({ writer: group({ idle: 1 }), readers: group({ idle: 7 }) }),
    });
    const all = await collect();
    const idle = sums(metric(all, 'db.client.connection.count')).filter((p) => p.attributes['db.client.connection.state'] === 'idle');
    expect(idle.map((p) => [p.attributes['db.client.connection.pool.name'], p.value])).toEqual([
      ['other', 1],
      ['other', 7],
    ]);
    expect(errors).toHaveLength(1);
  });
});
