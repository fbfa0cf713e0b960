import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const live = new Set<string>();
let hooked = false;

function removeLeftovers(): void {
  for (const dir of live) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Exiting anyway: a folder that cannot be removed is left to the OS's temp cleaner.
    }
  }
  live.clear();
}

/** Makes a temporary folder that is removed by {@link removeTempDir} or, failing that, when the process exits. */
export async function makeTempDir(prefix: string): Promise<string> {
  if (!hooked) {
    hooked = true;
    process.once('exit', removeLeftovers);
  }
  const dir = await mkdtemp(join(tmpdir(), prefix));
  live.add(dir);
  return dir;
}

/** Removes a temporary folder made by {@link makeTempDir}. */
export async function removeTempDir(dir: string): Promise<void> {
  live.delete(dir);
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}
