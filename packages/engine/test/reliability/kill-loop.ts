/**
 * The kill -9 loop shared by the engine's and the pool's durability tests: start a writer child on one file, let it
 * commit for a random while (now and then kill it while it is still opening the file), SIGKILL it, and gather what
 * it reported. The caller then reopens the file and audits it against the ledger.
 */
import { expect } from 'vitest';
import { Ledger, sample, type Audit, type KillLoopResult } from './ledger.ts';
import { type Random, report, sleep, scaled, spawnChild } from './support.ts';

export interface KillLoopOptions {
  readonly writer: URL;
  readonly path: string;
  readonly synchronous: string;
  readonly runs: number;
  readonly random: Random;
}

export async function killLoop(options: KillLoopOptions): Promise<KillLoopResult> {
  const { random } = options;
  const ledger = new Ledger();
  let killedBeforeReady = 0;
  const unexpectedExits: string[] = [];
  for (let run = 0; run < options.runs; run++) {
    const lanes = random.int(1, 6);
    const child = spawnChild(options.writer, [options.path, options.synchronous, String(run * 1_000_000 + 1), String(lanes), String(random.int(1, 2 ** 30))]);
    if (run > 0 && random.chance(0.2)) {
      // Killed during open: WAL recovery, pragmas, CREATE TABLE IF NOT EXISTS.
      await sleep(random.int(0, 250));
    } else {
      await child.waitForLine((line) => line === 'READY', 'the writer to open its database');
      // From its first acknowledged commit on, so that every run kills a writer in full flow.
      await child.waitForLine((line) => line.startsWith('A '), 'the first acknowledged commit');
      await sleep(random.int(0, scaled(300, 1200)));
    }
    child.kill();
    const { signal, code } = await child.exited;
    if (signal !== 'SIGKILL') unexpectedExits.push(`run ${run}: exit ${code ?? signal}: ${child.stderr}`);
    if (!child.lines.includes('READY')) killedBeforeReady++;
    ledger.add(child.lines);
  }
  return { ledger, runs: options.runs, killedBeforeReady, unexpectedExits };
}

/** Prints the summary line of a kill -9 check. */
export function reportAudit(check: string, loop: KillLoopResult, result: Audit, seed: number): void {
  report(check, {
    runs: loop.runs,
    killedBeforeReady: loop.killedBeforeReady,
    acknowledged: loop.ledger.acked.size,
    inFlightAtKill: result.inFlight,
    inFlightApplied: result.inFlightApplied,
    lost: result.lost.length,
    phantom: result.phantom.length,
    partial: result.partial.length,
    duplicated: result.duplicated.length,
    integrity: result.integrity,
    seed,
  });
}

/** The durability promise: an intact file holding every acknowledged unit once, and nothing else but whole units. */
export function expectDurable(loop: KillLoopResult, result: Audit): void {
  expect(result.integrity).toBe('ok');
  expect(loop.ledger.acked.size).toBeGreaterThan(0);
  expect(result.lost, `lost acknowledged commits ${sample(result.lost)}`).toEqual([]);
  expect(result.phantom, `units never issued ${sample(result.phantom)}`).toEqual([]);
  expect(result.partial, `half-applied units ${sample(result.partial)}`).toEqual([]);
  expect(result.duplicated, `duplicated units ${sample(result.duplicated)}`).toEqual([]);
  // A writer that is killed reports nothing else: every rejection seen before the kill is a defect.
  expect([...loop.ledger.failed], 'rejected writes').toEqual([]);
}
