import { ErrorCodes, open } from '@rapsqlite/engine';
import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';

// Imports the built package through its `exports` map (run `build` first; nx does), so packaging mistakes fail here.
describe('@rapsqlite/http as published', () => {
  it('exposes its API from the package entry point', async () => {
    const pkg = await import('@rapsqlite/http');
    expect(Object.keys(pkg).sort()).toEqual(['DEFAULT_ERROR_STATUSES', 'errorStatus', 'gracefulShutdown', 'isHandle', 'resolveErrorStatuses']);
    const db = await open(':memory:');
    expect(pkg.isHandle(db)).toBe(true);
    const unique = await db.exec('CREATE TABLE t (x UNIQUE); INSERT INTO t VALUES (1); INSERT INTO t VALUES (1)').catch((err: unknown) => err);
    expect(pkg.errorStatus(unique)).toBe(409);
    expect(() => pkg.resolveErrorStatuses({ SQLITE_BUSY: 200 }, 'statuses')).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT }));
    await pkg.gracefulShutdown(createServer(), db, { exit: false, signals: [] }).shutdown();
    expect(db.closed).toBe(true);
  });
});
