import { describe, expect, it } from 'vitest';
import { open } from '@rapsqlite/engine';
import { drizzle, type RapsqliteClient } from '../src/index.ts';

describe('drizzle() options', () => {
  it('refuses a client that is not a rapsqlite handle, unknown options and a bad integer mode', async () => {
    await using client = await open(':memory:');
    const invalid = expect.objectContaining({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
    expect(() => drizzle('app.db' as unknown as RapsqliteClient)).toThrow(invalid);
    expect(() => drizzle(client, { connection: 'x' } as never)).toThrow(invalid);
    expect(() => drizzle(client, { integers: 'big' } as never)).toThrow(invalid);
    expect(drizzle(client, { logger: false }).$client).toBe(client);
  });
});
