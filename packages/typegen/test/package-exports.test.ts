import { describe, expect, it } from 'vitest';
import { openTemp } from './helpers.ts';

// Imports the built package through its `exports` map (run `build` first; nx does), so packaging mistakes fail here.
describe('@rapsqlite/typegen as published', () => {
  it('exposes its API from the package entry point', async () => {
    const pkg = await import('@rapsqlite/typegen');
    expect(Object.keys(pkg).sort()).toEqual(['columnType', 'detectIntegerMode', 'generateTypes']);
    const db = await openTemp();
    await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    expect(await pkg.generateTypes(db)).toContain('export interface TRow {\n  /** INTEGER rowid */\n  id: number;\n}');
  });
});
