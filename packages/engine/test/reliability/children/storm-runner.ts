/**
 * Runs the cancellation storms and the targeted cases on engine databases in this process, each on a fresh file in
 * `<dir>`, and prints the results as one JSON line. Started with `RAPSQLITE_NO_COMPANION=1`: the companion is chosen
 * when a connection opens, so the storm without it needs a process of its own.
 *
 * Arguments: <dir> <calls> <seed> <slowSteps> <storms>
 */
import { join } from 'node:path';
import { open } from '../../../src/index.ts';
import { CASES, type CaseResult } from '../cases.ts';
import { runStorm, type StormResult } from '../storm.ts';

const [dir, calls, seed, slowSteps, storms] = process.argv.slice(2) as [string, string, string, string, string];
const results: StormResult[] = [];
for (let s = 0; s < Number(storms); s++) {
  const db = await open(join(dir, `storm-${s}.db`));
  const result = await runStorm(db, { calls: Number(calls), seed: Number(seed) + s, prefix: `nc${s}`, slowSteps: Number(slowSteps) });
  results.push({ ...result, mismatches: result.mismatches.slice(0, 20) });
  await db.close();
}
const cases: Record<string, CaseResult | { error: string }> = {};
for (const [name, run] of Object.entries(CASES)) {
  const db = await open(join(dir, `case-${name}.db`));
  try {
    cases[name] = await run(db, `nc_${name}`);
  } catch (err) {
    cases[name] = { error: String((err as Error)?.stack ?? err) };
  }
  await db.close();
}
process.stdout.write(`${JSON.stringify({ storms: results, cases, companion: process.env['RAPSQLITE_NO_COMPANION'] !== '1' })}\n`);
