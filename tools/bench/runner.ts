import { performance } from 'node:perf_hooks';
import type { BenchConfig } from './config.ts';
import { isPromise } from './drivers/driver.ts';
import type { DriverConnection, DriverEntry } from './drivers/driver.ts';
import { LoopProbe } from './loop-probe.ts';
import { MemoryTracker } from './memory.ts';
import type { Collect } from './memory.ts';
import { aggregate, withBaselineRatios } from './results.ts';
import type { DriverResult, RoundResult, WorkloadResult } from './results.ts';
import { createRandom } from './schema.ts';
import { LatencyRecorder } from './stats.ts';
import type { Workload } from './workloads.ts';

/** An open driver taking part in the run. */
export interface DriverSlot {
  readonly entry: DriverEntry;
  readonly connection: DriverConnection;
  /** The driver's own copy of the `stream` template, opened only by isolated child processes. */
  readonly streamFile: string;
}

/** Runs one round in another process and returns its result (see `isolated.ts`). */
export type IsolatedRunner = (slot: DriverSlot, workload: Workload, warmup: boolean, seed: number) => Promise<RoundResult>;

/** Everything a workload run needs besides the workload. */
export interface RunEnvironment {
  readonly config: BenchConfig;
  readonly collect: Collect;
  readonly longQueryN: number;
  readonly baseline: string;
  readonly runIsolated: IsolatedRunner;
  readonly progress: (line: string) => void;
}

/** The seed of one round of one workload: the same for every driver in that round. */
export function roundSeed(workloadId: string, round: number): number {
  let hash = 2166136261;
  for (const char of workloadId) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619);
  return (hash ^ Math.imul(round + 1, 2654435761)) >>> 0;
}

/** Runs one round in this process, watching the event loop (and memory, when the workload asks). */
export async function measureRound(
  workload: Workload,
  connection: DriverConnection,
  options: { readonly config: BenchConfig; readonly warmup: boolean; readonly seed: number; readonly longQueryN: number; readonly collect: Collect },
): Promise<{ readonly result: RoundResult; readonly latencies: Float64Array }> {
  options.collect();
  const latencies = new LatencyRecorder();
  const memory = workload.memory === true ? new MemoryTracker(options.collect) : undefined;
  const probe = new LoopProbe();
  const timed = workload.plan({
    config: options.config,
    warmup: options.warmup,
    random: createRandom(options.seed),
    latencies,
    memory,
    longQueryN: options.longQueryN,
  });
  memory?.start();
  await probe.start();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const outcome = await timed(connection);
  const ended = performance.now();
  const cpu = process.cpuUsage(cpuBefore);
  const loop = await probe.stop(ended);
  const growth = memory?.stop();
  const result: RoundResult = {
    ops: outcome.ops,
    ...(outcome.rows === undefined ? {} : { rows: outcome.rows }),
    elapsedMs: ended - started,
    cpuMs: (cpu.user + cpu.system) / 1000,
    loop,
    ...(growth === undefined ? {} : { memory: growth }),
    ...(outcome.returnedPromise === undefined ? {} : { returnedPromise: outcome.returnedPromise }),
  };
  return { result, latencies: latencies.values() };
}

function rotate<T>(items: readonly T[], by: number): T[] {
  if (items.length === 0) return [];
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${(error as { code?: string }).code ?? error.name}: ${error.message.split('\n')[0]}` : String(error);
}

async function settle(value: unknown): Promise<void> {
  if (isPromise(value)) await value;
}

/**
 * Runs one workload on every driver. Drivers take turns round by round, in an order rotated each round, so that a
 * noisy moment of the machine is shared rather than landing on one driver's rounds.
 */
export async function runWorkload(workload: Workload, slots: readonly DriverSlot[], env: RunEnvironment): Promise<WorkloadResult> {
  const { config } = env;
  const rounds = workload.rounds?.(config) ?? config.rounds;
  const warmups = workload.warmupRounds?.(config) ?? config.warmupRounds;
  const failures = new Map<string, string>();
  const timed = new Map<string, RoundResult[]>();
  const latencies = new Map<string, Float64Array[]>();
  const applicable = slots.filter((slot) => workload.requires !== 'iterate' || slot.connection.iterate !== undefined);

  const once = async (slot: DriverSlot, round: number, warmup: boolean): Promise<void> => {
    const id = slot.entry.id;
    if (failures.has(id)) return;
    const seed = roundSeed(workload.id, warmup ? 1000 + round : round);
    try {
      let result: RoundResult;
      let recorded: Float64Array | undefined;
      if (workload.isolated === true) {
        result = await env.runIsolated(slot, workload, warmup, seed);
      } else {
        const measured = await measureRound(workload, slot.connection, { config, warmup, seed, longQueryN: env.longQueryN, collect: env.collect });
        result = measured.result;
        recorded = measured.latencies;
      }
      if (!warmup) {
        timed.set(id, [...(timed.get(id) ?? []), result]);
        if (recorded !== undefined && recorded.length > 0) latencies.set(id, [...(latencies.get(id) ?? []), Float64Array.from(recorded)]);
      }
    } catch (error) {
      failures.set(id, describeError(error));
      env.progress(`  ${workload.id}: ${slot.entry.label} failed: ${describeError(error)}`);
      try {
        await settle(slot.connection.exec('ROLLBACK'));
      } catch {
        // No transaction was left open.
      }
    } finally {
      const quiesce = slot.connection.quiesce;
      if (quiesce !== undefined && workload.isolated !== true) await settle(quiesce());
      if (workload.cleanup !== undefined) await workload.cleanup(slot.connection).catch(() => undefined);
    }
  };

  for (let w = 0; w < warmups; w++) for (const slot of rotate(applicable, w)) await once(slot, w, true);
  for (let r = 0; r < rounds; r++) {
    for (const slot of rotate(applicable, r)) await once(slot, r, false);
  }

  const results: DriverResult[] = slots.map((slot) => {
    const id = slot.entry.id;
    if (!applicable.includes(slot)) return { driver: id, status: 'n/a', reason: 'no streaming API' };
    const failure = failures.get(id);
    if (failure !== undefined) return { driver: id, status: 'error', reason: failure };
    const parts = latencies.get(id) ?? [];
    const total = parts.reduce((n, part) => n + part.length, 0);
    const pooled = new Float64Array(total);
    let offset = 0;
    for (const part of parts) {
      pooled.set(part, offset);
      offset += part.length;
    }
    return aggregate(id, timed.get(id) ?? [], workload.latency ? pooled : undefined);
  });
  return {
    id: workload.id,
    description: workload.describe(config),
    unit: workload.unit,
    latency: workload.latency,
    results: withBaselineRatios(results, env.baseline),
  };
}
