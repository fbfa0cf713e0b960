import { metrics, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { DURATION_BUCKETS, otel } from '../src/index.ts';
import { histogram, memoryMetrics, memoryTracing, metric, onCleanup, openTemp } from './helpers.ts';

describe('operation metrics', () => {
  it('records db.client.operation.duration in seconds with the advised and sub-millisecond buckets', async () => {
    const { provider, collect } = memoryMetrics();
    const db = await openTemp({ middleware: [otel({ meterProvider: provider })] });
    await db.exec('CREATE TABLE n (x)');
    for (let i = 0; i < 5; i++) await db.get('SELECT x FROM n WHERE x = ?', [i]);

    const duration = metric(await collect(), 'db.client.operation.duration');
    expect(duration.descriptor.unit).toBe('s');
    const selects = histogram(duration).filter((p) => p.attributes['db.query.summary'] === 'SELECT n');
    expect(selects).toHaveLength(1);
    const point = selects[0]!;
    expect(point.attributes).toEqual({ 'db.system.name': 'sqlite', 'db.namespace': 'db.sqlite', 'db.query.summary': 'SELECT n' });
    expect(point.value.count).toBe(5);
    expect(point.value.buckets.boundaries).toEqual([...DURATION_BUCKETS]);
    expect(DURATION_BUCKETS.slice(4)).toEqual([0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10]);
    // Seconds, not milliseconds: five point queries take far less than five seconds.
    expect(point.value.sum).toBeGreaterThan(0);
    expect(point.value.sum).toBeLessThan(5);
  });

  it('records concurrent calls, and exports nothing but its two instruments', async () => {
    const { provider, collect } = memoryMetrics();
    const db = await openTemp({ middleware: [otel({ meterProvider: provider })] });
    await Promise.all(Array.from({ length: 20 }, (_, i) => db.get('SELECT ? AS i', [i])));
    await db.all('SELECT 1 AS one');
    const all = await collect();
    const [point] = histogram(metric(all, 'db.client.operation.duration'));
    expect(point?.value.count).toBe(21);
    expect(all.map((m) => m.descriptor.name).sort()).toEqual(['db.client.operation.duration', 'db.client.response.returned_rows']);
  });

  it('records failures with error.type and db.response.status_code', async () => {
    const { provider, collect } = memoryMetrics();
    const db = await openTemp({ middleware: [otel({ meterProvider: provider })] });
    await expect(db.get('SELECT * FROM missing')).rejects.toMatchObject({ code: 'SQLITE_ERROR' });
    const points = histogram(metric(await collect(), 'db.client.operation.duration'));
    expect(points.map((p) => p.attributes)).toContainEqual({
      'db.system.name': 'sqlite',
      'db.namespace': 'db.sqlite',
      'db.query.summary': 'SELECT missing',
      'error.type': 'SQLITE_ERROR',
      'db.response.status_code': 'SQLITE_ERROR',
    });
  });

  it('records returned rows of all, values and iterate (not get), and leaves whole transactions out of the duration histogram', async () => {
    const { provider, collect } = memoryMetrics();
    const db = await openTemp({ middleware: [otel({ meterProvider: provider })] });
    await db.exec('CREATE TABLE n (x); INSERT INTO n VALUES (1), (2), (3)');
    await db.all('SELECT x FROM n');
    await db.values('SELECT x FROM n WHERE x > 1');
    await db.transaction(async (tx) => {
      await tx.get('SELECT x FROM n LIMIT 1');
    });
    const all = await collect();
    const rows = histogram(metric(all, 'db.client.response.returned_rows'));
    expect(metric(all, 'db.client.response.returned_rows').descriptor.unit).toBe('{row}');
    const select = rows.find((p) => p.attributes['db.query.summary'] === 'SELECT n');
    expect(select?.value).toMatchObject({ count: 2, sum: 5 });
    const summaries = histogram(metric(all, 'db.client.operation.duration')).map((p) => p.attributes['db.query.summary']);
    expect(summaries).toEqual(expect.arrayContaining(['BEGIN IMMEDIATE', 'COMMIT', 'SELECT n']));
    expect(histogram(metric(all, 'db.client.operation.duration')).some((p) => p.attributes['db.operation.name'] === 'transaction')).toBe(false);
  });

  it('uses custom buckets and records nothing when metrics are off', async () => {
    const custom = memoryMetrics();
    const off = memoryMetrics();
    const db = await openTemp({ middleware: [otel({ meterProvider: custom.provider, durationBuckets: [0.001, 1] })] });
    await db.with(otel({ meterProvider: off.provider, metrics: false })).get('SELECT 1 AS x');
    const [point] = histogram(metric(await custom.collect(), 'db.client.operation.duration'));
    expect(point?.value.buckets.boundaries).toEqual([0.001, 1]);
    expect(await off.collect()).toEqual([]);
  });
});

describe('global providers', () => {
  it('sends data to an SDK registered after the database was opened', async () => {
    metrics.disable();
    trace.disable();
    const db = await openTemp({ middleware: [otel()] });
    await db.get('SELECT 1 AS before_sdk');

    const meters = memoryMetrics();
    const tracing = memoryTracing();
    metrics.setGlobalMeterProvider(meters.provider);
    trace.setGlobalTracerProvider(tracing.provider);
    onCleanup(() => {
      metrics.disable();
      trace.disable();
    });
    await db.get('SELECT 2 AS after_sdk');

    const [point] = histogram(metric(await meters.collect(), 'db.client.operation.duration'));
    expect(point?.value.count).toBe(1);
    expect((await tracing.spans()).map((s) => s.attributes['db.query.text'])).toEqual(['SELECT ? AS after_sdk']);
  });

  it('follows a replaced global meter provider', async () => {
    metrics.disable();
    onCleanup(() => metrics.disable());
    const first = memoryMetrics();
    const second = memoryMetrics();
    const db = await openTemp({ middleware: [otel()] });
    metrics.setGlobalMeterProvider(first.provider);
    await db.get('SELECT 1 AS x');
    metrics.disable();
    metrics.setGlobalMeterProvider(second.provider);
    await db.get('SELECT 1 AS x');
    await db.get('SELECT 1 AS x');
    const count = async (c: typeof first) => histogram(metric(await c.collect(), 'db.client.operation.duration'))[0]?.value.count;
    expect(await count(first)).toBe(1);
    expect(await count(second)).toBe(2);
  });

  it('works with no SDK at all', async () => {
    metrics.disable();
    trace.disable();
    const db = await openTemp({ middleware: [otel()] });
    await db.exec('CREATE TABLE n (x)');
    await db.transaction(async (tx) => {
      await tx.run('INSERT INTO n VALUES (?)', [1]);
    });
    expect(await db.get('SELECT x FROM n')).toEqual({ x: 1 });
    const rows: unknown[] = [];
    for await (const row of db.iterate('SELECT x FROM n')) rows.push(row);
    expect(rows).toEqual([{ x: 1 }]);
  });
});
