import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { prometheus, queryStats } from '../src/index.ts';
import { FakePool, openTemp, parsePrometheus } from './helpers.ts';

describe('docs/grafana-dashboard.json', () => {
  it('queries only metrics and labels the Prometheus exporter produces', async () => {
    const dashboard = readFileSync(new URL('../../../docs/grafana-dashboard.json', import.meta.url), 'utf8');
    const parsed = JSON.parse(dashboard) as { panels: Array<{ targets?: Array<{ expr: string }> }> };
    const exprs = parsed.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
    expect(exprs.length).toBeGreaterThan(10);

    const stats = queryStats();
    const metrics = prometheus({ queryStats: stats });
    metrics.observePool(new FakePool(), { name: 'app' });
    const db = await openTemp({ middleware: [metrics, stats] });
    await db.exec('CREATE TABLE n (x)');
    await db.run('INSERT INTO n VALUES (1)');
    await db.all('SELECT x FROM n');
    await expect(db.get('SELECT * FROM missing')).rejects.toMatchObject({ code: 'SQLITE_ERROR' });
    const samples = parsePrometheus(await metrics.registry.metrics());
    const names = new Set(samples.map((s) => s.name));
    const labels = new Map<string, Set<string>>();
    for (const s of samples) for (const l of Object.keys(s.labels)) (labels.get(s.name) ?? labels.set(s.name, new Set()).get(s.name))!.add(l);

    for (const expr of exprs) {
      for (const [, name, selector] of expr.matchAll(/\b((?:db_client|rapsqlite)_[a-z0-9_]+)(?:\{([^}]*)\})?/g)) {
        expect(names, `${name} in ${expr}`).toContain(name);
        for (const [, label] of (selector ?? '').matchAll(/([a-z_]+)\s*=~?/g)) {
          expect(labels.get(name as string), `${label} on ${name}`).toContain(label);
        }
      }
      for (const [, by] of expr.matchAll(/by \(([^)]*)\)/g)) {
        for (const label of (by as string).split(',').map((l) => l.trim())) {
          expect([...labels.values()].some((set) => set.has(label)), `grouping label ${label}`).toBe(true);
        }
      }
    }
  });
});
