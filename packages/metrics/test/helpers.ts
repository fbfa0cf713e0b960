import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, type Database, type DatabaseOptions, type Execute, type Middleware, type Operation } from '@rapsqlite/engine';
import { compose } from '@rapsqlite/engine/plugin';
import { afterEach } from 'vitest';
import type { ObservablePool, PoolGroupStats, PoolStatsSnapshot } from '../src/index.ts';

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Registers cleanup to run after the current test. */
export function onCleanup(cleanup: () => Promise<void> | void): void {
  cleanups.push(cleanup);
}

/** Opens a database on a new file in a temporary folder; closed and removed after the test. */
export async function openTemp(options?: DatabaseOptions): Promise<Database> {
  const dir = mkdtempSync(join(tmpdir(), 'rapsqlite-metrics-'));
  const db = await open(join(dir, 'db.sqlite'), options);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => db.close());
  return db;
}

/** A statement operation for middleware driven without a database. */
export function statement(kind: 'get' | 'all' | 'run', sql: string): Operation {
  return { kind, sql, params: undefined, options: {}, transaction: undefined, connection: { role: 'reader', id: 1, path: '/x.db' }, attributes: {} };
}

/** Runs middleware over a terminal that answers `result` (or throws `error`), without a database. */
export function stubChain(middleware: Middleware[], answer: (op: Operation) => unknown): Execute {
  return compose(middleware, async (op) => answer(op));
}

/** One sample of the Prometheus text format. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Parses the Prometheus text exposition format (the subset prom-client writes). */
export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) throw new Error(`unparsable line: ${line}`);
    const labels: Record<string, string> = {};
    const body = match[2] ?? '';
    const labelPattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
    for (let m = labelPattern.exec(body); m !== null; m = labelPattern.exec(body)) {
      labels[m[1] as string] = (m[2] as string).replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    const raw = match[3] as string;
    samples.push({ name: match[1] as string, labels, value: raw === '+Inf' ? Infinity : Number(raw) });
  }
  return samples;
}

/** The samples named `name` whose labels include `labels`. */
export function find(samples: readonly Sample[], name: string, labels: Readonly<Record<string, string>> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** One role's statistics, zero where not given. */
export function group(values: Partial<PoolGroupStats>): PoolGroupStats {
  return { idle: 0, used: 0, pending: 0, min: 0, max: 1, ...values };
}

/** A pool as the exporters see it: statistics and events, nothing else. */
export class FakePool extends EventEmitter implements ObservablePool {
  current: PoolStatsSnapshot = {
    writer: group({ idle: 0, used: 1, pending: 3, min: 1, max: 1, maxWaitMs: 40 }),
    readers: group({ idle: 2, used: 1, pending: 0, min: 1, max: 4, maxWaitMs: 0 }),
  };
  stats(): PoolStatsSnapshot {
    return this.current;
  }
}

/** Resolves once `condition` holds, checking every few milliseconds (the test's own timeout bounds the wait). */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** Resolves after the current event-loop turn, once work the plugins deferred to its end has run. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
