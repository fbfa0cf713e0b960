import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchConfig } from './config.ts';
import { DRIVERS } from './drivers/index.ts';
import { createCollector } from './memory.ts';
import { Peers } from './peers.ts';
import type { RoundResult } from './results.ts';
import { measureRound } from './runner.ts';
import type { IsolatedRunner } from './runner.ts';
import { WORKLOADS } from './workloads.ts';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

/** The flag that makes `main.ts` run one round as a child process. */
export const CHILD_FLAG = '--child-round';

/** What the parent asks a child to run. */
interface ChildRequest {
  readonly driver: string;
  readonly workload: string;
  readonly file: string;
  readonly config: BenchConfig;
  readonly warmup: boolean;
  readonly seed: number;
}

/**
 * Runs one round of `workload` for `slot`'s driver in a fresh Node process on the driver's own copy of the stream
 * table. Memory figures of a long-lived process shared by six drivers would partly show what the previous driver
 * left in the allocator; a fresh process starts clean, and only this driver's SQLite copy is loaded in it.
 */
export function createIsolatedRunner(config: BenchConfig): IsolatedRunner {
  return (slot, workload, warmup, seed) => {
    const request: ChildRequest = { driver: slot.entry.id, workload: workload.id, file: slot.streamFile, config, warmup, seed };
    return new Promise((resolve, reject) => {
      // No --expose-gc: a worker started with an explicit execArgv rejects it (memory.ts gets gc another way).
      const child = spawn(process.execPath, [MAIN, CHILD_FLAG, JSON.stringify(request)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', (code) => {
        const last = stdout.trim().split('\n').pop() ?? '';
        if (code !== 0 || !last.startsWith('{')) {
          const lines = stderr.trim().split('\n');
          const detail = lines.find((line) => /^\w*Error\b|^Error \[/.test(line)) ?? lines.filter((line) => line.trim() !== '').slice(-1)[0];
          reject(new Error(`child process exited with ${code}: ${detail || last}`));
          return;
        }
        resolve(JSON.parse(last) as RoundResult);
      });
    });
  };
}

/** The child's side: runs the requested round and prints its result as one JSON line. */
export async function runChild(json: string): Promise<void> {
  const request = JSON.parse(json) as ChildRequest;
  const entry = DRIVERS.find((d) => d.id === request.driver);
  const workload = WORKLOADS.find((w) => w.id === request.workload);
  if (entry === undefined || workload === undefined) throw new Error(`unknown driver or workload in ${json}`);
  const peers = new Peers({ allowInstall: false, log: (line) => process.stderr.write(`${line}\n`) });
  const loaded = await entry.load({ requirePeer: (name) => peers.require(name), peerVersion: (name) => peers.version(name) });
  const connection = await loaded.open(request.file);
  try {
    const { result } = await measureRound(workload, connection, {
      config: request.config,
      warmup: request.warmup,
      seed: request.seed,
      longQueryN: 0,
      collect: createCollector(),
    });
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    const closed = connection.close();
    if (closed instanceof Promise) await closed;
  }
}
