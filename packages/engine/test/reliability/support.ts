/**
 * Shared pieces of the reliability suite: sizing (a fast subset inside `npm test`, everything scaled up with
 * `RAPSQLITE_RELIABILITY=full`), seeded randomness (a failing run can be replayed with `RAPSQLITE_RELIABILITY_SEED`),
 * one summary line per check, and child processes that talk to the test over their stdout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** True for `RAPSQLITE_RELIABILITY=full` (`npm run test:reliability`): more runs, bigger storms. */
export const FULL = process.env['RAPSQLITE_RELIABILITY'] === 'full';

/** `fast` inside the normal test run, `full` with `RAPSQLITE_RELIABILITY=full`. */
export function scaled(fast: number, full: number): number {
  return FULL ? full : fast;
}

/** A test's time limit: generous, because the machines that run this are shared and slow, never a speed assertion. */
export function limit(fastMs: number, fullMs: number): number {
  return scaled(fastMs, fullMs);
}

/** The seed of this run: `RAPSQLITE_RELIABILITY_SEED` when set (to replay a failure), else a fresh one. */
export function seedFor(check: string): number {
  const given = process.env['RAPSQLITE_RELIABILITY_SEED'];
  if (given !== undefined && given !== '') return Number(given) >>> 0;
  let h = 2166136261;
  for (const ch of `${check}:${Date.now()}:${process.pid}:${Math.random()}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return h >>> 0;
}

/** A small seeded generator (mulberry32): the same seed gives the same storm, kill times and workloads. */
export class Random {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** One of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
}

/**
 * Prints the check's summary line (`[reliability] <check>: key=value …`), the figures that docs/reliability.md and
 * the issue quote. Printed whether the check passes or not, before its assertions.
 */
export function report(check: string, figures: Record<string, string | number | boolean>): void {
  const parts = Object.entries(figures).map(([k, v]) => `${k}=${v}`);
  console.log(`[reliability] ${check}: ${parts.join(' ')}`);
}

/** Open file descriptors of this process. */
export function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Threads of this process (the main thread, libuv's pool, V8's, and one per worker). */
export function threadCount(): number {
  return readdirSync('/proc/self/task').length;
}

/** Sleeps `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until `condition` holds, checking every few milliseconds; a bound on hangs, not a speed assertion. */
export async function until(condition: () => boolean, what: string, limitMs = 20_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > limitMs) throw new Error(`Timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** A child process of the suite, whose stdout is read line by line as it arrives. */
export class Child {
  readonly process: ChildProcess;
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #partial = '';
  #stderr = '';
  #waiters: Array<() => void> = [];

  constructor(process: ChildProcess) {
    this.process = process;
    process.stdout!.setEncoding('utf8');
    process.stdout!.on('data', (data: string) => {
      const text = this.#partial + data;
      const cut = text.lastIndexOf('\n');
      if (cut === -1) {
        this.#partial = text;
        return;
      }
      this.#partial = text.slice(cut + 1);
      for (const line of text.slice(0, cut).split('\n')) this.lines.push(line);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    process.stderr!.setEncoding('utf8');
    process.stderr!.on('data', (data: string) => {
      // Node's own warnings are not the child's business; keep the rest to explain a failure.
      if (this.#stderr.length < 20_000) this.#stderr += data;
    });
    this.exited = new Promise((resolve) => {
      // 'close' comes after stdout has been read to its end, so every line the child wrote is in `lines` by then.
      process.once('close', (code, signal) => {
        for (const wake of this.#waiters.splice(0)) wake();
        resolve({ code, signal });
      });
    });
  }

  /** What the child wrote on stderr (for failure messages), without Node's experimental-feature warnings. */
  get stderr(): string {
    return this.#stderr
      .split('\n')
      .filter((line) => !/ExperimentalWarning|--trace-warnings|Type Stripping/.test(line))
      .join('\n')
      .trim();
  }

  /** Resolves once a line satisfying `test` has arrived (or rejects when the child exits first, or after `limitMs`). */
  async waitForLine(test: (line: string) => boolean, what: string, limitMs = 60_000): Promise<string> {
    const start = Date.now();
    let exited = false;
    void this.exited.then(() => (exited = true));
    for (;;) {
      const found = this.lines.find(test);
      if (found !== undefined) return found;
      if (exited) throw new Error(`The child exited before ${what}: ${this.stderr}`);
      if (Date.now() - start > limitMs) throw new Error(`Timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  /** SIGKILLs the child (a no-op once it has exited). */
  kill(): void {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGKILL');
  }
}

/** Every child started by {@link spawnChild}, so that a failing test never leaves one running. */
const children = new Set<Child>();

/** Kills every child still running (for `afterEach`). */
export async function killChildren(): Promise<void> {
  const running = [...children];
  children.clear();
  for (const child of running) child.kill();
  await Promise.all(running.map((child) => child.exited));
}

export interface SpawnOptions {
  readonly env?: Record<string, string>;
  readonly nodeFlags?: readonly string[];
}

/**
 * Starts `script` (a TypeScript file run by Node's type stripping, as the engine's own sources are in tests) in a
 * new Node process of the same version as the test runner.
 */
export function spawnChild(script: URL, args: readonly string[], options: SpawnOptions = {}): Child {
  const flags = ['--disable-warning=ExperimentalWarning', ...(options.nodeFlags ?? [])];
  const proc = spawn(process.execPath, [...flags, fileURLToPath(script), ...args], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const child = new Child(proc);
  children.add(child);
  void child.exited.then(() => children.delete(child));
  return child;
}

/** Runs `script` to its end and parses the JSON object it prints as its last line. */
export async function runChild<T>(script: URL, args: readonly string[], options: SpawnOptions = {}): Promise<T> {
  const child = spawnChild(script, args, options);
  const { code, signal } = await child.exited;
  const last = child.lines.filter((line) => line.startsWith('{')).at(-1);
  if (code !== 0 || last === undefined) {
    throw new Error(`${fileURLToPath(script)} exited with ${code ?? signal}: ${child.stderr || child.lines.slice(-5).join('\n')}`);
  }
  return JSON.parse(last) as T;
}
