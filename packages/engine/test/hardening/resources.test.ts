import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { open, type Middleware } from '../../src/index.ts';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.ts';

const run = promisify(execFile);
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

describe('resources', () => {
  it('keeps the caller\'s memory for result shapes bounded over many distinct column lists (defect 4)', async () => {
    const { stdout } = await run(process.execPath, ['--expose-gc', fixture('distinct-shapes.ts'), '30000'], { timeout: 120_000 });
    const { before, after, closed } = JSON.parse(stdout.trim().split('\n').pop() as string) as { before: number; after: number; closed: number };
    const mib = (bytes: number) => bytes / 2 ** 20;
    // Unbounded, 30 000 shapes held ~24 MiB of row factories; bounded, the table holds at most 1 024 of them.
    expect(mib(after - before)).toBeLessThan(8);
    expect(mib(closed - before)).toBeLessThan(4);
  }, 120_000);

  it.skipIf(!existsSync('/proc/self/task'))('closes the worker of an open() that fails on its middleware', async () => {
    const threads = () => readdirSync('/proc/self/task').length;
    const broken = { name: 'broken', wrap: () => undefined } as unknown as Middleware;
    const before = threads();
    for (let i = 0; i < 4; i++) {
      await expect(open(join(tempDir(), `broken-${i}.db`), { middleware: [broken] })).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_MIDDLEWARE' });
    }
    // A worker thread ends shortly after its close.
    for (let i = 0; i < 50 && threads() > before; i++) await sleep(100);
    expect(threads()).toBeLessThanOrEqual(before);
  });

  it.each([
    ['an in-memory database', ':memory:'],
    ['a file', 'file'],
  ])('lets the process exit when %s is opened and never queried (defect 8)', async (_label, target) => {
    const path = target === 'file' ? join(tempDir(), 'idle.db') : target;
    const { stdout } = await run(process.execPath, [fixture('idle-open.ts'), path], { timeout: 20_000 });
    expect(stdout.trim()).toBe('opened');
  }, 30_000);
});
