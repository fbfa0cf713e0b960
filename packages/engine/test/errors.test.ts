import { describe, expect, it } from 'vitest';
import { ErrorCodes, RapsqliteError, hasErrorCode, open } from '../src/index.ts';
import { openTemp, tempDir } from './helpers.ts';


describe('bad input', () => {
  it.each([
    ['a Date', new Date()],
    ['a boolean', true],
    ['an object', { nested: 1 }],
    ['undefined', undefined],
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
  ])('refuses %s as a parameter, naming the parameter but not its value', async (_label, value) => {
    const db = await openTemp();
    const error = await db.get('SELECT ?, ?', [1, value as never]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RapsqliteError);
    expect(error).toMatchObject({ code: 'ERR_RAPSQLITE_PARAMETER_TYPE', sql: 'SELECT ?, ?' });
    expect((error as Error).message).toMatch(/Parameter 2 /);
  });

  it('names a bad named parameter by its key', async () => {
    const db = await openTemp();
    await expect(db.get('SELECT :when', { when: new Date() as never })).rejects.toThrow(/Parameter "when" is a Date/);
  });

  it('never puts bound values in error messages', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE secrets (token TEXT UNIQUE)');
    await db.run('INSERT INTO secrets VALUES (?)', ['hunter2-secret']);
    const error = (await db.run('INSERT INTO secrets VALUES (?)', ['hunter2-secret']).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'SQLITE_CONSTRAINT_UNIQUE' });
    expect(error.message).not.toContain('hunter2');
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain('hunter2');
  });

  it('reports a wrong number of positional parameters', async () => {
    const db = await openTemp();
    await expect(db.get('SELECT ?, ?', [1])).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_PARAMETER_COUNT' });
    await expect(db.get('SELECT ?', [1, 2])).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_PARAMETER_COUNT' });
  });

  it('reports a missing and an unknown named parameter', async () => {
    const db = await openTemp();
    await expect(db.get('SELECT :a, :b', { a: 1 })).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_PARAMETER_MISSING' });
    await expect(db.get('SELECT :a', { a: 1, typo: 2 })).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_PARAMETER_UNKNOWN' });
    await expect(db.get('SELECT :a', { ':a': 1 })).rejects.toThrow(/without its prefix/);
  });

  it('ignores parameter-like text inside strings and comments when checking names', async () => {
    const db = await openTemp();
    expect(await db.get("SELECT :a AS a, ':b' AS s -- :c", { a: 1 })).toEqual({ a: 1, s: ':b' });
  });

  it('reports SQL syntax errors with the SQLite code and the SQL', async () => {
    const db = await openTemp();
    const error = await db.all('SELEKT * FROM nowhere').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SQLITE_ERROR', name: 'SqliteError', sql: 'SELEKT * FROM nowhere' });
    expect((error as RapsqliteError).primaryCode).toBe('SQLITE_ERROR');
  });

  it('keeps the extended result code of constraint failures', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (p INTEGER REFERENCES p(id), v TEXT NOT NULL CHECK (v <> \'\'))');
    await expect(db.run('INSERT INTO c VALUES (1, ?)', ['x'])).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
    await db.run('INSERT INTO p VALUES (1)');
    await expect(db.run('INSERT INTO c VALUES (1, NULL)')).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_NOTNULL' });
    const check = (await db.run("INSERT INTO c VALUES (1, '')").catch((e: unknown) => e)) as RapsqliteError;
    expect(check.code).toBe('SQLITE_CONSTRAINT_CHECK');
    expect(check.primaryCode).toBe('SQLITE_CONSTRAINT');
  });

  it('refuses get/all/values/iterate on a statement that returns no rows', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE t (x)');
    await expect(db.get('INSERT INTO t VALUES (1)')).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_NOT_A_QUERY' });
    await expect(db.all('INSERT INTO t VALUES (1)')).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_NOT_A_QUERY' });
    await expect(db.values('DELETE FROM t')).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_NOT_A_QUERY' });
    await expect(db.iterate('DELETE FROM t').next()).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_NOT_A_QUERY' });
    expect(await db.get('SELECT count(*) AS n FROM t')).toEqual({ n: 0 });
  });

  it('refuses non-string SQL and empty SQL with a coded error', async () => {
    const db = await openTemp();
    await expect(db.get(42 as never)).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
    await expect(db.run('   ')).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
  });

  it('reports an oversized value with SQLITE_TOOBIG and keeps the connection usable', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE t (v BLOB)');
    await expect(db.run('INSERT INTO t VALUES (zeroblob(?))', [2_000_000_000])).rejects.toMatchObject({ code: 'SQLITE_TOOBIG' });
    await db.run('INSERT INTO t VALUES (?)', [Buffer.alloc(10)]);
    expect(await db.get('SELECT count(*) AS n FROM t')).toEqual({ n: 1 });
  });

  it('matches errors by code across copies with hasErrorCode', async () => {
    const db = await openTemp();
    const error = await db.get('SELECT * FROM missing').catch((e: unknown) => e);
    expect(hasErrorCode(error, 'SQLITE_ERROR')).toBe(true);
    expect(hasErrorCode(error, 'SQLITE_BUSY')).toBe(false);
    expect(hasErrorCode({ code: 'X' })).toBe(true);
    expect(hasErrorCode('nope')).toBe(false);
  });
});

