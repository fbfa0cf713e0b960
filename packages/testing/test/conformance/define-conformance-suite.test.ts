import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { open, type Middleware } from '@rapsqlite/engine';
import { join } from 'node:path';
import { CONFORMANCE_GROUPS, defineConformanceSuite, type ConformanceFactory } from '../../src/index.ts';
import { tempDir } from '../helpers.ts';

interface Registered {
  readonly path: string;
  readonly skipped: boolean;
  readonly body: () => Promise<void>;
}

/** A fake runner that collects what the suite registers. */
function collect(factory: ConformanceFactory, skip?: readonly string[]): Registered[] {
  const registered: Registered[] = [];
  const stack: string[] = [];
  const it = Object.assign((name: string, body: () => Promise<void>) => registered.push({ path: [...stack, name].join(' > '), skipped: false, body }), {
    skip: (name: string, body: () => Promise<void>) => registered.push({ path: [...stack, name].join(' > '), skipped: true, body }),
  });
  const describe = (name: string, body: () => void) => {
    stack.push(name);
    body();
    stack.pop();
  };
  defineConformanceSuite('fake', factory, { describe, it, ...(skip === undefined ? {} : { skip }) });
  return registered;
}

const engine: ConformanceFactory = (dir) => open(join(dir, 'suite.db'));

describe('defineConformanceSuite', () => {
  it('registers every group under one describe', () => {
    const registered = collect(engine);
    expect(registered.length).toBeGreaterThan(50);
    for (const group of CONFORMANCE_GROUPS) {
      expect(registered.some((r) => r.path.startsWith(`rapsqlite conformance: fake > ${group} > `))).toBe(true);
    }
    expect(registered.every((r) => !r.skipped)).toBe(true);
  });

  it('skips groups and single checks through it.skip', () => {
    const registered = collect(engine, ['streaming', 'results > keeps the last of duplicate column names']);
    const skipped = registered.filter((r) => r.skipped).map((r) => r.path);
    expect(skipped.length).toBeGreaterThan(1);
    expect(skipped.every((p) => p.includes('> streaming >') || p.endsWith('keeps the last of duplicate column names'))).toBe(true);
  });

  it('refuses to run without a runner or a factory', () => {
    expect(() => defineConformanceSuite('x', engine, {} as never)).toThrow(expect.objectContaining({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' }));
    expect(() => defineConformanceSuite('x', undefined as never, { describe: () => undefined, it: () => undefined })).toThrow(expect.objectContaining({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' }));
  });

  it('catches a handle that does not conform', async () => {
    // A middleware that loses the first row of every result: a plausible bug in an adapter.
    const lossy: Middleware = {
      name: 'lossy',
      wrap: (next) => async (op) => {
        const result = await next(op);
        return op.kind === 'all' && Array.isArray(result) ? result.slice(1) : result;
      },
    };
    const registered = collect((dir) => open(join(dir, 'lossy.db'), { middleware: [lossy] }));
    const check = registered.find((r) => r.path.endsWith('returns every row from all, in order, and an empty array for no rows'));
    await expect(check?.body()).rejects.toMatchObject({ code: 'ERR_ASSERTION' });
  });

  it('removes its temporary folder after each check, also when the check fails', async () => {
    const dirs: string[] = [];
    const registered = collect(async (dir) => {
      dirs.push(dir);
      return open(join(dir, 'suite.db'));
    });
    const { existsSync } = await import('node:fs');
    await registered.find((r) => r.path.endsWith('accepts a synchronous callback'))?.body();
    const failing = collect(async (dir) => {
      dirs.push(dir);
      const db = await open(join(dir, 'suite.db'));
      return Object.assign(Object.create(db) as typeof db, { get: () => Promise.resolve('wrong') });
    });
    await expect(failing.find((r) => r.path.endsWith('returns the first row from get, or undefined when there is none'))?.body()).rejects.toThrow();
    expect(dirs).toHaveLength(2);
    for (const dir of dirs) expect(existsSync(dir)).toBe(false);
  });

  it('runs under node:test as well', () => {
    const fixture = fileURLToPath(new URL('./node-runner.fixture.ts', import.meta.url));
    // --test-isolation=none: Node 24's per-file child processes get execArgv flags that worker threads refuse
    // (ERR_WORKER_INVALID_EXEC_ARGV), so the engine cannot start its worker there; see docs/testing.md.
    // Node 22 names the flag --experimental-test-isolation.
    const isolation = Number(process.versions.node.split('.')[0]) >= 23 ? '--test-isolation=none' : '--experimental-test-isolation=none';
    const result = spawnSync(process.execPath, ['--test', isolation, '--test-reporter=tap', fixture], {
      cwd: tempDir(),
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    expect(result.stderr).not.toMatch(/Error/);
    expect(result.stdout).toMatch(/# fail 0/);
    expect(result.stdout).toMatch(/# pass [1-9]/);
    expect(result.status).toBe(0);
  });
});
