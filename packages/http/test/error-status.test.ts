import { ErrorCodes, open, RapsqliteError } from '@rapsqlite/engine';
import { createPool, PoolErrorCodes } from '@rapsqlite/pool';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ERROR_STATUSES, errorStatus, resolveErrorStatuses } from '../src/index.ts';
import { defer, tempFile } from './helpers.ts';

const SLOW = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 50000000) SELECT count(*) AS n FROM c';

/** The error a promise rejects with (fails the test if it resolves). */
async function failure(promise: Promise<unknown>): Promise<RapsqliteError> {
  try {
    await promise;
  } catch (err) {
    return err as RapsqliteError;
  }
  throw new Error('expected a rejection');
}

describe('errorStatus()', () => {
  it('looks up the exact code first, then the primary code', () => {
    const unique = new RapsqliteError('SQLITE_CONSTRAINT_UNIQUE', 'UNIQUE constraint failed');
    expect(errorStatus(unique)).toBe(409);
    expect(errorStatus(unique, { ...DEFAULT_ERROR_STATUSES, SQLITE_CONSTRAINT_UNIQUE: 422 })).toBe(422);
    expect(errorStatus(new RapsqliteError('SQLITE_BUSY_SNAPSHOT', 'busy'))).toBe(503);
    expect(errorStatus(new RapsqliteError(PoolErrorCodes.QUEUE_FULL, 'full'))).toBe(503);
    expect(errorStatus(new RapsqliteError(ErrorCodes.INTERNAL, 'oops'))).toBeUndefined();
    expect(errorStatus(new Error('plain'))).toBeUndefined();
    expect(errorStatus('SQLITE_BUSY')).toBeUndefined();
    expect(errorStatus(null)).toBeUndefined();
  });

  it('does not read inherited keys of the table as statuses', () => {
    expect(errorStatus({ code: 'toString' })).toBeUndefined();
    expect(errorStatus({ code: 'constructor', primaryCode: 'hasOwnProperty' })).toBeUndefined();
  });

  it('maps the errors a real database and pool raise: constraint 409, busy 503, closed 503, timeout 504, queue full 503', async () => {
    const path = tempFile();
    const db = await open(path, { busyTimeoutMs: 0 });
    defer(() => db.close());
    await db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, team INTEGER REFERENCES teams(id)); CREATE TABLE teams (id INTEGER PRIMARY KEY)');
    await db.run("INSERT INTO users (email) VALUES ('ada@example.com')");

    const unique = await failure(db.run("INSERT INTO users (email) VALUES ('ada@example.com')"));
    expect(unique.code).toBe('SQLITE_CONSTRAINT_UNIQUE');
    expect(errorStatus(unique)).toBe(409);
    await db.exec('PRAGMA foreign_keys = ON');
    const foreignKey = await failure(db.run('INSERT INTO users (email, team) VALUES (?, ?)', ['bob@example.com', 7]));
    expect(foreignKey.code).toBe('SQLITE_CONSTRAINT_FOREIGNKEY');
    expect(errorStatus(foreignKey)).toBe(409);

    const timeout = await failure(db.get(SLOW, [], { timeoutMs: 30 }));
    expect(timeout.code).toBe(ErrorCodes.TIMEOUT);
    expect(errorStatus(timeout)).toBe(504);

    // Another connection (as another process would) holds the write lock.
    const other = await open(path);
    let release!: () => void;
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holding = other.transaction(
      () => {
        locked();
        return new Promise<void>((resolve) => (release = resolve));
      },
      { mode: 'immediate' },
    );
    await isLocked;
    try {
      const busy = await failure(db.run("INSERT INTO users (email) VALUES ('eve@example.com')"));
      expect(busy.code).toMatch(/^SQLITE_BUSY/);
      expect(errorStatus(busy)).toBe(503);
    } finally {
      release();
      await holding;
      await other.close();
    }

    const closing = await open(':memory:');
    await closing.close();
    const closed = await failure(closing.get('SELECT 1'));
    expect(closed.code).toBe(ErrorCodes.CLOSED);
    expect(errorStatus(closed)).toBe(503);

    const pool = await createPool(tempFile('pool.db'), { maxQueue: 1 });
    defer(() => pool.close());
    await pool.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    let releaseWriter!: () => void;
    let writing!: () => void;
    const isWriting = new Promise<void>((resolve) => (writing = resolve));
    const writer = pool.transaction(async (tx) => {
      await tx.run('INSERT INTO t DEFAULT VALUES');
      writing();
      await new Promise<void>((resolve) => (releaseWriter = resolve));
    });
    await isWriting;
    const queued = pool.run('INSERT INTO t DEFAULT VALUES');
    const full = await failure(pool.run('INSERT INTO t DEFAULT VALUES'));
    expect(full.code).toBe(PoolErrorCodes.QUEUE_FULL);
    expect(errorStatus(full)).toBe(503);
    releaseWriter();
    await Promise.all([writer, queued]);
    expect(await pool.get('SELECT count(*) AS n FROM t')).toEqual({ n: 2 });
  });
});