describe('open options', () => {
  it('refuses unknown and mistyped options', async () => {
    await expect(open(':memory:', { readOnly: true } as never)).rejects.toThrow(/did you mean "readonly"/);
    await expect(open(':memory:', { integers: 'string' } as never)).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
    await expect(open(':memory:', { busyTimeoutMs: -1 })).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
    await expect(open(':memory:', { readonly: true })).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
    await expect(open('', {})).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
  });

  it('fails to open a file in a folder that does not exist, with a coded error', async () => {
    const error = await open(`${tempDir()}/no/such/dir/x.db`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RapsqliteError);
    expect(typeof (error as RapsqliteError).code).toBe('string');
  });

  it('sets durable, safe defaults explicitly on every connection', async () => {
    const db = await openTemp();
    expect(await db.get('PRAGMA journal_mode')).toEqual({ journal_mode: 'wal' });
    expect(await db.get('PRAGMA synchronous')).toEqual({ synchronous: 2 });
    expect(await db.get('PRAGMA trusted_schema')).toEqual({ trusted_schema: 0 });
    expect(await db.get('PRAGMA foreign_keys')).toEqual({ foreign_keys: 1 });
    expect(await db.get('PRAGMA busy_timeout')).toEqual({ timeout: 5000 });
  });

  it('sets synchronous explicitly when reopening a WAL file (better-sqlite3 alone would leave NORMAL)', async () => {
    const dir = tempDir();
    const first = await open(`${dir}/db.sqlite`, { synchronous: 'full' });
    await first.exec('CREATE TABLE t (x)');
    await first.close();
    const again = await open(`${dir}/db.sqlite`, { synchronous: 'extra' });
    expect(await again.get('PRAGMA synchronous')).toEqual({ synchronous: 3 });
    await again.close();
  });

  it('applies pragmas in order after the built-in settings', async () => {
    const db = await openTemp({ pragmas: ['cache_size = -1000', 'cache_size = -2000', 'user_version = 7'], busyTimeoutMs: 250, foreignKeys: false });
    expect(await db.get('PRAGMA cache_size')).toEqual({ cache_size: -2000 });
    expect(await db.get('PRAGMA user_version')).toEqual({ user_version: 7 });
    expect(await db.get('PRAGMA busy_timeout')).toEqual({ timeout: 250 });
    expect(await db.get('PRAGMA foreign_keys')).toEqual({ foreign_keys: 0 });
  });

  it('opens read-only: reads work and writes fail with SQLITE_READONLY', async () => {
    const dir = tempDir();
    const rw = await open(`${dir}/db.sqlite`);
    await rw.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    await rw.close();
    const ro = await open(`${dir}/db.sqlite`, { readonly: true });
    expect(ro.readonly).toBe(true);
    expect(await ro.all('SELECT x FROM t')).toEqual([{ x: 1 }]);
    await expect(ro.run('INSERT INTO t VALUES (2)')).rejects.toMatchObject({ code: 'SQLITE_READONLY' });
    await ro.close();
  });

  it('exposes every error code as a stable ERR_RAPSQLITE_ string', () => {
    for (const code of Object.values(ErrorCodes)) expect(code).toMatch(/^ERR_RAPSQLITE_[A-Z_]+$/);
    expect(new Set(Object.values(ErrorCodes)).size).toBe(Object.values(ErrorCodes).length);
  });
});
