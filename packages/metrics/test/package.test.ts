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
    const out = run(`const m = await import('@rapsqlite/metrics'); console.log(JSON.stringify(Object.keys(m).sort()));`);
    expect(JSON.parse(out)).toEqual(Object.keys(source).sort());
  });

  it('does not expose internals through the exports map', () => {
    const out = run(`import('@rapsqlite/metrics/dist/internal/sql-info.js').then(() => console.log('exposed'), (e) => console.log(e.code));`);
    expect(out).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });
});

describe('the optional peers', () => {
  it('loads without prom-client or hot-shots being imported until a feature needs them', () => {
    const out = run(
      "const m = await import('@rapsqlite/metrics'); m.queryStats(); m.slowQuery({ thresholdMs: 0, onSlow() {} }); const { createRequire } = await import('node:module'); const cache = Object.keys(createRequire(import.meta.url).cache); console.log(JSON.stringify(cache.filter((p) => /prom-client|hot-shots/.test(p)).length));",
    );
    expect(out).toBe('0');
  });
});
