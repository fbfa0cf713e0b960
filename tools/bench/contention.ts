import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';

/** CPU-burning processes started for `--contended`, and how to stop them. */
export interface Burners {
  readonly count: number;
  stop(): void;
}

/**
 * Starts one CPU-burning process per core (a busy loop in a child Node process), so that the workloads run on a
 * machine that is busy the way a loaded server is: every thread hop competes for a core with a runnable process.
 * They are stopped by `stop()`, and killed with the bench if it exits first.
 */
export function startBurners(count = availableParallelism()): Burners {
  const children: ChildProcess[] = [];
  for (let i = 0; i < count; i++) {
    const child = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
    child.on('error', () => {});
    children.push(child);
  }
  const stop = (): void => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    process.off('exit', stop);
  };
  process.on('exit', stop);
  return { count, stop };
}
