/**
 * The contention check shared by the engine's and the pool's suites: several writer processes on one file, one of
 * them SIGKILLed after it committed a third of its units, then the file audited against their merged ledgers.
 */
import { expect } from 'vitest';
import { audit, Ledger, sample, type AuditTarget } from './ledger.ts';
import { report, type Child, type Random } from './support.ts';

export interface Contender {
  readonly child: Child;
  readonly label: string;
}

export async function checkContention(check: string, contenders: readonly Contender[], units: number, random: Random, reopen: () => Promise<AuditTarget & { close(): Promise<void> }>, seed: number): Promise<void> {
  const victim = random.int(0, contenders.length - 1);
  const target = Math.floor(units / 3);
  const doomed = contenders[victim]!.child;
  await doomed.waitForLine(() => doomed.lines.filter((l) => l.startsWith('A ')).length >= target, `contender ${victim} to commit ${target} units`, 120_000);
  doomed.kill();
  const exits = await Promise.all(contenders.map((c) => c.child.exited));
  const ledger = new Ledger();
  for (const [p, { child }] of contenders.entries()) {
    ledger.add(child.lines);
    if (p === victim) {
      expect(exits[p]!.signal).toBe('SIGKILL');
    } else {
      expect(exits[p]!.code, child.stderr).toBe(0);
      expect(child.lines.at(-1)).toBe('DONE');
    }
  }
  const db = await reopen();
  try {
    const result = await audit(db, ledger);
    const gaveUp = [...ledger.failed].filter(([, code]) => code.startsWith('SQLITE_BUSY')).length;
    report(check, {
      processes: contenders.map((c) => c.label).join('+'),
      unitsPerProcess: units,
      killed: contenders[victim]!.label,
      acknowledged: ledger.acked.size,
      busyRetries: ledger.retries,
      gaveUp,
      otherFailures: ledger.failed.size - gaveUp,
      lost: result.lost.length,
      duplicated: result.duplicated.length,
      partial: result.partial.length,
      phantom: result.phantom.length,
      integrity: result.integrity,
      seed,
    });
    expect(result.integrity).toBe('ok');
    expect(result.lost, `lost ${sample(result.lost)}`).toEqual([]);
    expect(result.duplicated, `duplicated ${sample(result.duplicated)}`).toEqual([]);
    expect(result.partial, `half applied ${sample(result.partial)}`).toEqual([]);
    expect(result.phantom, `never issued ${sample(result.phantom)}`).toEqual([]);
    // Only SQLITE_BUSY* may reject a unit here (and only after many retries); such a unit left nothing behind.
    expect([...ledger.failed].filter(([, code]) => !code.startsWith('SQLITE_BUSY'))).toEqual([]);
    const failedPresent = (await db.all<{ unit: number }>('SELECT DISTINCT unit FROM t')).filter((r) => ledger.failed.has(r.unit));
    expect(failedPresent).toEqual([]);
    // The survivors finished every unit: the killed process's lock did not outlive it.
    for (const [p, { child }] of contenders.entries()) {
      if (p === victim) continue;
      expect(child.lines.filter((l) => l.startsWith('A ') || l.startsWith('F ')).length).toBe(units);
    }
  } finally {
    await db.close();
  }
}
