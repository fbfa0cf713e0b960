/**
 * Runs the cancellation storms and the targeted cases through pools in this process, each on a fresh file in
 * `<dir>`, and prints the results as one JSON line. Started with `RAPSQLITE_NO_COMPANION=1` for the run without the
 * native companion (it is chosen when a connection opens).
 *
 * Arguments: <dir> <calls> <seed> <slowSteps> <storms>
 */
import { join } from 'node:path';
import { createPool } from '../../../src/index.ts';
import { CASES, runStorm, type CaseResult, type StormResult } from '../kit.ts';

const [dir, calls, seed, slowSteps, storms] = process.argv.slice(2) as [string, string, string, string, string];
const OPTIONS = { minReaders: 2, maxReaders: 2 } as const;
const results: StormResult[] = [];
for (let s = 0; s < Number(storms); s++) {
  const pool = await createPool(join(dir, `storm-${s}.db`), OPTIONS);
  const result = await runStorm(pool, { calls: Number(calls), seed: Number(seed) + s, prefix: `pnc${s}`, slowSteps: Number(slowSteps) });
  results.push({ ...result, mismatches: result.mismatches.slice(0, 20) });
  await pool.close();
}
const cases: Record<string, CaseResult | { error: string }> = {};
for (const [name, run] of Object.entries(CASES)) {
  const pool = await createPool(join(dir, `case-${name}.db`), OPTIONS);
  try {
    cases[name] = await run(pool, `pnc_${name}`);
  } catch (err) {
    cases[name] = { error: String((err as Error)?.stack ?? err) };
  }
  await pool.close();
}
process.stdout.write(`${JSON.stringify({ storms: results, cases, companion: process.env['RAPSQLITE_NO_COMPANION'] !== '1' })}\n`);
