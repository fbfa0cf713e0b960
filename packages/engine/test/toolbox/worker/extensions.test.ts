import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadExtensions, refuseSqlExtensionLoading } from '../../../src/worker/tools/extensions.ts';
import { openRaw, tempFile } from '../driver-helpers.ts';

let library = '';

/** Builds the fixture extension with the C toolchain the native companion also needs (a missing one fails loudly). */
beforeAll(() => {
  const include = join(dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')), 'deps', 'sqlite3');
  const source = fileURLToPath(new URL('../fixtures/half.c', import.meta.url));
  const folder = mkdtempSync(join(tmpdir(), 'rapsqlite-ext-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  library = join(folder, 'half.so');
  execFileSync('cc', ['-shared', '-fPIC', '-O1', `-I${include}`, '-o', library, source]);
});

function caught(fn: () => unknown): { code?: string; message?: string } {
  try {
    fn();
  } catch (err) {
    return err as { code?: string };
  }
  throw new Error('expected a throw');
}

describe('extensions (worker tools over better-sqlite3)', () => {
  it('loads extensions by path with the default entry point, and by a named entry point', () => {
    const db = openRaw(':memory:');
    loadExtensions(db, [{ path: library }, { path: library, entryPoint: 'twice_init' }]);
    expect(db.prepare('SELECT half(9) AS h, twice(4) AS t').get()).toEqual({ h: 4.5, t: 8 });
  });

  it('fails with ERR_RAPSQLITE_EXTENSION_LOAD for a missing library or entry point, leaving the connection usable', () => {
    const db = openRaw(':memory:');
    expect(caught(() => loadExtensions(db, [{ path: join(dirname(library), 'missing.so') }])).code).toBe('ERR_RAPSQLITE_EXTENSION_LOAD');
    expect(caught(() => loadExtensions(db, [{ path: library, entryPoint: 'no_such_init' }])).code).toBe('ERR_RAPSQLITE_EXTENSION_LOAD');
    expect(db.prepare('SELECT 1 AS one').get()).toEqual({ one: 1 });
  });

  it("refuses SQL's load_extension() with ERR_RAPSQLITE_EXTENSION_DISABLED, even for a library that exists", () => {
    const db = openRaw(':memory:');
    // Without the replacement SQLite refuses too, but only as a generic SQLITE_ERROR ("not authorized").
    expect(caught(() => db.prepare('SELECT load_extension(?)').get(library)).code).toBe('SQLITE_ERROR');
    refuseSqlExtensionLoading(db);
    expect(caught(() => db.prepare('SELECT load_extension(?)').get(library)).code).toBe('ERR_RAPSQLITE_EXTENSION_DISABLED');
    expect(caught(() => db.prepare("SELECT load_extension(?, 'twice_init')").get(library)).code).toBe('ERR_RAPSQLITE_EXTENSION_DISABLED');
    expect(caught(() => db.prepare('SELECT half(2)').get()).code).toBe('SQLITE_ERROR');
    // The C-level loading of the extensions option still works next to the refusal.
    loadExtensions(db, [{ path: library }]);
    expect(db.prepare('SELECT half(3) AS h').get()).toEqual({ h: 1.5 });
  });

  it('refuses load_extension() from a view or trigger as well (the replacement is direct-only)', () => {
    const db = openRaw(tempFile());
    refuseSqlExtensionLoading(db);
    db.exec('CREATE TABLE t (x); CREATE VIEW v AS SELECT load_extension(x) FROM t');
    db.prepare('INSERT INTO t VALUES (?)').run(library);
    const err = caught(() => db.prepare('SELECT * FROM v').all());
    expect(['SQLITE_ERROR', 'ERR_RAPSQLITE_EXTENSION_DISABLED']).toContain(err.code);
    expect(() => db.prepare('SELECT half(1)').get()).toThrow();
  });
});
