import { describe, expect, it } from 'vitest';
import { RapsqliteError, type Middleware, type Operation } from '../src/index.ts';
import { compose } from '../src/plugin.ts';
import { openTemp } from './helpers.ts';

/** Times and records every operation. */
function recorder() {
  const records: Array<{ kind: string; sql: string; ms: number; ok: boolean; role: string | undefined; tx: number | undefined }> = [];
  const mw: Middleware = {
    name: 'recorder',
    wrap: (next) => async (op) => {
      const start = performance.now();
      let ok = false;
      try {
        const result = await next(op);
        ok = true;
        return result;
      } finally {
        records.push({ kind: op.kind, sql: op.sql, ms: performance.now() - start, ok, role: op.connection?.role, tx: op.transaction?.id });
      }
    },
  };
  return { mw, records };
}

/** Answers matching queries with canned rows, without the worker. */
function canned(rows: unknown[]): Middleware {
  return {
    name: 'canned',
    wrap: (next) => (op) => {
      if (op.kind === 'all' && op.sql.includes('FROM fake')) return Promise.resolve(rows);
      if (op.kind === 'get' && op.sql.includes('FROM fake')) return Promise.resolve(rows[0]);
      return next(op);
    },
  };
}

/** Re-invokes next after a failure, up to `times` more attempts. */
function retrying(times: number, attempts: { count: number }): Middleware {
  return {
    name: 'retrying',
    wrap: (next) => async (op) => {
      for (let attempt = 0; ; attempt++) {
        attempts.count++;
        try {
          return await next(op);
        } catch (err) {
          if (attempt >= times) throw err;
        }
      }
    },
  };
}

/** Rewrites the SQL of every statement (here: a table rename for a migration shim). */
const rewriter: Middleware = {
  name: 'rewriter',
  wrap: (next) => (op) => {
    if (op.kind !== 'transaction') op.sql = op.sql.replaceAll('legacy_users', 'users');
    return next(op);
  },
};

