import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as source from '../src/index.ts';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** Runs an ES module script with plain Node in the package folder, so imports resolve as a user's would. */
function run(script: string): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: packageDir, encoding: 'utf8' }).trim();
}

describe('the published package', () => {
  it('exposes the source index through its exports map, from the built dist', () => {
    const out = run(`const m = await import('@rapsqlite/otel'); console.log(JSON.stringify(Object.keys(m).sort()));`);
    expect(JSON.parse(out)).toEqual(Object.keys(source).sort());
  });

  it('does not expose internals through the exports map', () => {
    const out = run(`import('@rapsqlite/otel/dist/internal/sql-info.js').then(() => console.log('exposed'), (e) => console.log(e.code));`);
    expect(out).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });
});

describe('the version', () => {
  it('reports the version of package.json to tracers and meters', async () => {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
    expect(source.INSTRUMENTATION_VERSION).toBe(pkg.version);
    expect(source.INSTRUMENTATION_NAME).toBe(pkg.name);
  });
});
