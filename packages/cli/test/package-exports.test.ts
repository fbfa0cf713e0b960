import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers.ts';

// Imports the built package through its `exports` map (run `build` first; nx does), so packaging mistakes fail here.
describe('@rapsqlite/cli as published', () => {
  it('exposes runCli and the exit codes, and runs in-process', async () => {
    const pkg = await import('@rapsqlite/cli');
    expect(Object.keys(pkg).sort()).toEqual(['EXIT_CODES', 'runCli']);
    expect(pkg.EXIT_CODES).toEqual({ OK: 0, FAILURE: 1, USAGE: 2, NOT_FOUND: 3, BUSY: 4, CHECK_FAILED: 5, EXISTS: 6, INTERRUPTED: 130 });
    let out = '';
    let err = '';
    const io = { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, cwd: tempDir() };
    expect(await pkg.runCli(['info', 'missing.db'], io)).toBe(3);
    expect(err).toContain('No such database file');
    expect(await pkg.runCli(['--version'], io)).toBe(0);
    expect(out).toBe('0.1.0\n');
  });
});
