import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { IMPLEMENTATIONS, openDb, closeDb, tempDir } from '../helpers.ts';

const CONSTANTS: Readonly<Record<string, number>> = {
  OPEN_READONLY: 1,
  OPEN_READWRITE: 2,
  OPEN_CREATE: 4,
  OPEN_FULLMUTEX: 65536,
  OPEN_URI: 64,
  OPEN_SHAREDCACHE: 131072,
  OPEN_PRIVATECACHE: 262144,
  OK: 0,
  ERROR: 1,
  INTERNAL: 2,
  PERM: 3,
  ABORT: 4,
  BUSY: 5,
  LOCKED: 6,
  NOMEM: 7,
  READONLY: 8,
  INTERRUPT: 9,
  IOERR: 10,
  CORRUPT: 11,
  NOTFOUND: 12,
  FULL: 13,
  CANTOPEN: 14,
  PROTOCOL: 15,
  EMPTY: 16,
  SCHEMA: 17,
  TOOBIG: 18,
  CONSTRAINT: 19,
  MISMATCH: 20,
  MISUSE: 21,
  NOLFS: 22,
  AUTH: 23,
  FORMAT: 24,
  RANGE: 25,
  NOTADB: 26,
  LIMIT_LENGTH: 0,
  LIMIT_SQL_LENGTH: 1,
  LIMIT_COLUMN: 2,
  LIMIT_EXPR_DEPTH: 3,
  LIMIT_COMPOUND_SELECT: 4,
  LIMIT_VDBE_OP: 5,
  LIMIT_FUNCTION_ARG: 6,
  LIMIT_ATTACHED: 7,
  LIMIT_LIKE_PATTERN_LENGTH: 8,
  LIMIT_VARIABLE_NUMBER: 9,
  LIMIT_TRIGGER_DEPTH: 10,
  LIMIT_WORKER_THREADS: 11,
};

