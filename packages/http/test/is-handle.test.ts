import { open } from '@rapsqlite/engine';
import { createPool } from '@rapsqlite/pool';
import { describe, expect, it } from 'vitest';
import { isHandle } from '../src/index.ts';
import { defer, tempFile } from './helpers.ts';

describe('isHandle()', () => {
  it('accepts a Database, a Pool, and a closed one (openness is for the caller to check)', async () => {
    const db = await open(':memory:');
    const pool = await createPool(tempFile());
    defer(() => pool.close());
    expect(isHandle(db)).toBe(true);
    expect(isHandle(pool)).toBe(true);
    expect(isHandle(db.with({ name: 'noop', wrap: (next) => next }))).toBe(true);
    await db.close();
    expect(isHandle(db)).toBe(true);
    expect(db.closed).toBe(true);
  });

  it('refuses what is not a handle: a transaction, a statement, plain values', async () => {
    await using db = await open(':memory:');
    await db.exec('CREATE TABLE t (x)');
    await db.transaction(async (tx) => {
      expect(isHandle(tx)).toBe(false);
    });
    const statement = await db.prepare('SELECT x FROM t');
    expect(isHandle(statement)).toBe(false);
    for (const value of [undefined, null, 0, 'shop.db', [], {}, { get() {}, close() {} }, () => undefined]) expect(isHandle(value)).toBe(false);
  });

  it('narrows to the Database type', async () => {
    await using db = await open(':memory:');
    const value: unknown = db;
    if (!isHandle(value)) throw new Error('not a handle');
    expect(await value.get<{ one: number }>('SELECT 1 AS one')).toEqual({ one: 1 });
  });
});
