import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

// Imports the built package through its `exports` map (run `build` first; nx does), so packaging mistakes fail here.
// In a plain Node process: the test runner's own module graph would give import() a second copy of the module.
const SCRIPT = `
import { createRequire } from 'node:module';
const pkg = await import('@rapsqlite/sqlite3');
const required = createRequire(process.cwd() + '/')('@rapsqlite/sqlite3');
const db = new required.Database(':memory:');
db.all('SELECT 1 AS one', (err, rows) => {
  db.close();
  process.stdout.write(JSON.stringify({
    same: required === pkg.default,
    verbose: pkg.default.verbose() === required,
    database: pkg.Database === required.Database,
    named: Object.keys(pkg).filter((k) => !(k in required)).sort(),
    missing: Object.keys(required).filter((k) => !(k in pkg)),
    codes: pkg.Sqlite3ErrorCodes,
    rows: err ? err.code : rows,
  }));
});
`;

describe('@rapsqlite/sqlite3 as published', () => {
  it('gives import and require one and the same module object, with every export', async () => {
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--input-type=module', '-e', SCRIPT], { cwd: PACKAGE_DIR, timeout: 30_000 }, (error, out, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(out),
      ),
    );
    expect(JSON.parse(stdout)).toEqual({
      same: true,
      verbose: true,
      database: true,
      named: ['Sqlite3ErrorCodes', 'default', 'module.exports'],
      missing: [],
      codes: { UNSUPPORTED: 'ERR_RAPSQLITE_SQLITE3_UNSUPPORTED' },
      rows: [{ one: 1 }],
    });
  });
});
