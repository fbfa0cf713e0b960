import client from 'prom-client';
import { describe, expect, it } from 'vitest';
import { PROMETHEUS_DURATION_BUCKETS, prometheus, queryStats } from '../src/index.ts';
import { FakePool, find, group, openTemp, parsePrometheus } from './helpers.ts';

describe('prometheus()', () => {
  it('exports a duration histogram in seconds labelled by kind, summary, role and status', async () => {
    const metrics = prometheus();
    const db = await openTemp({ middleware: [metrics] });
    await db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)');
    for (let i = 0; i < 3; i++) await db.get('SELECT name FROM users WHERE id = ?', [i]);

    const samples = parsePrometheus(await metrics.registry.metrics());
    const labels = { kind: 'get', summary: 'SELECT users', role: 'writer', status: 'ok' };
    const [count] = find(samples, 'db_client_operation_duration_seconds_count', labels);
    expect(count?.value).toBe(3);
    const [sum] = find(samples, 'db_client_operation_duration_seconds_sum', labels);
    expect(sum?.value).toBeGreaterThan(0);
    // Seconds: three point queries take far less than three seconds.
    expect(sum?.value).toBeLessThan(3);
    const buckets = find(samples, 'db_client_operation_duration_seconds_bucket', labels).map((s) => s.labels['le']);
    expect(buckets).toEqual([...PROMETHEUS_DURATION_BUCKETS.map(String), '+Inf']);
    expect(find(samples, 'db_client_operation_duration_seconds_count', { kind: 'exec', summary: 'CREATE TABLE users' })).toHaveLength(1);
  });

  it('counts errors by code, returned rows and changed rows', async () => {
    const metrics = prometheus();
    const db = await openTemp({ middleware: [metrics] });
    await db.exec('CREATE TABLE u (email TEXT UNIQUE)');
    await db.runMany('INSERT INTO u VALUES (?)', [['a'], ['b'], ['c']]);
    await expect(db.run('INSERT INTO u VALUES (?)', ['a'])).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_UNIQUE' });
    await db.all('SELECT email FROM u');

    const samples = parsePrometheus(await metrics.registry.metrics());
    expect(find(samples, 'rapsqlite_errors_total', { kind: 'run', summary: 'INSERT u', code: 'SQLITE_CONSTRAINT_UNIQUE' })[0]?.value).toBe(1);
    expect(find(samples, 'db_client_operation_duration_seconds_count', { kind: 'run', status: 'error' })[0]?.value).toBe(1);
    expect(find(samples, 'rapsqlite_changed_rows_total', { kind: 'runMany', summary: 'INSERT u' })[0]?.value).toBe(3);
    expect(find(samples, 'db_client_response_returned_rows_sum', { kind: 'all', summary: 'SELECT u' })[0]?.value).toBe(3);
  });

  it('never puts SQL text or parameter values in labels', async () => {
    const metrics = prometheus();
    const db = await openTemp({ middleware: [metrics] });
    await db.exec('CREATE TABLE s (token TEXT)');
    await db.run("INSERT INTO s VALUES ('literal-secret')");
    await db.run('INSERT INTO s VALUES (?)', ['param-secret']);
    await db.get('SELECT token FROM s WHERE token = ?', ['param-secret']);
    const text = await metrics.registry.metrics();
    expect(text).not.toContain('secret');
    expect(text).not.toContain('VALUES');
    const labelNames = new Set(parsePrometheus(text).flatMap((s) => Object.keys(s.labels)));
    for (const name of labelNames) expect(['code', 'kind', 'le', 'role', 'status', 'summary']).toContain(name);
  });

  it('keeps its own registry unless given one, and shares metrics between exporters on one registry', async () => {
    const own = prometheus();
    expect(own.registry).not.toBe(client.register);
    expect(client.register.getSingleMetric('db_client_operation_duration_seconds')).toBeUndefined();

    const registry = new client.Registry();
    const orders = prometheus({ registry, labels: { db: 'orders' } });
    const users = prometheus({ registry, labels: { db: 'orders' } });
    expect(orders.registry).toBe(registry);
    const db = await openTemp({ middleware: [orders] });
    await db.get('SELECT 1 AS x');
    await db.with(users).get('SELECT 1 AS x');
    const [count] = find(parsePrometheus(await registry.metrics()), 'db_client_operation_duration_seconds_count', { db: 'orders', summary: 'SELECT' });
    expect(count?.value).toBe(3);
  });

  it('applies a prefix and refuses constant labels that clash with its own', () => {
    const metrics = prometheus({ prefix: 'app_' });
    expect(metrics.registry.getSingleMetric('app_db_client_operation_duration_seconds')).toBeDefined();
    expect(() => prometheus({ labels: { summary: 'x' } })).toThrow(expect.objectContaining({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' }));
    expect(() => prometheus({ labels: { 'bad-name': 'x' } })).toThrow(expect.objectContaining({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' }));
  });

  it('labels summaries past maxSummaries as other', async () => {
    const metrics = prometheus({ maxSummaries: 2 });
    const db = await openTemp({ middleware: [metrics] });
    await db.exec('CREATE TABLE a (x); CREATE TABLE b (x); CREATE TABLE c (x)');
    for (const table of ['a', 'b', 'c']) await db.get(`SELECT x FROM ${table}`);
    const summaries = new Set(find(parsePrometheus(await metrics.registry.metrics()), 'db_client_operation_duration_seconds_count').map((s) => s.labels['summary']));
    expect(summaries).toEqual(new Set(['CREATE TABLE a CREATE TABLE b CREATE TABLE c', 'SELECT a', 'other']));
  });

  it('reads pool gauges per role at scrape time and records pool timings from events', async () => {
    const metrics = prometheus();
    const pool = new FakePool();
    const observation = metrics.observePool(pool, { name: 'main' });
    let samples = parsePrometheus(await metrics.registry.metrics());
    const value = (name: string, labels: Record<string, string>) => find(samples, name, { pool: 'main', ...labels })[0]?.value;
    expect(value('db_client_connection_count', { role: 'writer', state: 'idle' })).toBe(0);
    expect(value('db_client_connection_count', { role: 'writer', state: 'used' })).toBe(1);
    expect(value('db_client_connection_count', { role: 'reader', state: 'idle' })).toBe(2);
    expect(value('db_client_connection_max', { role: 'reader' })).toBe(4);
    expect(value('db_client_connection_idle_min', { role: 'reader' })).toBe(1);
    expect(value('db_client_connection_pending_requests', { role: 'writer' })).toBe(3);
    expect(value('rapsqlite_connection_max_wait_seconds', { role: 'writer' })).toBe(0.04);

    pool.current = { ...pool.current, writer: group({ used: 1, pending: 7, max: 1 }) };
    pool.emit('acquire', { role: 'reader', waitMs: 3 });
    pool.emit('acquire', { role: 'writer', waitMs: 0 });
    pool.emit('release', { role: 'reader', useMs: 20 });
    pool.emit('create', { role: 'reader', createMs: 40 });
    pool.emit('timeout', { role: 'writer', waitMs: 250 });
    samples = parsePrometheus(await metrics.registry.metrics());
    expect(value('db_client_connection_pending_requests', { role: 'writer' })).toBe(7);
    expect(find(samples, 'rapsqlite_connection_max_wait_seconds', { role: 'writer' })).toEqual([]);
    expect(value('db_client_connection_wait_time_seconds_sum', { role: 'reader' })).toBeCloseTo(0.003, 9);
    expect(value('db_client_connection_wait_time_seconds_count', { role: 'writer' })).toBe(1);
    expect(value('db_client_connection_use_time_seconds_sum', { role: 'reader' })).toBeCloseTo(0.02, 9);
    expect(value('db_client_connection_create_time_seconds_sum', { role: 'reader' })).toBeCloseTo(0.04, 9);
    expect(value('db_client_connection_timeouts_total', { role: 'writer' })).toBe(1);

    observation.stop();
    expect(pool.listenerCount('acquire')).toBe(0);
    samples = parsePrometheus(await metrics.registry.metrics());
    expect(find(samples, 'db_client_connection_count', { pool: 'main' })).toEqual([]);
  });

  it('keeps scraping when a pool cannot report its statistics', async () => {
    const errors: unknown[] = [];
    const metrics = prometheus({ onError: (e) => errors.push(e) });
    const broken = new FakePool();
    broken.stats = () => {
      throw new Error('stats exploded');
    };
    metrics.observePool(broken, { name: 'broken' });
    metrics.observePool(new FakePool(), { name: 'fine' });
    const samples = parsePrometheus(await metrics.registry.metrics());
    expect(find(samples, 'db_client_connection_max').map((s) => s.labels['pool'])).toEqual(['fine', 'fine']);
    expect(errors.length).toBeGreaterThan(0);
  });

  it('behaves as prom-client metrics: JSON, reset, OpenMetrics and cluster aggregation', async () => {
    const metrics = prometheus();
    const db = await openTemp({ middleware: [metrics] });
    await db.get('SELECT 1 AS x');
    await expect(db.get('SELECT * FROM missing')).rejects.toMatchObject({ code: 'SQLITE_ERROR' });

    const json = await metrics.registry.getMetricsAsJSON();
    const duration = json.find((m) => m.name === 'db_client_operation_duration_seconds');
    expect(duration).toMatchObject({ type: 'histogram', aggregator: 'sum' });
    const merged = client.AggregatorRegistry.aggregate([json, json]);
    const [errors] = find(parsePrometheus(await merged.metrics()), 'rapsqlite_errors_total', { code: 'SQLITE_ERROR' });
    expect(errors?.value).toBe(2);

    metrics.registry.setContentType(client.Registry.OPENMETRICS_CONTENT_TYPE as never);
    const open = await metrics.registry.metrics();
    expect(open).toContain('# TYPE rapsqlite_errors counter');
    expect(open).toMatch(/^rapsqlite_errors_total\{.*code="SQLITE_ERROR".*\} 1$/m);
    expect(open.endsWith('# EOF\n')).toBe(true);

    metrics.registry.resetMetrics();
    metrics.registry.setContentType(client.Registry.PROMETHEUS_CONTENT_TYPE as never);
    const samples = parsePrometheus(await metrics.registry.metrics());
    expect(find(samples, 'db_client_operation_duration_seconds_count').every((s) => s.value === 0)).toBe(true);
    await db.get('SELECT 1 AS x');
    const after = parsePrometheus(await metrics.registry.metrics());
    expect(find(after, 'db_client_operation_duration_seconds_count', { summary: 'SELECT', status: 'ok' })[0]?.value).toBe(1);
  });

  it('exports the top statements of a queryStats table', async () => {
    const stats = queryStats();
    const metrics = prometheus({ queryStats: stats, queryStatsTop: 1 });
    const db = await openTemp({ middleware: [stats] });
    await db.exec('CREATE TABLE n (x)');
    for (let i = 0; i < 4; i++) await db.run('INSERT INTO n VALUES (?)', [i]);
    const samples = parsePrometheus(await metrics.registry.metrics());
    const calls = find(samples, 'rapsqlite_query_calls');
    expect(calls).toHaveLength(1);
    const [top] = stats.top(1, 'totalTime');
    expect(calls[0]?.labels).toEqual({ fingerprint: top?.fingerprint, summary: top?.summary });
    expect(calls[0]?.value).toBe(top?.calls);
    expect(find(samples, 'rapsqlite_query_stats_entries')[0]?.value).toBe(2);
    expect(find(samples, 'rapsqlite_query_stats_evictions')[0]?.value).toBe(0);
    expect(find(samples, 'rapsqlite_query_p95_seconds')[0]?.value).toBeCloseTo((top?.p95Ms ?? 0) / 1000, 9);
  });
});
