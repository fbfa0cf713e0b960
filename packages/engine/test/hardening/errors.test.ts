import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { open } from '../../src/index.ts';
import { checkRuntime } from '../../src/handle/runtime.ts';
import { onCleanup, openTemp, tempDir } from '../helpers.ts';

const functions = new URL('../fixtures/functions.js', import.meta.url);
const SECRET = 'hunter2SECRET';

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string; parameter?: string }> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: { code: string; message: string; parameter?: string }) => error,
  );
}

describe('bound values never reach error messages (defect 6)', () => {
  it('scrubs a value that SQLite echoes in a JSON path error', async () => {
    const db = await openTemp();
    const error = await failure(db.get("SELECT json_extract('{}', ?) AS v", [SECRET]));
    expect(error.code).toBe('SQLITE_ERROR');
    expect(error.message).not.toContain('hunter2');
  });

  it('scrubs fragments of an FTS5 query', async () => {
    const db = await openTemp();
    await db.exec('CREATE VIRTUAL TABLE f USING fts5(body)');
    const error = await failure(db.all('SELECT * FROM f WHERE f MATCH ?', ['public privateterm:other']));
    expect(error.code).toBe('SQLITE_ERROR');
    expect(error.message).not.toMatch(/privateterm|other/);
  });

  it('scrubs file names bound to ATTACH and VACUUM INTO', async () => {
    const db = await openTemp();
    const path = '/nonexistent/secret-folder/customer.db';
    for (const sql of ['ATTACH ? AS x', 'VACUUM INTO ?']) {
      const error = await failure(db.run(sql, [path]));
      expect(error.code).toBe('SQLITE_CANTOPEN');
      expect(error.message).not.toMatch(/secret-folder|customer/);
    }
  });

  it('scrubs the arguments a user function puts in the error it throws', async () => {
    const db = await openTemp();
    await db.function('fail', { module: functions, export: 'failWith' });
    const error = await failure(db.get('SELECT fail(?) AS v', [SECRET]));
    expect(error.code).toBe('ERR_RAPSQLITE_USER_FUNCTION');
    expect(error.message).not.toContain(SECRET);
    expect(error.message).toContain('[redacted]');
  });

  it('keeps the table and column names of a constraint error', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE users (email TEXT UNIQUE)');
    await db.run('INSERT INTO users VALUES (?)', ['ada@example.com']);
    const error = await failure(db.run('INSERT INTO users VALUES (?)', ['ada@example.com']));
    expect(error.code).toBe('SQLITE_CONSTRAINT_UNIQUE');
    expect(error.message).toContain('users.email');
  });
});

describe('ill-formed strings (defect 7)', () => {
  it('refuses a lone surrogate with a coded error that names the parameter, and stores nothing', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE t (s TEXT)');
    const positional = await failure(db.run('INSERT INTO t VALUES (?)', ['a\uD800b']));
    expect(positional).toMatchObject({ code: 'ERR_RAPSQLITE_PARAMETER_ENCODING', parameter: '1' });
    const named = await failure(db.run('INSERT INTO t VALUES (:s)', { s: 'x\uDC00' }));
    expect(named).toMatchObject({ code: 'ERR_RAPSQLITE_PARAMETER_ENCODING', parameter: 's' });
    const many = await failure(db.runMany('INSERT INTO t VALUES (?)', [['ok'], ['\uD83D']]));
    expect(many.code).toBe('ERR_RAPSQLITE_PARAMETER_ENCODING');
    expect(await db.get('SELECT count(*) AS n FROM t')).toEqual({ n: 0 });
    // Well-formed pairs are fine.
    await db.run('INSERT INTO t VALUES (?)', ['\uD83D\uDE00']);
    expect(await db.get('SELECT s FROM t')).toEqual({ s: '\uD83D\uDE00' });
  });
});

