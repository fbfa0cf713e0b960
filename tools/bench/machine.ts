import { availableParallelism, cpus, loadavg, release, totalmem, type, arch } from 'node:os';
import type { MachineInfo } from './results.ts';

/** Describes the machine and the Node runtime, printed at the top of every report. */
export function describeMachine(): MachineInfo {
  const cpuList = cpus();
  return {
    cpu: cpuList[0]?.model.trim() ?? 'unknown CPU',
    cores: availableParallelism(),
    memoryGiB: totalmem() / 1024 ** 3,
    os: `${type()} ${release()} ${arch()}`,
    node: process.version,
    v8: process.versions.v8,
    loadAverageStart: loadavg(),
  };
}