describe('resolveErrorStatuses()', () => {
  it('gives the frozen defaults for undefined and true', () => {
    expect(resolveErrorStatuses(undefined, 'x')).toBe(DEFAULT_ERROR_STATUSES);
    expect(resolveErrorStatuses(true, 'x')).toBe(DEFAULT_ERROR_STATUSES);
    expect(Object.isFrozen(DEFAULT_ERROR_STATUSES)).toBe(true);
    expect(DEFAULT_ERROR_STATUSES).toEqual({
      SQLITE_CONSTRAINT: 409,
      SQLITE_BUSY: 503,
      ERR_RAPSQLITE_POOL_ACQUIRE_TIMEOUT: 503,
      ERR_RAPSQLITE_POOL_QUEUE_FULL: 503,
      ERR_RAPSQLITE_CLOSED: 503,
      ERR_RAPSQLITE_TIMEOUT: 504,
    });
  });

  it('merges a table over the defaults and freezes the result, leaving the defaults alone', () => {
    const table = resolveErrorStatuses({ SQLITE_CONSTRAINT_UNIQUE: 422, [ErrorCodes.INTEGER_OVERFLOW]: 422, SQLITE_BUSY: 429 }, 'x');
    expect(Object.isFrozen(table)).toBe(true);
    expect(table).toMatchObject({ SQLITE_CONSTRAINT: 409, SQLITE_CONSTRAINT_UNIQUE: 422, ERR_RAPSQLITE_INTEGER_OVERFLOW: 422, SQLITE_BUSY: 429 });
    expect(DEFAULT_ERROR_STATUSES['SQLITE_BUSY']).toBe(503);
    expect(errorStatus(new RapsqliteError('SQLITE_CONSTRAINT_UNIQUE', 'dup'), table)).toBe(422);
    expect(errorStatus(new RapsqliteError('SQLITE_CONSTRAINT_CHECK', 'check'), table)).toBe(409);
    expect(errorStatus(new RapsqliteError('SQLITE_BUSY_TIMEOUT', 'busy'), table)).toBe(429);
  });

  it.each([
    ['false', false],
    ['a string', 'yes'],
    ['an array', [409]],
    ['null', null],
    ['a status below 400', { SQLITE_BUSY: 302 }],
    ['a status above 599', { SQLITE_BUSY: 600 }],
    ['a fractional status', { SQLITE_BUSY: 503.5 }],
    ['a status as text', { SQLITE_BUSY: '503' }],
  ])('refuses %s with ERR_RAPSQLITE_INVALID_ARGUMENT, naming where', (_label, statuses) => {
    expect(() => resolveErrorStatuses(statuses, '@rapsqlite/x: `statuses`')).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT, message: expect.stringContaining('@rapsqlite/x: `statuses`') }),
    );
  });
});
