import { describe, expect, it } from 'vitest';
import { RapsqliteError, type Operation } from '@rapsqlite/engine';
import { createMock, TestingErrorCodes } from '../../src/index.ts';
import { openTemp } from '../helpers.ts';

async function mocked(options?: Parameters<typeof createMock>[0]) {
  const mock = createMock(options);
  const db = await openTemp();
  return { mock, db: db.with(mock), raw: db };
}

describe('createMock', () => {
  it('answers get, all, values and iterate from rows without touching SQLite', async () => {
    const { mock, db } = await mocked();
    mock.when('SELECT * FROM users').rows([{ id: 1, name: 'Ada' }, { id: 2, name: 'Grace' }]);
    expect(await db.get('SELECT * FROM users')).toEqual({ id: 1, name: 'Ada' });
    expect(await db.all('SELECT * FROM users')).toEqual([{ id: 1, name: 'Ada' }, { id: 2, name: 'Grace' }]);
    const values = await db.values('SELECT * FROM users');
    expect(values.rows).toEqual([[1, 'Ada'], [2, 'Grace']]);
    expect(values.columns.map((c) => c.name)).toEqual(['id', 'name']);
    const streamed = [];
    for await (const row of db.iterate('SELECT * FROM users')) streamed.push(row);
    expect(streamed).toHaveLength(2);
  });

  it('gives get undefined and all an empty array for an empty row list', async () => {
    const { mock, db } = await mocked();
    mock.when('SELECT * FROM nobody').rows([], { columns: ['id'] });
    expect(await db.get('SELECT * FROM nobody')).toBeUndefined();
    expect(await db.all('SELECT * FROM nobody')).toEqual([]);
    expect((await db.values('SELECT * FROM nobody')).columns.map((c) => c.name)).toEqual(['id']);
  });

  it('returns fresh copies, so a caller that mutates a result does not change the next one', async () => {
    const { mock, db } = await mocked();
    mock.when('SELECT data FROM t').rows([{ data: Buffer.from([1, 2]) }]);
    const first = await db.get<{ data: Buffer }>('SELECT data FROM t');
    first!.data[0] = 99;
    const second = await db.get<{ data: Buffer }>('SELECT data FROM t');
    expect([...second!.data]).toEqual([1, 2]);
    expect(Buffer.isBuffer(second!.data)).toBe(true);
  });

  it('keeps a __proto__ column as an own property of mocked rows', async () => {
    const { mock, db } = await mocked();
    const row: Record<string, unknown> = {};
    Object.defineProperty(row, '__proto__', { value: 'x', enumerable: true, configurable: true, writable: true });
    mock.when('SELECT hostile').rows([row]);
    const got = await db.get<Record<string, unknown>>('SELECT hostile');
    expect(Object.getOwnPropertyDescriptor(got, '__proto__')?.value).toBe('x');
    expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
  });

  it('answers run and runMany with a run result, and exec with nothing', async () => {
    const { mock, db } = await mocked();
    mock.when(/^INSERT INTO audit/).result({ lastInsertRowid: 7 });
    mock.when('CREATE TABLE x (a)').result();
    expect(await db.run('INSERT INTO audit (msg) VALUES (?)', ['hi'])).toEqual({ changes: 1, lastInsertRowid: 7 });
    expect(await db.runMany('INSERT INTO audit (msg) VALUES (?)', [['a'], ['b']])).toEqual({ changes: 2, lastInsertRowid: 7, count: 2 });
    expect(await db.exec('CREATE TABLE x (a)')).toBeUndefined();
  });

  it('rejects with a coded RapsqliteError carrying the statement for an error rule', async () => {
    const { mock, db } = await mocked();
    mock.when('UPDATE t SET a = 1').error('SQLITE_BUSY');
    mock.when('DELETE FROM t').error('SQLITE_CONSTRAINT_FOREIGNKEY', 'FOREIGN KEY constraint failed');
    const busy = await db.run('UPDATE t SET a = 1').catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(RapsqliteError);
    expect(busy).toMatchObject({ code: 'SQLITE_BUSY', sql: 'UPDATE t SET a = 1' });
    await expect(db.run('DELETE FROM t')).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY', message: 'FOREIGN KEY constraint failed' });
    const custom = Object.assign(new Error('custom'), { code: 'E_CUSTOM' });
    mock.when('SELECT custom').error(custom);
    await expect(db.get('SELECT custom')).rejects.toBe(custom);
  });

  it('fails loudly with ERR_RAPSQLITE_MOCK_UNMATCHED for a statement no rule matches', async () => {
    const { mock, db } = await mocked();
    await expect(db.get('SELECT forgotten')).rejects.toMatchObject({ code: TestingErrorCodes.MOCK_UNMATCHED, sql: 'SELECT forgotten' });
    expect(mock.unmatched.map((c) => c.sql)).toEqual(['SELECT forgotten']);
    expect(() => mock.assertNoUnmatched()).toThrow(expect.objectContaining({ code: TestingErrorCodes.MOCK_ASSERTION }));
  });

  it("passes unmatched statements to the database with unmatched: 'passthrough'", async () => {
    const { mock, db } = await mocked({ unmatched: 'passthrough' });
    mock.when('SELECT * FROM users').rows([{ id: 1 }]);
    await db.exec('CREATE TABLE real (a)');
    await db.run('INSERT INTO real VALUES (1)');
    expect(await db.all('SELECT a FROM real')).toEqual([{ a: 1 }]);
    expect(await db.all('SELECT * FROM users')).toEqual([{ id: 1 }]);
    expect(mock.calls.map((c) => c.outcome)).toEqual(['passthrough', 'passthrough', 'passthrough', 'mocked']);
  });

  it('passes a matched statement through to SQLite with passthrough()', async () => {
    const { mock, db } = await mocked();
    mock.when(/.*/).passthrough();
    await db.exec('CREATE TABLE real (a)');
    expect(await db.get('SELECT count(*) AS n FROM real')).toEqual({ n: 0 });
  });

  it('matches by RegExp, by normalized SQL and by predicate', async () => {
    const { mock, db } = await mocked();
    mock.when(/FROM orders/i).rows([{ kind: 'regexp' }]);
    mock.when({ normalized: 'SELECT id FROM users WHERE id = ?' }).rows([{ kind: 'normalized' }]);
    mock.when((q) => q.kind === 'get' && q.sql.includes('magic')).rows([{ kind: 'predicate' }]);
    expect(await db.get('select * from ORDERS')).toEqual({ kind: 'regexp' });
    expect(await db.get('SELECT id\n  FROM users   -- by id\n  WHERE id = ?;', [1])).toEqual({ kind: 'normalized' });
    expect(await db.get('SELECT magic')).toEqual({ kind: 'predicate' });
  });

  it('uses a global RegExp without carrying state between calls', async () => {
    const { mock, db } = await mocked();
    mock.when(/users/g).rows([{ ok: 1 }]);
    for (let i = 0; i < 3; i++) expect(await db.get('SELECT * FROM users')).toEqual({ ok: 1 });
  });

  it('narrows a rule by parameters and by kind', async () => {
    const { mock, db } = await mocked();
    mock.when('SELECT * FROM users WHERE id = ?').withParams([1]).rows([{ name: 'Ada' }]);
    mock.when('SELECT * FROM users WHERE id = ?', { params: [2] }).rows([{ name: 'Grace' }]);
    mock.when('SELECT * FROM users WHERE id = ?', { kind: 'all' }).rows([{ name: 'all' }]);
    expect(await db.get('SELECT * FROM users WHERE id = ?', [2])).toEqual({ name: 'Grace' });
    expect(await db.get('SELECT * FROM users WHERE id = ?', [1])).toEqual({ name: 'Ada' });
    expect(await db.all('SELECT * FROM users WHERE id = ?', [3])).toEqual([{ name: 'all' }]);
    await expect(db.get('SELECT * FROM users WHERE id = ?', [3])).rejects.toMatchObject({ code: TestingErrorCodes.MOCK_UNMATCHED });
  });

  it('uses rules in order, letting a limited rule give way once used up', async () => {
    const { mock, db } = await mocked();
    const first = mock.when('UPDATE t SET a = 1').once().error('SQLITE_BUSY');
    mock.when('UPDATE t SET a = 1').times(2).result({ changes: 3 });
    await expect(db.run('UPDATE t SET a = 1')).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
    expect(first.exhausted).toBe(true);
    expect(await db.run('UPDATE t SET a = 1')).toMatchObject({ changes: 3 });
    expect(await db.run('UPDATE t SET a = 1')).toMatchObject({ changes: 3 });
    const err = (await db.run('UPDATE t SET a = 1').catch((e: unknown) => e)) as { code: string; message: string };
    expect(err.code).toBe(TestingErrorCodes.MOCK_UNMATCHED);
    expect(err.message).toMatch(/used up/);
    mock.assertAllRulesUsed();
  });

  it('rejects with ERR_RAPSQLITE_MOCK_REPLY when a reply does not fit the call', async () => {
    const { mock, db } = await mocked();
    mock.when('SELECT 1').result();
    mock.when('INSERT x').rows([{ a: 1 }]);
    await expect(db.get('SELECT 1')).rejects.toMatchObject({ code: TestingErrorCodes.MOCK_REPLY });
    await expect(db.run('INSERT x')).rejects.toMatchObject({ code: TestingErrorCodes.MOCK_REPLY });
  });

  it('computes answers with reply(), which may call the database', async () => {
    const { mock, db } = await mocked();
    mock.when('SELECT echo').reply((op) => ({ echoed: (op as unknown as { params: unknown[] }).params[0] }));
    mock.when('SELECT real').reply((op, next) => next({ ...op, sql: 'SELECT 41 + 1 AS n' } as Operation));
    expect(await db.get('SELECT echo', ['hi'])).toEqual({ echoed: 'hi' });
    expect(await db.get('SELECT real')).toEqual({ n: 42 });
  });

  it('records every call with kind, SQL, parameters and transaction, and transactions pass through', async () => {
    const { mock, db } = await mocked();
    mock.when(/^INSERT/).result();
    mock.when('SELECT n').rows([{ n: 1 }]);
    await db.transaction(async (tx) => {
      await tx.run('INSERT INTO t VALUES (?)', [1]);
      await tx.runMany('INSERT INTO t VALUES (?)', [[2], [3]]);
    });
    await db.get('SELECT n');
    expect(mock.calls.map((c) => [c.kind, c.sql, c.outcome])).toEqual([
      ['transaction', 'BEGIN IMMEDIATE', 'passthrough'],
      ['begin', 'BEGIN IMMEDIATE', 'passthrough'],
      ['run', 'INSERT INTO t VALUES (?)', 'mocked'],
      ['runMany', 'INSERT INTO t VALUES (?)', 'mocked'],
      ['commit', 'COMMIT', 'passthrough'],
      ['get', 'SELECT n', 'mocked'],
    ]);
    expect(mock.calls[2]).toMatchObject({ params: [1], transaction: { depth: 0 } });
    expect(mock.calls[3]?.paramsList).toEqual([[2], [3]]);
    expect(mock.calls[5]?.transaction).toBeUndefined();
  });

  it('answers a framing statement when a rule names its kind, such as a COMMIT that fails with SQLITE_BUSY', async () => {
    const { mock, db } = await mocked({ unmatched: 'passthrough' });
    await db.exec('CREATE TABLE t (a)');
    mock.when('COMMIT', { kind: 'commit' }).once().error('SQLITE_BUSY');
    await expect(db.transaction((tx) => tx.run('INSERT INTO t VALUES (1)'))).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
    expect(await db.get('SELECT count(*) AS n FROM t')).toEqual({ n: 0 });
    await db.transaction((tx) => tx.run('INSERT INTO t VALUES (1)'));
    expect(await db.get('SELECT count(*) AS n FROM t')).toEqual({ n: 1 });
  });

  it('prepares mocked statements and answers their runs from the same rules', async () => {
    const { mock, db } = await mocked();
    mock.when('SELECT * FROM users WHERE id = ?').rows([{ id: 1 }]);
    mock.when('INSERT INTO users (name) VALUES (?)').once().result({ lastInsertRowid: 5 });
    const select = await db.prepare('SELECT * FROM users WHERE id = ?');
    expect(select.reader).toBe(true);
    expect(select.columns.map((c) => c.name)).toEqual(['id']);
    expect(await select.get([1])).toEqual({ id: 1 });
    const insert = await db.prepare('INSERT INTO users (name) VALUES (?)');
    expect(insert.reader).toBe(false);
    expect(await insert.run(['x'])).toEqual({ changes: 1, lastInsertRowid: 5 });
  });

  it('asserts calls by matcher, count and parameters', async () => {
    const { mock, db } = await mocked();
    mock.when(/users/).rows([{ id: 1 }]);
    await db.get('SELECT * FROM users WHERE id = ?', [1]);
    await db.get('SELECT * FROM users WHERE id = ?', [2]);
    mock.assertCalled('SELECT * FROM users WHERE id = ?');
    mock.assertCalled('SELECT * FROM users WHERE id = ?', { times: 2 });
    mock.assertCalled(/users/, { params: [2], times: 1 });
    mock.assertNotCalled(/orders/);
    expect(mock.callsTo(/users/, { kind: 'all' })).toEqual([]);
    expect(() => mock.assertCalled(/users/, { times: 3 })).toThrow(expect.objectContaining({ code: TestingErrorCodes.MOCK_ASSERTION }));
    expect(() => mock.assertNotCalled(/users/)).toThrow(expect.objectContaining({ code: TestingErrorCodes.MOCK_ASSERTION }));
    mock.resetCalls();
    expect(mock.calls).toEqual([]);
    expect(await db.get('SELECT * FROM users')).toEqual({ id: 1 });
    mock.reset();
    await expect(db.get('SELECT * FROM users')).rejects.toMatchObject({ code: TestingErrorCodes.MOCK_UNMATCHED });
  });

  it('reports rules never used with assertAllRulesUsed', async () => {
    const mock = createMock();
    mock.when('SELECT never').rows([]);
    expect(() => mock.assertAllRulesUsed()).toThrow(/SELECT never/);
  });

  it('refuses bad arguments', () => {
    const mock = createMock();
    expect(() => mock.when(42 as never)).toThrow(expect.objectContaining({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' }));
    expect(() => mock.when('x').times(0)).toThrow(expect.objectContaining({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' }));
    expect(() => mock.when('x', { kind: 'nope' as never })).toThrow(expect.objectContaining({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' }));
    expect(() => createMock({ unmatched: 'ignore' as never })).toThrow(expect.objectContaining({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' }));
  });

  it('is a middleware that works through use() and in open() options, innermost after other middleware', async () => {
    const mock = createMock();
    mock.when('SELECT 1 AS n').rows([{ n: 'mocked' }]);
    const seen: string[] = [];
    const db = await openTemp({ middleware: [{ name: 'spy', wrap: (next) => async (op) => { const r = await next(op); seen.push(JSON.stringify(r)); return r; } }] });
    db.use(mock);
    expect(mock.name).toBe('mock');
    expect(await db.get('SELECT 1 AS n')).toEqual({ n: 'mocked' });
    expect(seen).toEqual(['{"n":"mocked"}']);
  });
});