describe('the runtime (defect 9)', () => {
  it('refuses Node.js older than 22.12 with a coded error', () => {
    expect(() => checkRuntime('20.20.2')).toThrow(expect.objectContaining({ code: 'ERR_RAPSQLITE_UNSUPPORTED_RUNTIME' }));
    expect(() => checkRuntime('22.11.0')).toThrow(expect.objectContaining({ code: 'ERR_RAPSQLITE_UNSUPPORTED_RUNTIME' }));
    expect(() => checkRuntime('22.12.0')).not.toThrow();
    expect(() => checkRuntime('24.0.0')).not.toThrow();
  });

  // The machines this project runs on have an end-of-life Node.js 20 as their system Node: there the real thing is
  // checked, a clean exit with the code instead of a segmentation fault.
  const old = '/usr/bin/node';
  it.runIf(existsSync(old))('exits with the code, not a crash, when open() runs on the system Node.js', async () => {
    const script = fileURLToPath(new URL('./fixtures/open-on-old-node.mjs', import.meta.url));
    const result = await promisify(execFile)(old, [script]).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
    );
    const version = (await promisify(execFile)(old, ['-p', 'process.versions.node'])).stdout.trim();
    if (Number.parseInt(version, 10) >= 23 || version >= '22.12') expect(result.stdout.trim()).toBe('opened');
    else expect(result).toEqual({ code: 3, stdout: 'ERR_RAPSQLITE_UNSUPPORTED_RUNTIME\n' });
  });
});

describe('codes and silent mistakes (defect 10)', () => {
  it('reports a missing directory as SQLITE_CANTOPEN', async () => {
    await expect(open(join(tempDir(), 'missing', 'dir', 'x.db'))).rejects.toMatchObject({ code: 'SQLITE_CANTOPEN' });
  });

  it('refuses unknown, misspelt and ill-typed per-call options', async () => {
    const db = await openTemp();
    const cases: Array<Promise<unknown>> = [
      db.get('SELECT 1', [], { integer: 'bigint' } as never),
      db.all('SELECT 1', [], { pluk: true } as never),
      db.get('SELECT 1', [], (() => undefined) as never),
      db.exec('SELECT 1', [1] as never),
      db.get('SELECT 1', [], { signal: {} } as never),
      db.get('SELECT 1', [], { timeoutMs: -1 }),
      db.transaction(async () => undefined, { mode: 'later' } as never),
      db.transaction(async () => undefined, { timeout: 5 } as never),
    ];
    for (const call of cases) await expect(call).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
    const iterator = db.iterate('SELECT 1', [], { chunk: 5 } as never);
    await expect(iterator.next()).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
    const typo = await failure(db.get('SELECT 1', [], { integer: 'bigint' } as never));
    expect(typo.message).toContain('"integers"');
  });

  it('refuses a callback given in place of parameters', async () => {
    const db = await openTemp();
    await expect(db.run('SELECT 1', (() => undefined) as never)).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_PARAMETER_TYPE' });
  });

  it('names the parameter of a bigint beyond 64 bits', async () => {
    const db = await openTemp();
    const error = await failure(db.get('SELECT ? AS a, ? AS b', [1, 2n ** 70n]));
    expect(error).toMatchObject({ code: 'ERR_RAPSQLITE_PARAMETER_TYPE', parameter: '2' });
    const named = await failure(db.get('SELECT :big AS a', { big: -(2n ** 64n) }));
    expect(named).toMatchObject({ code: 'ERR_RAPSQLITE_PARAMETER_TYPE', parameter: 'big' });
    expect(await db.get('SELECT ? AS a', [2n ** 63n - 1n], { integers: 'bigint' })).toEqual({ a: 2n ** 63n - 1n });
  });

  it('reports an unexpected driver failure as internal, not as a user function error', async () => {
    const db = await openTemp();
    await db.function('spin', { module: functions, export: 'spin' });
    // A user function error keeps its own code; nothing else is labelled as one.
    const error = await failure(db.get('SELECT nosuchfunction() AS x'));
    expect(error.code).toBe('SQLITE_ERROR');
  });
});

describe('cleanup', () => {
  it('closes what the tests above opened', async () => {
    const db = await openTemp();
    onCleanup(() => undefined);
    expect(await db.get('SELECT 1 AS one')).toEqual({ one: 1 });
  });
});
