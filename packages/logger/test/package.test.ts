import { open } from '@rapsqlite/engine';
import { describe, expect, it } from 'vitest';
import { memoryPino } from './helpers.ts';

// Imports the built package through its `exports` map (run `build` first; nx does), so packaging mistakes fail here.
describe('@rapsqlite/logger as published', () => {
  it('exposes its API from the package entry point', async () => {
    const pkg = await import('@rapsqlite/logger');
    expect(Object.keys(pkg).sort()).toEqual(['LOG_EVENTS', 'LOG_LEVELS', 'logger']);
    const { log, lines } = memoryPino('debug');
    await using db = await open(':memory:', { middleware: [pkg.logger({ logger: log })] });
    expect(await db.get('SELECT 1 AS one')).toEqual({ one: 1 });
    expect(lines).toHaveLength(1);
  });
});
