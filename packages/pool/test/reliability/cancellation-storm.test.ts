import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../../src/index.ts';
import { tempDir } from '../helpers.ts';
import { CASES, killChildren, limit, report, runChild, runStorm, scaled, seedFor, tallyLine, type CaseResult, type StormResult } from './kit.ts';

const RUNNER = new URL('./children/storm-runner.ts', import.meta.url);
const CALLS = scaled(2000, 20_000);
const STORMS = scaled(1, 2);
const SLOW_STEPS = 300_000;
const OPTIONS = { minReaders: 2, maxReaders: 2 } as const;

function expectNoProblems(name: string, result: CaseResult | { error: string } | undefined): void {
  expect(result, `case ${name} did not run`).toBeDefined();
  if (result !== undefined && 'error' in result) throw new Error(`case ${name} threw: ${result.error}`);
  expect(result!.problems, JSON.stringify(result!.figures)).toEqual([]);
}

function reportStorm(label: string, storms: readonly StormResult[], seed: number): void {
  const sum = (f: (s: StormResult) => number) => storms.reduce((n, s) => n + f(s), 0);
  const outcomes: Record<string, number> = {};
  for (const s of storms) for (const [k, v] of Object.entries(s.outcomes)) outcomes[k] = (outcomes[k] ?? 0) + v;
  report(label, {
    storms: storms.length,
    calls: sum((s) => s.calls),
    maxInFlight: Math.max(...storms.map((s) => s.maxInFlight)),
    mismatches: sum((s) => s.mismatchCount),
    cancelledButCommitted: sum((s) => s.cancelledButCommitted),
    poisonedShapes: sum((s) => s.poisonedShapes),
    staleReads: sum((s) => s.staleReads),
    unusableAfter: storms.filter((s) => s.healthAfter !== 'ok' || s.accounting !== 'ok').length,
    outcomes: tallyLine(outcomes),
    seed,
  });
}

function expectStormHeld(storms: readonly StormResult[]): void {
  const problems = storms.map((s, i) => `storm ${i}: ${s.mismatchCount} mismatches ${JSON.stringify(s.problems)}, first of each: ${JSON.stringify(s.examples)}`).join('; ');
  for (const storm of storms) {
    expect(storm.maxInFlight).toBeGreaterThan(1024);
    expect(storm.mismatches.slice(0, 10), problems).toEqual([]);
    expect(storm.staleReads, 'reads after the storm that miss acknowledged writes').toBe(0);
    expect(storm.poisonedShapes, 'result shapes that no longer decode after the storm').toBe(0);
    expect({ accounting: storm.accounting, healthAfter: storm.healthAfter, dropAfter: storm.dropAfter }, 'the pool after the storm').toEqual({ accounting: 'ok', healthAfter: 'ok', dropAfter: 'ok' });
  }
}

async function withPool<T>(name: string, body: (pool: Pool) => Promise<T>): Promise<T> {
  const pool = await createPool(join(tempDir(), `${name}.db`), OPTIONS);
  try {
    return await body(pool);
  } finally {
    await pool.close();
  }
}

describe('cancellation storm through a pool, with the native companion (this process)', () => {
  it(
    'commits exactly the calls that resolved, and none rejected as aborted or timed out',
    async () => {
      const seed = seedFor('pool-storm-companion');
      const storms: StormResult[] = [];
      for (let s = 0; s < STORMS; s++) {
        storms.push(await withPool(`storm-${s}`, (pool) => runStorm(pool, { calls: CALLS, seed: seed + s, prefix: `p${s}`, slowSteps: SLOW_STEPS })));
      }
      reportStorm('cancellation storm pool companion=yes', storms, seed);
      expectStormHeld(storms);
    },
    limit(40_000, 600_000),
  );

  for (const name of Object.keys(CASES)) {
    it(`holds the rule in the targeted case ${name}`, async () => {
      const result = await withPool(name, (pool) => CASES[name]!(pool, `p_${name}`));
      report(`cancellation case ${name} pool companion=yes`, result.figures);
      expectNoProblems(name, result);
    });
  }
});

describe('cancellation storm through a pool, without the native companion (a child process)', () => {
  let outcome: { storms: StormResult[]; cases: Record<string, CaseResult | { error: string }>; companion: boolean };
  let seed: number;
  beforeAll(async () => {
    seed = seedFor('pool-storm-no-companion');
    outcome = await runChild(RUNNER, [tempDir(), String(CALLS), String(seed), String(SLOW_STEPS), String(STORMS)], { env: { RAPSQLITE_NO_COMPANION: '1' } });
  }, limit(90_000, 900_000));
  afterAll(killChildren);

  it('commits exactly the calls that resolved, and none rejected as aborted or timed out', () => {
    expect(outcome.companion).toBe(false);
    reportStorm('cancellation storm pool companion=no', outcome.storms, seed);
    expectStormHeld(outcome.storms);
  });

  for (const name of Object.keys(CASES)) {
    it(`holds the rule in the targeted case ${name}`, () => {
      const result = outcome.cases[name];
      if (result !== undefined && !('error' in result)) report(`cancellation case ${name} pool companion=no`, result.figures);
      expectNoProblems(name, result);
    });
  }
});
