import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { open, type Database } from '../../src/index.ts';
import { tempDir } from '../helpers.ts';
import { CASES, type CaseResult } from './cases.ts';
import { runStorm, tallyLine, type StormResult } from './storm.ts';
import { killChildren, limit, report, runChild, scaled, seedFor } from './support.ts';

const RUNNER = new URL('./children/storm-runner.ts', import.meta.url);
const CALLS = scaled(2000, 20_000);
const STORMS = scaled(1, 2);
const SLOW_STEPS = 300_000;

/** The problems a case reported, with its figures, so a failure says what happened. */
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
    expect({ accounting: storm.accounting, healthAfter: storm.healthAfter, dropAfter: storm.dropAfter }, 'the connection after the storm').toEqual({ accounting: 'ok', healthAfter: 'ok', dropAfter: 'ok' });
  }
}

/** A fresh database for one storm or case, closed afterwards. */
async function withDatabase<T>(name: string, body: (db: Database) => Promise<T>): Promise<T> {
  const db = await open(join(tempDir(), `${name}.db`));
  try {
    return await body(db);
  } finally {
    await db.close();
  }
}

describe('cancellation storm with the native companion (this process)', () => {
  it(
    'commits exactly the calls that resolved, and none rejected as aborted or timed out',
    async () => {
      const seed = seedFor('storm-companion');
      const storms: StormResult[] = [];
      for (let s = 0; s < STORMS; s++) {
        storms.push(await withDatabase(`storm-${s}`, (db) => runStorm(db, { calls: CALLS, seed: seed + s, prefix: `c${s}`, slowSteps: SLOW_STEPS })));
      }
      reportStorm('cancellation storm engine companion=yes', storms, seed);
      expectStormHeld(storms);
    },
    limit(40_000, 600_000),
  );

  for (const name of Object.keys(CASES)) {
    it(`holds the rule in the targeted case ${name}`, async () => {
      const result = await withDatabase(name, (db) => CASES[name]!(db, `c_${name}`));
      report(`cancellation case ${name} companion=yes`, result.figures);
      expectNoProblems(name, result);
    });
  }
});

describe('cancellation storm without the native companion (a child process, RAPSQLITE_NO_COMPANION=1)', () => {
  let outcome: { storms: StormResult[]; cases: Record<string, CaseResult | { error: string }>; companion: boolean };
  let seed: number;
  beforeAll(async () => {
    seed = seedFor('storm-no-companion');
    outcome = await runChild(RUNNER, [tempDir(), String(CALLS), String(seed), String(SLOW_STEPS), String(STORMS)], {
      env: { RAPSQLITE_NO_COMPANION: '1' },
    });
  }, limit(90_000, 900_000));
  afterAll(killChildren);

  it('commits exactly the calls that resolved, and none rejected as aborted or timed out', () => {
    expect(outcome.companion).toBe(false);
    reportStorm('cancellation storm engine companion=no', outcome.storms, seed);
    expectStormHeld(outcome.storms);
  });

  for (const name of Object.keys(CASES)) {
    it(`holds the rule in the targeted case ${name}`, () => {
      const result = outcome.cases[name];
      if (result !== undefined && !('error' in result)) report(`cancellation case ${name} companion=no`, result.figures);
      expectNoProblems(name, result);
    });
  }
});
