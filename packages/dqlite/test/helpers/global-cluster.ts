import type { TestProject } from 'vitest/node';
import { startCluster } from './dqlite-cluster.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The database addresses of the shared three-node cluster. */
    dqliteNodes: string[];
  }
}

/** Starts the three-node cluster the test files share, and stops it after the run. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await startCluster(3);
  project.provide('dqliteNodes', [...cluster.addresses]);
  return () => cluster.stop();
}