describe('middleware', () => {
  it('observes every operation with its kind, role and timing', async () => {
    const { mw, records } = recorder();
    const db = await openTemp({ middleware: [mw] });
    await db.exec('CREATE TABLE t (x)');
    await db.run('INSERT INTO t VALUES (1)');
    await db.get('SELECT x FROM t');
    await expect(db.get('SELECT nope FROM t')).rejects.toThrow();
    expect(records.map((r) => [r.kind, r.ok, r.role])).toEqual([
      ['exec', true, 'writer'],
      ['run', true, 'writer'],
      ['get', true, 'writer'],
      ['get', false, 'writer'],
    ]);
    expect(records.every((r) => r.ms >= 0)).toBe(true);
  });

  it('sees a whole transaction as one operation, parent of its statements', async () => {
    const { mw, records } = recorder();
    const db = await openTemp({ middleware: [mw] });
    await db.exec('CREATE TABLE t (x)');
    records.length = 0;
    await db.transaction(async (tx) => {
      await tx.run('INSERT INTO t VALUES (1)');
      await tx.transaction(async (inner) => inner.run('INSERT INTO t VALUES (2)'));
    });
    expect(records.map((r) => r.kind)).toEqual(['begin', 'run', 'savepoint', 'run', 'release', 'transaction', 'commit', 'transaction']);
    const [outer] = records.filter((r) => r.kind === 'transaction').slice(-1);
    expect(outer!.sql).toBe('BEGIN IMMEDIATE');
    const txIds = new Set(records.filter((r) => r.kind === 'run').map((r) => r.tx));
    expect(txIds.size).toBe(2);
    expect(records.find((r) => r.kind === 'transaction')!.tx).toBeDefined();
  });

  it('short-circuits with canned rows without touching the worker', async () => {
    const db = await openTemp({ middleware: [canned([{ id: 1, name: 'mock' }])] });
    expect(await db.all('SELECT * FROM fake')).toEqual([{ id: 1, name: 'mock' }]);
    expect(await db.get('SELECT * FROM fake WHERE id = ?', [1])).toEqual({ id: 1, name: 'mock' });
    await expect(db.all('SELECT * FROM real_missing')).rejects.toMatchObject({ code: 'SQLITE_ERROR' });
  });

  it('re-invokes next after a failure (a retry)', async () => {
    const attempts = { count: 0 };
    const db = await openTemp({ middleware: [retrying(2, attempts)] });
    await db.exec('CREATE TABLE t (x UNIQUE)');
    attempts.count = 0;
    await db.run('INSERT INTO t VALUES (1)');
    expect(attempts.count).toBe(1);
    attempts.count = 0;
    await expect(db.run('INSERT INTO t VALUES (1)')).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_UNIQUE' });
    expect(attempts.count).toBe(3);
  });

  it('reruns a whole transaction from the start when next is called again', async () => {
    let bodyRuns = 0;
    const rerunOnce: Middleware = {
      name: 'rerun-once',
      wrap: (next) => async (op) => {
        if (op.kind !== 'transaction') return next(op);
        try {
          return await next(op);
        } catch {
          return next(op);
        }
      },
    };
    const db = await openTemp({ middleware: [rerunOnce] });
    await db.exec('CREATE TABLE t (x)');
    const result = await db.transaction(async (tx) => {
      bodyRuns++;
      await tx.run('INSERT INTO t VALUES (?)', [bodyRuns]);
      if (bodyRuns === 1) throw new Error('first attempt fails');
      return 'second';
    });
    expect(result).toBe('second');
    expect(bodyRuns).toBe(2);
    expect(await db.all('SELECT x FROM t')).toEqual([{ x: 2 }]);
  });

  it('rewrites the SQL before it reaches the worker', async () => {
    const db = await openTemp({ middleware: [rewriter] });
    await db.exec('CREATE TABLE users (name TEXT)');
    await db.run('INSERT INTO legacy_users VALUES (?)', ['ada']);
    expect(await db.all('SELECT name FROM legacy_users')).toEqual([{ name: 'ada' }]);
  });

  it('runs middleware in registration order, first outermost', async () => {
    const order: string[] = [];
    const tag = (name: string): Middleware => ({
      name,
      wrap: (next) => async (op) => {
        order.push(`${name}>`);
        const result = await next(op);
        order.push(`<${name}`);
        return result;
      },
    });
    const db = await openTemp({ middleware: [tag('a'), tag('b')] });
    db.use(tag('c'));
    await db.get('SELECT 1');
    expect(order).toEqual(['a>', 'b>', 'c>', '<c', '<b', '<a']);
  });

  it('scopes middleware with with() without changing the original handle', async () => {
    const { mw, records } = recorder();
    const db = await openTemp();
    const traced = db.with(mw);
    await db.get('SELECT 1');
    await traced.get('SELECT 2');
    expect(records.map((r) => r.sql)).toEqual(['SELECT 2']);
    expect(db.middleware).toEqual([]);
    expect(traced.middleware).toEqual([mw]);
  });

  it('composes once: wrap is called when middleware is added, not per query', async () => {
    let wraps = 0;
    const counting: Middleware = { name: 'counting', wrap: (next) => (wraps++, next) };
    const db = await openTemp({ middleware: [counting] });
    const afterOpen = wraps;
    for (let i = 0; i < 20; i++) await db.get('SELECT 1');
    await db.transaction(async (tx) => tx.get('SELECT 1'));
    expect(wraps).toBe(afterOpen);
  });

  it('calls the terminal directly when there is no middleware', () => {
    const terminal = async (): Promise<unknown> => 'done';
    expect(compose([], terminal)).toBe(terminal);
  });

  it('refuses a malformed middleware when it is added', async () => {
    const db = await openTemp();
    expect(() => db.use({ name: 'x' } as never)).toThrow(RapsqliteError);
    expect(() => db.use({ name: 'bad', wrap: () => 'no' } as never)).toThrow(/did not return a function/);
  });

  it('turns a middleware that throws synchronously into a rejected promise', async () => {
    const db = await openTemp({ middleware: [{ name: 'thrower', wrap: () => (_op: Operation) => { throw new Error('sync'); } }] });
    const pending = db.get('SELECT 1');
    expect(pending).toBeInstanceOf(Promise);
    await expect(pending).rejects.toThrow('sync');
  });

  it('passes iterate through the chain and can observe when a stream starts', async () => {
    const { mw, records } = recorder();
    const db = await openTemp({ middleware: [mw] });
    const rows: unknown[] = [];
    for await (const row of db.iterate('SELECT 1 AS a UNION ALL SELECT 2')) rows.push(row);
    expect(rows).toEqual([{ a: 1 }, { a: 2 }]);
    expect(records.map((r) => r.kind)).toEqual(['iterate']);
  });
});
