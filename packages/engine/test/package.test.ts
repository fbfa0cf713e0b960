import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

describe('the published package', () => {
  it('is importable through its exports map from the built dist, worker included', () => {
    const script = `
      import { open, ErrorCodes } from '@rapsqlite/engine';
      const db = await open(':memory:');
      const row = await db.get('SELECT ? AS v', [41 + 1]);
      await db.close();
      console.log(JSON.stringify({ row, closed: ErrorCodes.CLOSED }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: packageDir, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ row: { v: 42 }, closed: 'ERR_RAPSQLITE_CLOSED' });
  });

  it('does not expose internals through the exports map', () => {
    const script = `import('@rapsqlite/engine/dist/internal/connection.js').then(() => console.log('exposed'), (e) => console.log(e.code));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: packageDir, encoding: 'utf8' });
    expect(out.trim()).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });
});

describe('process flags', () => {
  it('starts workers when Node runs with per-process flags such as --expose-gc', () => {
    const script = `
      import { open } from '@rapsqlite/engine';
      const db = await open(':memory:');
      console.log(JSON.stringify(await db.get('SELECT 1 AS ok')));
      await db.close();
    `;
    const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { cwd: packageDir, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ ok: 1 });
  });
});
