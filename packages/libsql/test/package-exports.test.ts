import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// Imports the built package through its `exports` map (run `build` first; nx does), so packaging mistakes fail here.
describe('@rapsqlite/libsql as published', () => {
  it('exposes its API from the package entry point', async () => {
    const pkg = await import('@rapsqlite/libsql');
    expect(Object.keys(pkg).sort()).toEqual(['LibsqlDatabase', 'LibsqlErrorCodes', 'openLibsql']);
    const dir = await mkdtemp(join(tmpdir(), 'rapsqlite-libsql-pkg-'));
    try {
      await using db = await pkg.openLibsql(`file:${join(dir, 'p.db')}`);
      expect(await db.get('SELECT 1 AS one')).toEqual({ one: 1 });
      expect(db).toBeInstanceOf(pkg.LibsqlDatabase);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