describe.each(IMPLEMENTATIONS)('module surface: %s', (_name, sqlite3) => {
  it('exports node-sqlite3’s keys in its order', () => {
    expect(Object.keys(sqlite3)).toEqual([
      'Database',
      'Statement',
      'Backup',
      'OPEN_READONLY',
      'OPEN_READWRITE',
      'OPEN_CREATE',
      'OPEN_FULLMUTEX',
      'OPEN_URI',
      'OPEN_SHAREDCACHE',
      'OPEN_PRIVATECACHE',
      'VERSION',
      'SOURCE_ID',
      'VERSION_NUMBER',
      ...Object.keys(CONSTANTS).filter((k) => !k.startsWith('OPEN_')),
      'path',
      'cached',
      'verbose',
    ]);
  });

  it('has the constants with SQLite’s values, read-only but enumerable', () => {
    for (const [name, value] of Object.entries(CONSTANTS)) expect(sqlite3[name], name).toBe(value);
    expect(Object.getOwnPropertyDescriptor(sqlite3, 'CONSTRAINT')).toEqual({ value: 19, writable: false, enumerable: true, configurable: true });
    expect(sqlite3.VERSION).toMatch(/^3\.\d+\.\d+$/);
    expect(sqlite3.VERSION_NUMBER).toBe(
      sqlite3.VERSION.split('.').reduce((n: number, part: string, i: number) => n + Number(part) * [1_000_000, 1000, 1][i]!, 0),
    );
    expect(sqlite3.SOURCE_ID).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [0-9a-f]{64}/);
  });

  it('names its classes Database, Statement and Backup and refuses calls without new', () => {
    expect([sqlite3.Database.name, sqlite3.Statement.name, sqlite3.Backup.name]).toEqual(['Database', 'Statement', 'Backup']);
    expect(() => sqlite3.Database(':memory:')).toThrow(/Class constructors cannot be invoked without 'new'/);
    expect(() => sqlite3.Statement()).toThrow(/Class constructors cannot be invoked without 'new'/);
  });

  it('copies EventEmitter’s methods onto the prototypes instead of inheriting from it', async () => {
    const db = await openDb(sqlite3);
    expect(db instanceof EventEmitter).toBe(false);
    expect(db instanceof sqlite3.Database).toBe(true);
    expect(typeof db.on).toBe('function');
    expect(Object.keys(sqlite3.Database.prototype)).toEqual(
      expect.arrayContaining(['emit', 'on', 'once', 'removeListener', 'prepare', 'run', 'get', 'all', 'each', 'map', 'backup']),
    );
    expect(Object.keys(sqlite3.Database.prototype)).not.toContain('close');
    expect(Object.getOwnPropertyNames(sqlite3.Database.prototype)).toEqual(
      expect.arrayContaining(['close', 'exec', 'wait', 'loadExtension', 'serialize', 'parallelize', 'configure', 'interrupt', 'open']),
    );
    expect(Object.keys(sqlite3.Statement.prototype)).toContain('map');
    expect(Object.getOwnPropertyNames(sqlite3.Statement.prototype)).toEqual(
      expect.arrayContaining(['bind', 'get', 'run', 'all', 'each', 'reset', 'finalize']),
    );
    expect(Object.getOwnPropertyNames(sqlite3.Backup.prototype)).toEqual(
      expect.arrayContaining(['step', 'finish', 'idle', 'completed', 'failed', 'remaining', 'pageCount', 'retryErrors']),
    );
    expect(await closeDb(db)).toBeNull();
  });

  it('lets user code patch prototype methods, and the Database methods go through the patched Statement ones', async () => {
    const original = sqlite3.Statement.prototype.all;
    const seen: string[] = [];
    sqlite3.Statement.prototype.all = function (this: { sql: string }, ...args: unknown[]) {
      seen.push(this.sql);
      return original.apply(this, args);
    };
    try {
      const db = await openDb(sqlite3);
      const rows = await new Promise((resolve) => db.all('SELECT 1 AS one', (_e: unknown, r: unknown) => resolve(r)));
      expect(rows).toEqual([{ one: 1 }]);
      expect(seen).toEqual(['SELECT 1 AS one']);
      await closeDb(db);
    } finally {
      sqlite3.Statement.prototype.all = original;
    }
  });

  it('gives a Database its filename and mode as read-only, non-enumerable properties', async () => {
    const db = await openDb(sqlite3, ':memory:');
    expect(db.filename).toBe(':memory:');
    expect(db.mode).toBe(sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE | sqlite3.OPEN_FULLMUTEX);
    expect(Object.keys(db)).not.toContain('filename');
    expect(Object.getOwnPropertyDescriptor(db, 'filename')).toMatchObject({ writable: false, enumerable: false });
    await closeDb(db);
  });

  it('verbose() returns the module and adds the failing call to error stacks', async () => {
    expect(sqlite3.verbose()).toBe(sqlite3);
    const db = await openDb(sqlite3);
    const err = await new Promise<Error>((resolve) => db.run('UPDATE no_such_table SET id = 1', (e: Error) => resolve(e)));
    expect(err.stack).toContain("--> in Database#run('UPDATE no_such_table SET id = 1'");
    await closeDb(db);
  });

  it('cached.Database returns one Database per resolved file and calls every callback once open', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const first = new sqlite3.cached.Database(`${dir}/cache.db`);
      const opened = await new Promise<unknown>((resolve) => {
        const second = new sqlite3.cached.Database(`${dir}/./cache.db`, function (this: unknown, err: unknown) {
          expect(err).toBeNull();
          resolve(this);
        });
        expect(second).toBe(first);
      });
      expect(opened).toBe(first);
      const later = await new Promise<unknown>((resolve) => {
        sqlite3.cached.Database(`${dir}/cache.db`, function (this: unknown) {
          resolve(this);
        });
      });
      expect(later).toBe(first);
      expect(Object.values(sqlite3.cached.objects)).toContain(first);
      const memory = new sqlite3.cached.Database(':memory:');
      expect(memory).not.toBe(new sqlite3.cached.Database(':memory:'));
      delete sqlite3.cached.objects[first.filename];
      await closeDb(first);
    } finally {
      cleanup();
    }
  });
});
